// IntegrationsRepository (and SyncRunLogRepository's history pages) against the real database through the SQL
// adapter: what callers get back (camelCase, no secrets), the period ledger's outcomes, cursors that keep the
// database's microseconds, and the errors of the error model, as the service role and as users of two orgs.
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncRunLogError } from '../../supabase/functions/_shared/errors.ts';
import { IntegrationsRepository } from '../../supabase/functions/_shared/integrations.repository.ts';
import { SyncRunLogRepository } from '../../supabase/functions/_shared/run-log.repository.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import { createTestDatabase, SERVICE, type TestDatabase, userClaims } from '../helpers/db.ts';

let db: TestDatabase;
let service: IntegrationsRepository;
const asUser = (org: string, role = 'coordinator') =>
  new IntegrationsRepository(createSqlRpc(db.sql, { role: 'authenticated', claims: userClaims(org, role) }));

beforeAll(async () => {
  db = await createTestDatabase();
  service = new IntegrationsRepository(createSqlRpc(db.sql, SERVICE));
});
afterAll(async () => db?.drop());

async function caught(promise: Promise<unknown>): Promise<SyncRunLogError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SyncRunLogError);
  return error as SyncRunLogError;
}

describe('connections', () => {
  it('stores, reads back without secrets, hands the credentials to the service role only, deletes', async () => {
    const org = randomUUID();
    const marker = `MARKER-${randomUUID()}`;
    const connection = await service.upsertConnection({
      orgId: org,
      integrationType: 'dynamics',
      settings: { environmentUrl: 'https://contoso.crm4.dynamics.com' },
      credentials: { clientId: 'client', clientSecret: marker },
    });
    expect(connection).toMatchObject({
      orgId: org,
      integrationType: 'dynamics',
      settings: { environmentUrl: 'https://contoso.crm4.dynamics.com' },
      enabled: true,
    });
    expect(connection.credentialsSetAt).toEqual(expect.any(String));
    expect(JSON.stringify(connection)).not.toContain(marker);

    const seen = await asUser(org, 'admin').getConnections(org);
    expect(seen).toEqual([connection]);
    expect(await asUser(randomUUID(), 'admin').getConnections(org)).toEqual([]);

    expect(await service.getConnectionCredentials(org, 'dynamics')).toEqual({
      clientId: 'client',
      clientSecret: marker,
    });
    expect((await caught(asUser(org, 'admin').getConnectionCredentials(org, 'dynamics'))).code).toBe('internal');

    const off = await service.setConnectionEnabled(org, 'dynamics', false);
    expect(off.enabled).toBe(false);
    expect((await caught(service.getConnectionCredentials(org, 'dynamics'))).code).toBe('not_configured');

    expect(await service.deleteConnection(org, 'dynamics')).toBe(true);
    expect(await service.deleteConnection(org, 'dynamics')).toBe(false);
    expect(await db.sql`select 1 from vault.secrets where name like ${`%${org}%`}`).toHaveLength(0);
  });

  it('setConnectionEnabled without a connection is not_found; a malformed type invalid_argument', async () => {
    expect((await caught(service.setConnectionEnabled(randomUUID(), 'xledger', true))).code).toBe('not_found');
    expect(
      (await caught(service.upsertConnection({ orgId: randomUUID(), integrationType: 'X', credentials: { a: 'b' } })))
        .code,
    ).toBe('invalid_argument');
  });
});

