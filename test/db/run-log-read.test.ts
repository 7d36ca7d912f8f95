// get_last_run_per_integration and get_run_history on the real database: results, order, limits, and the plan.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAuthenticated, asRole, createTestDatabase, SERVICE, type TestDatabase, userClaims } from '../helpers/db.ts';

let db: TestDatabase;
const orgA = randomUUID();
const integrations = ['bufdir', 'dynamics', 'xledger'];

/** Seeds `perIntegration` finished runs per integration, one hour apart, newest last; returns the newest ids. */
async function seed(orgId: string, perIntegration: number): Promise<Record<string, string>> {
  const newest: Record<string, string> = {};
  for (const integration of integrations) {
    const rows = await db.sql`
      insert into public.sync_run_log (org_id, integration_type, started_at, ended_at, status, triggered_by, records_processed)
      select ${orgId}, ${integration}, t, t + interval '1 minute', 'completed', 'manual', i
      from generate_series(1, ${perIntegration}) i, lateral (select timestamptz '2026-01-01' + i * interval '1 hour' as t) s
      returning id, started_at`;
    const last = rows.reduce((a, b) => (a.started_at > b.started_at ? a : b));
    newest[integration] = last.id as string;
  }
  return newest;
}

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe('get_last_run_per_integration', () => {
  it('returns exactly the newest run of each integration, ordered by integration type', async () => {
    const newest = await seed(orgA, 50);
    // noise: another org, and a running run that is newer than everything for xledger
    await seed(randomUUID(), 5);
    const [running] = await asRole(
      db.sql,
      SERVICE,
      (tx) => tx`select public.insert_run_log(${orgA}, 'xledger', 'manual') as id`,
    );
    newest.xledger = running?.id as string;

    const rows = await asAuthenticated(
      db.sql,
      userClaims(orgA),
      (tx) => tx`select * from public.get_last_run_per_integration(${orgA})`,
    );
    expect(rows.map((r) => r.integration_type)).toEqual(integrations);
    expect(rows.map((r) => r.id)).toEqual(integrations.map((i) => newest[i]));
    expect(rows.every((r) => r.org_id === orgA)).toBe(true);
  });

  it('returns nothing for an org without runs', async () => {
    const rows = await asRole(
      db.sql,
      SERVICE,
      (tx) => tx`select * from public.get_last_run_per_integration(${randomUUID()})`,
    );
    expect(rows).toHaveLength(0);
  });

  it('walks the (org_id, integration_type, started_at desc) index, one probe per integration, never a scan of the history', async () => {
    const orgId = randomUUID();
    await seed(orgId, 2000);
    await db.sql`analyze public.sync_run_log`;
    // The function's own work, as counted by PostgreSQL (pg_stat_xact_*: before and after, in one transaction),
    // run as a user under RLS.
    const counters = (tx: typeof db.sql) => tx`
      select t.seq_scan::int, t.idx_tup_fetch::int,
        pg_stat_get_xact_numscans('public.sync_run_log_org_integration_started_idx'::regclass)::int as used_index_scans
      from pg_stat_xact_user_tables t
      where t.relid = 'public.sync_run_log'::regclass`;
    const stats = await asAuthenticated(db.sql, userClaims(orgId), async (tx) => {
      const [before] = await counters(tx);
      const rows = await tx`select * from public.get_last_run_per_integration(${orgId})`;
      expect(rows).toHaveLength(integrations.length);
      const [after] = await counters(tx);
      return Object.fromEntries(
        Object.keys(after ?? {}).map((k) => [k, Number(after?.[k]) - Number(before?.[k] ?? 0)]),
      );
    });
    expect(Number(stats?.seq_scan)).toBe(0);
    // one index probe per integration, plus the probe that finds no further integration
    expect(Number(stats?.used_index_scans)).toBe(integrations.length + 1);
    // it fetched one row per probe, not the 6,000 rows of the org's history
    expect(Number(stats?.idx_tup_fetch)).toBeLessThanOrEqual(integrations.length + 1);
  });
});

describe('get_run_history', () => {
  it('returns at most p_limit runs of the integration, newest first', async () => {
    const orgId = randomUUID();
    await seed(orgId, 30);
    const rows = await asAuthenticated(
      db.sql,
      userClaims(orgId, 'admin'),
      (tx) => tx`select * from public.get_run_history(${orgId}, 'dynamics', 10)`,
    );
    expect(rows).toHaveLength(10);
    expect(rows.every((r) => r.integration_type === 'dynamics' && r.org_id === orgId)).toBe(true);
    const starts = rows.map((r) => (r.started_at as Date).getTime());
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
    expect(rows[0]?.records_processed).toBe(30);
  });

  it('returns the whole history when it is shorter than the limit', async () => {
    const orgId = randomUUID();
    await seed(orgId, 4);
    const rows = await asRole(
      db.sql,
      SERVICE,
      (tx) => tx`select * from public.get_run_history(${orgId}, 'bufdir', 1000)`,
    );
    expect(rows).toHaveLength(4);
  });

  for (const limit of [0, -1, 1001, null]) {
    it(`rejects a limit of ${limit} with SR005`, async () => {
      const error = await asRole(
        db.sql,
        SERVICE,
        (tx) => tx`select * from public.get_run_history(${orgA}, 'bufdir', ${limit})`,
      ).catch((e) => e);
      expect(error.code).toBe('SR005');
      expect(error.message).toMatch(/limit must be between 1 and 1000/);
    });
  }

  it('uses the index for the history of a deep integration', async () => {
    const orgId = randomUUID();
    await seed(orgId, 2000);
    await db.sql`analyze public.sync_run_log`;
    const plan = await db.sql.unsafe(`explain (format json) select * from public.sync_run_log r
      where r.org_id = '${orgId}' and r.integration_type = 'xledger' order by r.started_at desc limit 50`);
    const text = JSON.stringify(plan);
    expect(text).toContain('sync_run_log_org_integration_started_idx');
    expect(text).not.toContain('Sort');
  });
});
