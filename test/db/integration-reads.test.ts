// The status screen's reads on the real database: the integrations overview, the period ledger's runs (hot table
// and archive), alerts (acknowledge, keyset pages) and run history pages. Each as a user of the org under RLS,
// isolated from another org, and each index-backed (checked with EXPLAIN on a deep history).
import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asAuthenticated,
  asRole,
  createTestDatabase,
  SERVICE,
  sqlstate,
  type TestDatabase,
  userClaims,
} from '../helpers/db.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const asService = <T>(fn: (tx: Sql) => Promise<T>) => asRole(db.sql, SERVICE, fn);
const asUser = <T>(orgId: string, fn: (tx: Sql) => Promise<T>, role = 'coordinator') =>
  asAuthenticated(db.sql, userClaims(orgId, role), fn);

const periodKey = (type: string, period: string) => `${type}:${new Date(period).toISOString()}`;

/** A finished scheduler run of a period, inserted as the table owner (the tests' fixture, not the API). */
async function scheduledRun(
  orgId: string,
  type: string,
  period: string,
  startedAfterSeconds: number,
  status = 'completed',
  failed = 0,
): Promise<string> {
  const [row] = await db.sql`insert into public.sync_run_log
      (org_id, integration_type, status, started_at, ended_at, triggered_by, scheduled_for, idempotency_key,
       records_processed, records_failed)
    values (${orgId}, ${type}, ${status}, ${period}::timestamptz + make_interval(secs => ${startedAfterSeconds}),
      case when ${status} in ('completed', 'failed', 'cancelled')
        then ${period}::timestamptz + make_interval(secs => ${startedAfterSeconds + 30}) end,
      'scheduler', ${period}, ${periodKey(type, period)}, 10, ${failed})
    returning id`;
  return row?.id as string;
}