describe('Sync now through the repository', () => {
  it('20 concurrent clicks: one run queued, nineteen already_running with its id', async () => {
    const org = randomUUID();
    await service.upsertConnection({ orgId: org, integrationType: 'xledger', credentials: { apiToken: 't' } });
    const pools = Array.from({ length: 20 }, () => postgres(db.url, { max: 1, onnotice: () => {} }));
    try {
      await Promise.all(pools.map((pool) => pool`select 1`));
      const results = await Promise.allSettled(
        pools.map((pool) => new IntegrationsRepository(createSqlRpc(pool, SERVICE)).queueManualRun(org, 'xledger')),
      );
      const queued = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as SyncRunLogError] : []));
      expect(queued).toHaveLength(1);
      expect(queued[0]).toMatchObject({ orgId: org, status: 'pending', triggeredBy: 'manual', heartbeatAt: null });
      expect(refused.map((e) => [e.code, e.status, e.details])).toEqual(
        Array(19).fill(['already_running', 409, { existingRunId: queued[0]?.id }]),
      );
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  it('not_configured without a connection; the executor claims the queued run with its timeout', async () => {
    const org = randomUUID();
    expect((await caught(service.queueManualRun(org, 'bufdir'))).code).toBe('not_configured');
    await service.upsertConnection({ orgId: org, integrationType: 'bufdir', credentials: { apiKey: 'k' } });
    await db.sql`update public.sync_run_log set status = 'cancelled', ended_at = now() where status = 'pending'`;
    const run = await service.queueManualRun(org, 'bufdir');
    const claimed = await service.claimPendingRuns(10);
    expect(claimed).toHaveLength(1);
    expect(claimed[0]?.run).toMatchObject({ id: run.id, status: 'running' });
    expect(claimed[0]?.run.heartbeatAt).toEqual(expect.any(String));
    expect(claimed[0]?.runTimeoutSeconds).toBeNull();
  });

  it('a service-role start while a run is queued is already_running with the queued run id', async () => {
    const org = randomUUID();
    await service.upsertConnection({ orgId: org, integrationType: 'xledger', credentials: { apiToken: 't' } });
    const run = await service.queueManualRun(org, 'xledger');
    const runLog = new SyncRunLogRepository(createSqlRpc(db.sql, SERVICE));
    const error = await caught(runLog.insertRunLog(org, 'xledger', 'manual'));
    expect([error.code, error.details]).toEqual(['already_running', { existingRunId: run.id }]);
  });
});

describe('getIntegrationsOverview', () => {
  const org = randomUUID();
  const now = new Date('2026-12-01T10:07:00Z');

  beforeAll(async () => {
    await service.upsertConnection({
      orgId: org,
      integrationType: 'xledger',
      settings: { companyId: 7 },
      credentials: { apiToken: 'SECRET-TOKEN' },
    });
    await db.sql`select public.upsert_sync_schedule(${org}, 'xledger', '*/15 * * * *', 'UTC', true, 900,
      '2026-01-01T00:00:00Z')`;
    await db.sql`select public.record_sync_alert(${org}, 'stuck_run', 'xledger')`;
    await db.sql`select public.insert_run_log(${org}, 'xledger', 'manual')`;
  });

  it('one entry per known integration type, in the registry order, with next periods from the injected clock', async () => {
    const overview = await asUser(org).getIntegrationsOverview(org, { now });
    expect(overview.map((entry) => entry.integrationType)).toEqual(['xledger', 'dynamics', 'bufdir']);
    const [xledger, dynamics, bufdir] = overview;
    expect(xledger).toMatchObject({
      integrationType: 'xledger',
      connection: { settings: { companyId: 7 }, enabled: true },
      schedule: {
        cronExpression: '*/15 * * * *',
        timeZone: 'UTC',
        runTimeoutSeconds: 900,
        nextPeriods: ['2026-12-01T10:15:00.000Z', '2026-12-01T10:30:00.000Z', '2026-12-01T10:45:00.000Z'],
      },
      health: null,
      lastRun: { status: 'running', triggeredBy: 'manual' },
      openAlerts: 1,
    });
    expect(dynamics).toEqual({
      integrationType: 'dynamics',
      connection: null,
      schedule: null,
      health: null,
      lastRun: null,
      openAlerts: 0,
    });
    expect(bufdir?.connection).toBeNull();
    expect(JSON.stringify(overview)).not.toContain('SECRET-TOKEN');
    expect(JSON.stringify(overview)).not.toMatch(/secret_id|secretId/i);
  });

  it("another org's user gets every known type with nothing in it", async () => {
    const overview = await asUser(randomUUID(), 'admin').getIntegrationsOverview(org, { now });
    expect(
      overview.every((entry) => entry.connection === null && entry.lastRun === null && entry.openAlerts === 0),
    ).toBe(true);
    expect(overview).toHaveLength(3);
  });

  it('an integration with nothing but open alerts still counts them', async () => {
    const lonely = randomUUID();
    await db.sql`select public.record_sync_alert(${lonely}, 'missed_periods', 'bufdir')`;
    const overview = await asUser(lonely).getIntegrationsOverview(lonely, { now });
    expect(overview.find((entry) => entry.integrationType === 'bufdir')).toMatchObject({
      connection: null,
      openAlerts: 1,
    });
  });

  it('an acknowledged alert stops counting', async () => {
    const page = await service.getAlertsPage(org, { limit: 10 });
    await service.acknowledgeAlert(org, page.items[0]?.id as string, randomUUID());
    const [xledger] = await asUser(org).getIntegrationsOverview(org, { now });
    expect(xledger?.openAlerts).toBe(0);
  });
});