/** Runs of one integration, one a minute back from `newest`, as the owner (bulk fixture). */
async function history(orgId: string, type: string, count: number, newest = '2026-12-01T12:00:00Z') {
  await db.sql`insert into public.sync_run_log
      (org_id, integration_type, status, started_at, ended_at, triggered_by, records_processed)
    select ${orgId}, ${type}, case when g % 5 = 0 then 'failed' else 'completed' end,
      ${newest}::timestamptz - make_interval(mins => g), ${newest}::timestamptz - make_interval(mins => g) + interval '10 s',
      case when g % 3 = 0 then 'scheduler' else 'manual' end, g
    from generate_series(1, ${count}) g`;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Every node of a JSON plan, as "<node type> <relation> <index>" lines. */
function planNodes(text: string): string[] {
  const lines: string[] = [];
  const visit = (node: PlanNode) => {
    lines.push([node['Node Type'], node['Relation Name'] ?? '', node['Index Name'] ?? ''].join(' ').trim());
    for (const child of node.Plans ?? []) visit(child);
  };
  for (const row of JSON.parse(text) as Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>) {
    for (const entry of row['QUERY PLAN']) visit(entry.Plan);
  }
  return lines;
}

/**
 * The generic plan of a parameterised query: the plan a PL/pgSQL function keeps for its statement, whatever the
 * arguments (PostgreSQL 15 has no `explain (generic_plan)`: a prepared statement under force_generic_plan).
 */
async function genericPlan(query: string, types: string[], args: string[]): Promise<string> {
  return db.sql.begin(async (tx) => {
    await tx.unsafe('set local plan_cache_mode = force_generic_plan');
    await tx.unsafe(`prepare generic_plan_check (${types.join(', ')}) as ${query}`);
    try {
      const literals = args.map((arg) => `'${arg.replaceAll("'", "''")}'`).join(', ');
      return JSON.stringify(await tx.unsafe(`explain (format json) execute generic_plan_check (${literals})`));
    } finally {
      await tx.unsafe('deallocate generic_plan_check');
    }
  });
}

describe('get_integrations_overview', () => {
  const org = randomUUID();
  const other = randomUUID();

  beforeAll(async () => {
    await asService(async (tx) => {
      await tx`select public.upsert_sync_connection(${org}, 'xledger', '{"company":"acme"}', '{"apiToken":"SECRET-X"}')`;
      await tx`select public.upsert_sync_schedule(${org}, 'xledger', '*/15 * * * *', 'Europe/Oslo', true, 900)`;
      await tx`select public.upsert_sync_schedule(${org}, 'dynamics', '0 2 * * *')`;
      await tx`select public.register_integration_health(${org}, 'bufdir', now())`;
      await tx`select public.upsert_sync_connection(${other}, 'xledger', '{}', '{"apiToken":"OTHER"}')`;
      await tx`select public.record_sync_alert(${org}, 'stuck_run', 'xledger')`;
      await tx`select public.record_sync_alert(${org}, 'stuck_run', 'xledger')`;
      await tx`select public.record_sync_alert(${org}, 'cold_start', 'bufdir')`;
      await tx`select public.record_sync_alert(${other}, 'stuck_run', 'xledger')`;
    });
    await scheduledRun(org, 'xledger', '2026-12-01T09:00:00Z', 5);
    await scheduledRun(org, 'xledger', '2026-12-01T09:15:00Z', 5, 'failed');
    await scheduledRun(org, 'legacy_type', '2026-11-01T09:00:00Z', 5);
    const [alert] = await db.sql`select id from public.sync_alerts where org_id = ${org} and kind = 'cold_start'`;
    await asService((tx) => tx`select public.acknowledge_sync_alert(${org}, ${alert?.id as string}, null)`);
  });

  const ASKED = ['xledger', 'dynamics', 'bufdir', 'legacy_type', 'unused'];

  async function overview(orgId: string, caller: string, role = 'coordinator', types = ASKED) {
    return asUser(
      caller,
      (tx) =>
        tx`select integration_type, to_jsonb(o) as row from public.get_integrations_overview(${orgId}, ${types}) o`,
      role,
    );
  }

  const nothing = { connection: null, schedule: null, health: null, last_run: null, open_alerts: 0 };

  it('one row per integration asked for, in that order, each part or null, as a coordinator and as an admin', async () => {
    for (const role of ['coordinator', 'admin']) {
      const rows = await overview(org, org, role);
      expect(rows.map((r) => r.integration_type)).toEqual(ASKED);
      const byType = Object.fromEntries(rows.map((r) => [r.integration_type, r.row]));
      expect(byType.xledger).toMatchObject({
        connection: { settings: { company: 'acme' }, enabled: true, integration_type: 'xledger' },
        schedule: { cron_expression: '*/15 * * * *', time_zone: 'Europe/Oslo', run_timeout_seconds: 900 },
        health: null,
        last_run: { status: 'failed', scheduled_for: '2026-12-01T09:15:00+00:00' },
        open_alerts: 2,
      });
      expect(byType.xledger.connection.credentials_set_at).not.toBeNull();
      expect(byType.dynamics).toMatchObject({ connection: null, health: null, last_run: null, open_alerts: 0 });
      expect(byType.dynamics.schedule.cron_expression).toBe('0 2 * * *');
      expect(byType.bufdir).toMatchObject({ connection: null, schedule: null, last_run: null, open_alerts: 0 });
      expect(byType.bufdir.health).toMatchObject({ status: 'unknown', integration_type: 'bufdir' });
      expect(byType.legacy_type).toMatchObject({ connection: null, schedule: null, health: null, open_alerts: 0 });
      expect(byType.legacy_type.last_run).toMatchObject({ integration_type: 'legacy_type', status: 'completed' });
      expect(byType.unused).toMatchObject(nothing);
    }
  });

  it('reads only the integrations asked for', async () => {
    const rows = await overview(org, org, 'coordinator', ['bufdir', 'xledger']);
    expect(rows.map((r) => r.integration_type)).toEqual(['bufdir', 'xledger']);
    expect(rows[1]?.row.open_alerts).toBe(2);
  });

  it('refuses a list that is empty, null, too long, repeated or not of identifiers (SR005), as a user and as the service role', async () => {
    const lists: Array<string[] | null> = [
      [],
      null,
      ['xledger', 'xledger'],
      ['Xledger'],
      ['x'],
      ['xledger', null as unknown as string],
      Array.from({ length: 101 }, (_, i) => `type_${i}`),
    ];
    for (const list of lists) {
      const call = (tx: Sql) => tx`select * from public.get_integrations_overview(${org}, ${list})`;
      expect(await sqlstate(asUser(org, call)), JSON.stringify(list)).toBe('SR005');
      expect(await sqlstate(asService(call)), JSON.stringify(list)).toBe('SR005');
    }
    const hundred = Array.from({ length: 100 }, (_, i) => `type_${i}`);
    expect(await overview(org, org, 'coordinator', hundred)).toHaveLength(100);
  });

  it('never carries credentials or the Vault secret id', async () => {
    const text = JSON.stringify(await overview(org, org));
    expect(text).not.toContain('SECRET-X');
    expect(text).not.toContain('credentials_secret_id');
    const [{ id }] = (await db.sql`select credentials_secret_id as id from public.sync_connections
      where org_id = ${org}`) as unknown as [{ id: string }];
    expect(text).not.toContain(id);
  });

  it("another org's overview shows nothing of it to this org's users; volunteers and bad claims see nothing", async () => {
    // Every row is there (the caller asked for it), and every part of it empty.
    const parts = (rows: readonly Record<string, unknown>[]) =>
      rows.map((r) => {
        const { integration_type: _, ...rest } = r.row as Record<string, unknown>;
        return rest;
      });
    const expected = ASKED.map(() => nothing);
    expect(parts(await overview(other, org))).toEqual(expected);
    expect(parts(await overview(org, other))).toEqual(expected);
    expect(parts(await overview(org, org, 'volunteer'))).toEqual(expected);
    const badClaims = await asAuthenticated(db.sql, { role: 'authenticated', org_id: 'nope' }, (tx) => {
      return tx`select to_jsonb(o) as row from public.get_integrations_overview(${org}, ${ASKED}) o`;
    });
    expect(parts(badClaims)).toEqual(expected);
  });

  it('the service role sees any org', async () => {
    const rows = await asService(
      (tx) => tx`select integration_type, open_alerts from public.get_integrations_overview(${other}, ${['xledger']})`,
    );
    expect(rows).toEqual([{ integration_type: 'xledger', open_alerts: 1 }]);
  });

  it('reads every part by index: no scan of the run log, whatever its length', async () => {
    for (let i = 0; i < 3; i++) await history(randomUUID(), 'xledger', 2000);
    await history(org, 'xledger', 2000, '2026-11-30T00:00:00Z');
    await db.sql`analyze`;
    const body = await db.sql`select prosrc from pg_proc where proname = 'get_integrations_overview'`;
    expect(body).toHaveLength(1);
    const query = /return query([\s\S]*);\s*end/.exec(String(body[0]?.prosrc))?.[1] ?? '';
    expect(query).toContain('unnest(p_integration_types)');
    const text = await genericPlan(
      query.replaceAll('p_org_id', '$1').replaceAll('p_integration_types', '$2'),
      ['uuid', 'text[]'],
      [org, `{${ASKED.join(',')}}`],
    );
    const nodes = planNodes(text);
    expect(nodes).toContain('Index Scan sync_run_log sync_run_log_org_integration_started_idx');
    // The small tables (connections, schedules, health, alerts) may be scanned while they are small; the run log never.
    expect(nodes.filter((node) => node.startsWith('Seq Scan sync_run_log'))).toEqual([]);
    expect((await overview(org, org)).map((r) => r.integration_type)).toContain('xledger');
  });

  it('counts the open alerts from the partial index', async () => {
    // As alerts accumulate, most get acknowledged: the open ones are a small part of the table.
    await db.sql`insert into public.sync_alerts (org_id, kind, integration_type, acknowledged_at)
      select case when g % 2 = 0 then ${org}::uuid else gen_random_uuid() end, 'stuck_run', 'xledger',
        case when g % 100 <> 0 then now() end
      from generate_series(1, 6000) g`;
    await db.sql`analyze public.sync_alerts`;
    const text = await genericPlan(
      `select count(*) from public.sync_alerts a
       where a.org_id = $1 and a.integration_type = $2 and a.acknowledged_at is null`,
      ['uuid', 'text'],
      [org, 'xledger'],
    );
    expect(planNodes(text).some((node) => node.endsWith('sync_alerts_open_idx'))).toBe(true);
  });
});

describe('get_period_runs', () => {
  const org = randomUUID();
  const periods = [
    '2026-12-01T08:00:00Z',
    '2026-12-01T08:15:00Z',
    '2026-12-01T08:30:00Z',
    '2026-12-01T08:45:00Z',
    '2026-12-01T09:00:00Z',
  ];
  const FROM = '2026-12-01T08:00:00Z';
  const TO = '2026-12-01T09:00:00.001Z';
  let ids: string[] = [];

  beforeAll(async () => {
    await asService(
      (tx) => tx`select public.upsert_sync_schedule(${org}, 'xledger', '*/15 * * * *', 'UTC', true, 1800,
        '2026-11-01T00:00:00Z')`,
    );
    const first = await scheduledRun(org, 'xledger', periods[0] as string, 4.25, 'completed', 0);
    const second = await scheduledRun(org, 'xledger', periods[1] as string, 400, 'completed', 2);
    // periods[2]: no run of the scheduler's. Not its runs: a manual run, and a run whose key has another shape.
    await db.sql`insert into public.sync_run_log (org_id, integration_type, status, started_at, ended_at, triggered_by)
      values (${org}, 'xledger', 'completed', ${periods[2] as string}, ${periods[2] as string}::timestamptz + interval '1 s', 'manual')`;
    await db.sql`insert into public.sync_run_log (org_id, integration_type, status, started_at, ended_at, triggered_by,
        scheduled_for, idempotency_key)
      values (${org}, 'xledger', 'completed', ${periods[2] as string}, ${periods[2] as string}::timestamptz + interval '1 s',
        'scheduler', ${periods[2] as string}, 'xledger:2026-12-01T08:30:00Z')`;
    // periods[3]: a run that was archived.
    const archived = await scheduledRun(org, 'xledger', periods[3] as string, 12, 'failed');
    await db.sql`insert into public.sync_run_log_archive select * from public.sync_run_log where id = ${archived}`;
    await db.sql`delete from public.sync_run_log where id = ${archived}`;
    // periods[4]: a run that started two days after its period: found by its period all the same.
    const late = await scheduledRun(org, 'xledger', periods[4] as string, 2 * 86_400, 'completed', 0);
    ids = [first, second, late, archived];
    // Nor another integration's run of a period, or a run of a period just outside the range.
    await scheduledRun(org, 'dynamics', periods[2] as string, 1);
    await scheduledRun(org, 'xledger', '2026-12-01T09:15:00Z', 1);
  });

  interface Columns {
    key: string[];
    scheduledFor: number[];
    id: string[];
    status: string[];
    startedAt: string[];
    endedAt: Array<string | null>;
    recordsProcessed: number[];
    recordsFailed: number[];
    archivedIds: string[];
  }

  async function ledger(caller: string, orgId = org, from = FROM, to = TO, role = 'coordinator') {
    const [row] = await asUser(
      caller,
      (tx) => tx`select public.get_period_runs(${orgId}, 'xledger', ${from}, ${to}) as data`,
      role,
    );
    return row?.data as { schedule: Record<string, unknown>; runs: Columns } | null;
  }
  const runs = async (...args: Parameters<typeof ledger>) => (await ledger(...args))?.runs ?? null;

  it("the schedule, and the scheduler runs of the range's periods, hot then archived, column by column", async () => {
    expect((await ledger(org))?.schedule).toMatchObject({
      org_id: org,
      integration_type: 'xledger',
      cron_expression: '*/15 * * * *',
      time_zone: 'UTC',
      enabled: true,
    });
    const data = (await runs(org)) as Columns;
    expect(data.id).toEqual(ids);
    expect(data.key).toEqual([0, 1, 4, 3].map((i) => periodKey('xledger', periods[i] as string)));
    expect(data.scheduledFor).toEqual([0, 1, 4, 3].map((i) => Date.parse(periods[i] as string)));
    expect(data.status).toEqual(['completed', 'completed', 'completed', 'failed']);
    expect(data.recordsProcessed).toEqual([10, 10, 10, 10]);
    expect(data.recordsFailed).toEqual([0, 2, 0, 0]);
    expect(data.archivedIds).toEqual([ids[3]]);
    // Timestamps as to_json renders timestamptz (the session's zone is UTC), to the microsecond.
    expect(data.startedAt[0]).toBe('2026-12-01T08:00:04.25+00:00');
    expect(data.endedAt[0]).toBe('2026-12-01T08:00:34.25+00:00');
    expect(data.startedAt[2]).toBe('2026-12-03T09:00:00+00:00');
  });

  it('empty columns for a range without runs, null for another org, a volunteer, or without a schedule', async () => {
    const empty = await runs(org, org, '2026-12-02T08:00:00Z', '2026-12-02T09:00:00Z');
    expect(empty).toEqual({
      key: [],
      scheduledFor: [],
      id: [],
      status: [],
      startedAt: [],
      endedAt: [],
      recordsProcessed: [],
      recordsFailed: [],
      archivedIds: [],
    });
    expect(await ledger(randomUUID())).toBeNull();
    expect(await ledger(org, org, FROM, TO, 'volunteer')).toBeNull();
    const [none] = await asService(
      (tx) => tx`select public.get_period_runs(${org}, 'dynamics', ${FROM}, ${TO}) as data`,
    );
    expect(none?.data).toBeNull();
  });

  it('refuses an empty or missing range and a malformed integration type (SR005)', async () => {
    expect(await sqlstate(runs(org, org, TO, FROM))).toBe('SR005');
    expect(await sqlstate(runs(org, org, FROM, FROM))).toBe('SR005');
    expect(await sqlstate(asService((tx) => tx`select public.get_period_runs(${org}, 'xledger', null, ${TO})`))).toBe(
      'SR005',
    );
    expect(await sqlstate(asService((tx) => tx`select public.get_period_runs(${org}, 'Bad', ${FROM}, ${TO})`))).toBe(
      'SR005',
    );
  });

  it('refuses a range with more than 10,000 runs (SR005)', async () => {
    const busy = randomUUID();
    await asService(
      (tx) => tx`select public.upsert_sync_schedule(${busy}, 'xledger', '* * * * *', 'UTC', true, 1800,
        '2026-01-01T00:00:00Z')`,
    );
    await db.sql`insert into public.sync_run_log
        (org_id, integration_type, status, started_at, ended_at, triggered_by, scheduled_for, idempotency_key)
      select ${busy}, 'xledger', 'completed', p, p + interval '1 s', 'scheduler', p,
        'xledger:' || to_char(p at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      from generate_series('2026-01-01T00:00:00Z'::timestamptz, '2026-01-01T00:00:00Z'::timestamptz + interval '10000 minutes', interval '1 minute') p`;
    // 10,001 runs in the month, 10,000 in its first 10,000 minutes.
    expect(await sqlstate(runs(busy, busy, '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'))).toBe('SR005');
    const fits = await runs(busy, busy, '2026-01-01T00:00:00Z', '2026-01-07T22:40:00Z');
    expect(fits?.id).toHaveLength(10_000);
  });

  it("reads the hot table and the archive by their period indexes, in the function's generic plan", async () => {
    const busy = randomUUID();
    await history(busy, 'xledger', 3000);
    await db.sql`insert into public.sync_run_log
        (org_id, integration_type, status, started_at, ended_at, triggered_by, scheduled_for, idempotency_key)
      select ${busy}, 'xledger', 'completed', p, p + interval '1 s', 'scheduler', p,
        'xledger:' || to_char(p at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      from generate_series('2026-11-01T00:00:00Z'::timestamptz, '2026-12-01T00:00:00Z', interval '15 minutes') p`;
    await db.sql`insert into public.sync_run_log_archive select * from public.sync_run_log where org_id = ${busy}`;
    await db.sql`analyze public.sync_run_log`;
    await db.sql`analyze public.sync_run_log_archive`;
    const scan = (table: string) => `select r.id from public.${table} r
      where r.org_id = $1 and r.integration_type = $2 and r.scheduled_for >= $3 and r.scheduled_for < $4
        and r.idempotency_key like $2 || ':____-__-__T__:__:__.___Z'`;
    const args = [busy, 'xledger', '2026-12-01T08:00:00Z', '2026-12-01T09:00:00Z'];
    const types = ['uuid', 'text', 'timestamptz', 'timestamptz'];
    const hot = planNodes(await genericPlan(scan('sync_run_log'), types, args));
    expect(hot.some((node) => node.endsWith('sync_run_log_org_integration_period_idx'))).toBe(true);
    const archive = planNodes(await genericPlan(scan('sync_run_log_archive'), types, args));
    expect(archive.some((node) => node.endsWith('sync_run_log_archive_org_integration_period_idx'))).toBe(true);
  });
});

describe('alerts: acknowledge and pages', () => {
  const org = randomUUID();
  const other = randomUUID();
  const user = randomUUID();
  let ids: string[] = [];

  beforeAll(async () => {
    // 25 alerts, 5 of them sharing one created_at (ties are ordered by id, newest first).
    await db.sql`insert into public.sync_alerts (org_id, kind, integration_type, created_at)
      select ${org}, 'stuck_run', 'xledger', '2026-12-01T12:00:00Z'::timestamptz - make_interval(mins => least(g, 20))
      from generate_series(1, 25) g`;
    await db.sql`insert into public.sync_alerts (org_id, kind, created_at) values (${other}, 'stuck_run', now())`;
    ids = (await db.sql`select id from public.sync_alerts where org_id = ${org} order by created_at desc, id desc`).map(
      (r) => r.id as string,
    );
  });

  async function page(caller: string, limit: number, before: { at: Date; id: string } | null) {
    return asUser(
      caller,
      (tx) => tx`select id, created_at from public.get_sync_alerts_page(${org}, ${limit},
        ${before?.at ?? null}, ${before?.id ?? null})`,
    );
  }

  it('walks every alert newest first, page by page, each exactly once (ties included)', async () => {
    const seen: string[] = [];
    let before: { at: Date; id: string } | null = null;
    for (;;) {
      const rows = await page(org, 7, before);
      seen.push(...rows.map((r) => r.id as string));
      if (rows.length < 7) break;
      const last = rows.at(-1) as { id: string; created_at: Date };
      // A cursor with the database's own microseconds, as the repository keeps them.
      const [{ at }] = (await db.sql`select created_at as at from public.sync_alerts
        where id = ${last.id}`) as unknown as [{ at: Date }];
      before = { at, id: last.id };
    }
    expect(seen).toEqual(ids);
  });

  it("a user of another org gets no page of this org's alerts", async () => {
    expect(await page(other, 10, null)).toEqual([]);
  });

  it('refuses a half cursor or a limit outside 1..1000 (SR005)', async () => {
    expect(
      await sqlstate(asService((tx) => tx`select * from public.get_sync_alerts_page(${org}, 10, now(), null)`)),
    ).toBe('SR005');
    expect(await sqlstate(asService((tx) => tx`select * from public.get_sync_alerts_page(${org}, 0)`))).toBe('SR005');
  });

  it('acknowledges once for the org (by whom, when), keeps the first, and is SR003 for another org', async () => {
    const id = ids[0] as string;
    const [first] = await asService(
      (tx) => tx`select acknowledged_at, acknowledged_by from public.acknowledge_sync_alert(${org}, ${id}, ${user})`,
    );
    expect(first?.acknowledged_by).toBe(user);
    expect(first?.acknowledged_at).toBeInstanceOf(Date);
    const [again] = await asService(
      (tx) =>
        tx`select acknowledged_at, acknowledged_by from public.acknowledge_sync_alert(${org}, ${id}, ${randomUUID()})`,
    );
    expect(again).toEqual(first);
    expect(
      await sqlstate(asService((tx) => tx`select public.acknowledge_sync_alert(${other}, ${ids[1] as string}, null)`)),
    ).toBe('SR003');
    expect(
      await sqlstate(asService((tx) => tx`select public.acknowledge_sync_alert(${org}, ${randomUUID()}, null)`)),
    ).toBe('SR003');
    const [untouched] = await db.sql`select acknowledged_at from public.sync_alerts where id = ${ids[1] as string}`;
    expect(untouched?.acknowledged_at).toBeNull();
  });

  it('a user can acknowledge nothing directly, even of their own org', async () => {
    for (const call of [
      (tx: Sql) => tx`select public.acknowledge_sync_alert(${org}, ${ids[2] as string}, null)`,
      (tx: Sql) => tx`update public.sync_alerts set acknowledged_at = now() where id = ${ids[2] as string}`,
    ]) {
      expect(await sqlstate(asUser(org, call, 'admin'))).toBe('42501');
    }
  });

  it('a deep page is one index range scan, never a sort', async () => {
    await db.sql`insert into public.sync_alerts (org_id, kind, created_at)
      select ${org}, 'stuck_run', now() - make_interval(secs => g) from generate_series(1, 3000) g`;
    await db.sql`analyze public.sync_alerts`;
    const text = await genericPlan(
      `select a.* from public.sync_alerts a where a.org_id = $1 and (a.created_at, a.id) < ($2, $3)
       order by a.created_at desc, a.id desc limit $4`,
      ['uuid', 'timestamptz', 'uuid', 'integer'],
      [org, new Date(Date.now() - 1_000_000).toISOString(), randomUUID(), '50'],
    );
    expect(text).toContain('sync_alerts_org_created_id_idx');
    expect(text).not.toMatch(/"Node Type":"(Incremental )?Sort"/);
  });
});

describe('get_run_history_page', () => {
  const org = randomUUID();

  beforeAll(async () => {
    await history(org, 'xledger', 100);
    // Three runs with the same started_at: the id breaks the tie.
    await db.sql`insert into public.sync_run_log (org_id, integration_type, status, started_at, ended_at, triggered_by)
      select ${org}, 'xledger', 'completed', '2026-12-01T11:00:30Z', '2026-12-01T11:01:00Z', 'manual'
      from generate_series(1, 3)`;
  });

  async function walk(caller: string, limit: number, status: string | null, trigger: string | null) {
    const seen: Array<{ id: string; status: string; triggered_by: string }> = [];
    let before: { at: Date; id: string } | null = null;
    for (;;) {
      const rows = await asUser(
        caller,
        (tx) => tx`select id, status, triggered_by, started_at from public.get_run_history_page(${org}, 'xledger',
          ${limit}, ${status}, ${trigger}, ${before?.at ?? null}, ${before?.id ?? null})`,
      );
      seen.push(...(rows as unknown as typeof seen));
      if (rows.length < limit) return seen;
      const last = rows.at(-1) as { id: string; started_at: Date };
      before = { at: last.started_at, id: last.id }; // whole seconds here: a Date keeps them exactly
    }
  }

  it('pages through the whole history newest first, each run once, with every filter combination', async () => {
    const all = await db.sql`select id, status, triggered_by from public.sync_run_log
      where org_id = ${org} order by started_at desc, id desc`;
    for (const [status, trigger] of [
      [null, null],
      ['failed', null],
      [null, 'scheduler'],
      ['completed', 'manual'],
    ] as const) {
      const expected = all.filter(
        (r) => (status === null || r.status === status) && (trigger === null || r.triggered_by === trigger),
      );
      expect(expected.length).toBeGreaterThan(10);
      const seen = await walk(org, 9, status, trigger);
      expect(seen.map((r) => r.id)).toEqual(expected.map((r) => r.id));
    }
  });

  it("is empty for another org's user", async () => {
    expect(await walk(randomUUID(), 10, null, null)).toEqual([]);
  });

  it('refuses an unknown status or trigger, a half cursor and a bad limit (SR005)', async () => {
    const calls = [
      (tx: Sql) => tx`select * from public.get_run_history_page(${org}, 'xledger', 10, 'done')`,
      (tx: Sql) => tx`select * from public.get_run_history_page(${org}, 'xledger', 10, null, 'cron')`,
      (tx: Sql) => tx`select * from public.get_run_history_page(${org}, 'xledger', 10, null, null, now(), null)`,
      (tx: Sql) => tx`select * from public.get_run_history_page(${org}, 'xledger', 1001)`,
      (tx: Sql) => tx`select * from public.get_run_history_page(${org}, null, 10)`,
    ];
    for (const call of calls) expect(await sqlstate(asService(call))).toBe('SR005');
  });

  it('a deep page with filters walks the history index from the cursor: no sort of the history', async () => {
    await history(org, 'xledger', 5000, '2026-11-01T00:00:00Z');
    for (let i = 0; i < 4; i++) await history(randomUUID(), 'xledger', 2000, '2026-11-01T00:00:00Z');
    await db.sql`analyze public.sync_run_log`;
    // The statement get_run_history_page runs for a page after a cursor, with its arguments as parameters.
    const text = await genericPlan(
      `select r.* from public.sync_run_log r
       where r.org_id = $1 and r.integration_type = $2 and (r.started_at, r.id) < ($3, $4)
         and ($5::text is null or r.status = $5) and ($6::text is null or r.triggered_by = $6)
       order by r.started_at desc, r.id desc limit $7`,
      ['uuid', 'text', 'timestamptz', 'uuid', 'text', 'text', 'integer'],
      [org, 'xledger', '2026-10-30T00:00:00Z', randomUUID(), 'failed', 'manual', '50'],
    );
    expect(text).toContain('"Index Name":"sync_run_log_org_integration_started_idx"');
    expect(text).toMatch(
      /"Index Cond":"\(\(org_id = \$1\) AND \(integration_type = \$2\) AND \(started_at <= \$3\)\)"/,
    );
    expect(text).not.toContain('"Node Type":"Sort"');
  });
});