describe('getPeriodLedger', () => {
  it('every outcome of the issue from real runs: completed, with failures, late, failed, cancelled, running, missed, upcoming', async () => {
    const org = randomUUID();
    await db.sql`select public.upsert_sync_schedule(${org}, 'xledger', '0 * * * *', 'UTC', true, 1800,
      '2026-12-01T00:00:00Z')`;
    const run = async (hour: number, status: string, driftSeconds: number, failed = 0) => {
      const period = new Date(Date.UTC(2026, 11, 1, hour)).toISOString();
      await db.sql`insert into public.sync_run_log (org_id, integration_type, status, started_at, ended_at,
          triggered_by, scheduled_for, idempotency_key, records_processed, records_failed)
        values (${org}, 'xledger', ${status}, ${period}::timestamptz + make_interval(secs => ${driftSeconds}),
          case when ${status} in ('completed', 'failed', 'cancelled')
            then ${period}::timestamptz + make_interval(secs => ${driftSeconds + 60}) end,
          'scheduler', ${period}, ${`xledger:${period}`}, 5, ${failed})`;
    };
    await run(0, 'completed', 3);
    await run(1, 'completed', 10, 2);
    await run(2, 'completed', 420);
    await run(3, 'failed', 5);
    await run(4, 'cancelled', 5);
    // 05:00 has no run: missed.
    await run(6, 'running', 2);
    // 07:00 (due 2 minutes ago) and 08:00 (in the future): upcoming.
    const archivedPeriod = new Date(Date.UTC(2026, 10, 30, 23)).toISOString(); // before activeFrom, archived
    await db.sql`insert into public.sync_run_log_archive (id, org_id, integration_type, started_at, ended_at, status,
        records_processed, records_failed, triggered_by, scheduled_for, idempotency_key)
      values (${randomUUID()}, ${org}, 'xledger', ${archivedPeriod}, ${archivedPeriod}::timestamptz + interval '1 minute',
        'completed', 1, 0, 'scheduler', ${archivedPeriod}, ${`xledger:${archivedPeriod}`})`;

    const found = await asUser(org).getPeriodLedger(
      org,
      'xledger',
      new Date('2026-11-30T22:00:00Z'),
      new Date('2026-12-01T09:00:00Z'),
      { now: new Date('2026-12-01T07:02:00Z') },
    );
    expect(found?.schedule).toMatchObject({ orgId: org, integrationType: 'xledger', cronExpression: '0 * * * *' });
    const ledger = found?.periods ?? [];
    expect(ledger.map((p) => [p.scheduledFor.slice(11, 16), p.outcome, p.driftSeconds, p.archived])).toEqual([
      ['23:00', 'completed', 0, true],
      ['00:00', 'completed', 3, false],
      ['01:00', 'completed_with_failures', 10, false],
      ['02:00', 'late', 420, false],
      ['03:00', 'failed', 5, false],
      ['04:00', 'cancelled', 5, false],
      ['05:00', 'missed', null, false],
      ['06:00', 'running', 2, false],
      ['07:00', 'upcoming', null, false],
      ['08:00', 'upcoming', null, false],
    ]);
    expect(ledger.every((p) => (p.runId === null) === (p.driftSeconds === null))).toBe(true);

    // Another org's user: no schedule visible, no ledger (not a column of "missed").
    expect(
      await asUser(randomUUID()).getPeriodLedger(
        org,
        'xledger',
        new Date('2026-12-01T00:00:00Z'),
        new Date('2026-12-01T09:00:00Z'),
        { now: new Date('2026-12-01T07:02:00Z') },
      ),
    ).toBeNull();
  });
});

describe('pages with cursors', () => {
  it('alerts: every alert exactly once, newest first, across pages, with microsecond timestamps and ties', async () => {
    const org = randomUUID();
    await db.sql`insert into public.sync_alerts (org_id, kind, created_at)
      select ${org}, 'stuck_run', '2026-12-01T10:00:00.123456Z'::timestamptz - make_interval(secs => (g / 3) * 0.000001)
      from generate_series(1, 23) g`;
    const expected = (
      await db.sql`select id from public.sync_alerts where org_id = ${org} order by created_at desc, id desc`
    ).map((r) => r.id as string);
    const user = asUser(org);
    const seen: string[] = [];
    let before: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await user.getAlertsPage(org, { limit: 5, before });
      seen.push(...page.items.map((alert) => alert.id));
      pages += 1;
      if (!page.nextCursor) break;
      before = page.nextCursor;
    }
    expect(seen).toEqual(expected);
    expect(pages).toBe(5);
    expect((await user.getAlertsPage(org, { limit: 5 })).items[0]).toMatchObject({
      acknowledgedAt: null,
      acknowledgedBy: null,
    });
    expect((await caught(user.getAlertsPage(org, { limit: 5, before: 'garbage!' }))).code).toBe('invalid_argument');
  });

  it('run history: filters and cursors through SyncRunLogRepository, microseconds kept', async () => {
    const org = randomUUID();
    await db.sql`insert into public.sync_run_log (org_id, integration_type, status, started_at, ended_at, triggered_by)
      select ${org}, 'xledger', case when g % 2 = 0 then 'failed' else 'completed' end,
        '2026-12-01T10:00:00.654321Z'::timestamptz - make_interval(secs => (g / 2) * 0.000001),
        '2026-12-01T11:00:00Z', 'manual'
      from generate_series(1, 31) g`;
    const runLog = new SyncRunLogRepository(
      createSqlRpc(db.sql, { role: 'authenticated', claims: userClaims(org, 'admin') }),
    );
    for (const status of [undefined, 'failed'] as const) {
      const expected = (
        await db.sql`select id from public.sync_run_log where org_id = ${org}
          and (${status ?? null}::text is null or status = ${status ?? null}) order by started_at desc, id desc`
      ).map((r) => r.id as string);
      const seen: string[] = [];
      let before: string | undefined;
      for (;;) {
        const page = await runLog.getRunHistoryPage(org, 'xledger', { limit: 4, status, before });
        seen.push(...page.items.map((run) => run.id));
        if (!page.nextCursor) break;
        before = page.nextCursor;
      }
      expect(seen).toEqual(expected);
    }
    const other = new SyncRunLogRepository(
      createSqlRpc(db.sql, { role: 'authenticated', claims: userClaims(randomUUID(), 'admin') }),
    );
    expect(await other.getRunHistoryPage(org, 'xledger', { limit: 10 })).toEqual({ items: [], nextCursor: null });
  });
});
