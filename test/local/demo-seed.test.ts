// The demo org `npm start` seeds, on the real database: every outcome of the period ledger over its 14 days, open
// alerts, credentials in Vault only, the database's invariants kept (keys, periods, one active run, the schedules'
// last period), a second seed that changes nothing, DEMO=off that seeds nothing, and a tick right after seeding
// that starts only the next period, never a catch-up of old ones.
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_CONNECTIONS,
  DEMO_ORG_ID,
  type DemoSeedResult,
  demoEnabled,
  demoLines,
  seedDemoOnStart,
  seedDemoOrg,
} from '../../src/local/demo-seed.ts';
import { LOCAL_CREDENTIALS } from '../../src/local/simulated-apis/index.ts';
import {
  type ConnectionSchemas,
  connectionSchemasFor,
  parseConnection,
} from '../../supabase/functions/_shared/integrations/connection-schemas.ts';
import { IntegrationsRepository } from '../../supabase/functions/_shared/integrations.repository.ts';
import { sanitizeErrorMessage } from '../../supabase/functions/_shared/sanitize-error.ts';
import { type PeriodOutcome, schedulePeriods } from '../../supabase/functions/_shared/schedule-periods.ts';
import { parseScheduleCron, periodKey } from '../../supabase/functions/_shared/scheduler/cron.ts';
import type { Schedule } from '../../supabase/functions/_shared/scheduler/schedule.types.ts';
import { SchedulerRepository } from '../../supabase/functions/_shared/scheduler/scheduler.repository.ts';
import { tick } from '../../supabase/functions/_shared/scheduler/tick.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import { asRole, createTestDatabase, SERVICE, type TestDatabase, userClaims } from '../helpers/db.ts';
import { databaseNow, floorTo, MINUTE, plus, repositories } from '../scheduler/helpers.ts';

const DAY = 24 * 60 * MINUTE;
const FUNCTIONS_URL = 'http://127.0.0.1:54321';

/**
 * The seed's clock: 4 minutes into a 5-minute slot, just before the database's clock, so that every period due by
 * then has a run that has ended (none is left to the ticker), and the next period, `base`, is the xledger schedule's.
 */
async function clocks(sql: Sql): Promise<{ seedNow: Date; base: Date }> {
  const base = floorTo(await databaseNow(sql), 5);
  return { seedNow: plus(base, -MINUTE), base };
}

const coordinator = (sql: Sql) => createSqlRpc(sql, { role: 'authenticated', claims: userClaims(DEMO_ORG_ID) });

/** Row counts and an md5 of every row of the demo org, its Vault secrets included. */
async function fingerprint(sql: Sql): Promise<{ rows: number; md5: string }> {
  const [row] = await sql<{ rows: number; md5: string }[]>`
    select count(*)::int as rows, md5(string_agg(t, E'\n' order by t)) as md5 from (
      select 'run ' || r::text as t from public.sync_run_log r where r.org_id = ${DEMO_ORG_ID}
      union all select 'alert ' || a::text from public.sync_alerts a where a.org_id = ${DEMO_ORG_ID}
      union all select 'connection ' || c::text from public.sync_connections c where c.org_id = ${DEMO_ORG_ID}
      union all select 'schedule ' || s::text from public.sync_schedules s where s.org_id = ${DEMO_ORG_ID}
      union all select 'secret ' || v::text from vault.secrets v where v.name like ${`sync_connection:${DEMO_ORG_ID}:%`}
    ) as x`;
  return row as { rows: number; md5: string };
}

/** Every text, json and jsonb value of every table in public and sync_private. */
async function everyStoredText(sql: Sql): Promise<string[]> {
  const columns = await sql<{ schema: string; table: string; column: string }[]>`
    select c.table_schema as schema, c.table_name as table, c.column_name as column
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema in ('public', 'sync_private') and t.table_type = 'BASE TABLE'
      and c.data_type in ('text', 'json', 'jsonb', 'character varying', 'ARRAY', 'bytea')`;
  const values: string[] = [];
  for (const { schema, table, column } of columns) {
    const rows = await sql.unsafe(
      `select "${column}"::text as v from "${schema}"."${table}" where "${column}" is not null`,
    );
    values.push(...rows.map((row) => String(row.v)));
  }
  return values;
}

describe('the seeded demo org', () => {
  let db: TestDatabase;
  let seedNow: Date;
  let result: DemoSeedResult;
  let schedules: Schedule[];

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ seedNow } = await clocks(db.sql));
    result = await seedDemoOrg(db.sql, { now: seedNow });
    schedules = await new SchedulerRepository(coordinator(db.sql)).getSchedules(DEMO_ORG_ID);
  });
  afterAll(() => db.drop());

  it('has a schedule per integration, active 14 days, one every 5 minutes', () => {
    expect(result).toMatchObject({ orgId: DEMO_ORG_ID, seeded: true });
    expect(schedules.map((s) => [s.integrationType, s.cronExpression, s.timeZone, s.enabled])).toEqual([
      ['bufdir', '0 2 * * *', 'Europe/Oslo', true],
      ['dynamics', '0 * * * *', 'Europe/Oslo', true],
      ['xledger', '*/5 * * * *', 'Europe/Oslo', true],
    ]);
    for (const s of schedules) expect(new Date(s.activeFrom).getTime()).toBe(seedNow.getTime() - 14 * DAY);
  });

  it('shows every outcome of the period ledger over the last 14 days, and nothing running that is not real', async () => {
    const repository = new IntegrationsRepository(coordinator(db.sql));
    const outcomes = new Map<PeriodOutcome, number>();
    const from = seedNow.getTime() - 14 * DAY;
    for (const schedule of schedules) {
      // At most 1,000 periods per call: the every-5-minutes schedule in 3-day windows.
      for (let start = from; start < seedNow.getTime(); start += 3 * DAY) {
        const to = new Date(Math.min(start + 3 * DAY, seedNow.getTime() + 1));
        const ledger = await repository.getPeriodLedger(schedule.orgId, schedule.integrationType, new Date(start), to, {
          now: seedNow,
        });
        for (const entry of ledger?.periods ?? []) {
          outcomes.set(entry.outcome, (outcomes.get(entry.outcome) ?? 0) + 1);
        }
      }
    }
    for (const outcome of ['completed', 'completed_with_failures', 'failed', 'cancelled', 'late', 'missed'] as const) {
      expect(outcomes.get(outcome), outcome).toBeGreaterThan(0);
    }
    expect(outcomes.get('running')).toBeUndefined();
    expect(outcomes.get('upcoming')).toBeUndefined();
    expect(outcomes.get('completed')).toBeGreaterThan(4000);
    const [{ active }] = (await db.sql`select count(*)::int as active from public.sync_run_log
      where org_id = ${DEMO_ORG_ID} and status in ('pending', 'running')`) as unknown as [{ active: number }];
    expect(active).toBe(0);
  });

  it('has open alerts (drift, missed periods, a failed export) and acknowledged ones, dated when they happened', async () => {
    const repository = new IntegrationsRepository(coordinator(db.sql));
    const overview = await repository.getIntegrationsOverview(DEMO_ORG_ID, { now: seedNow });
    expect(overview.map((o) => o.integrationType).sort()).toEqual(['bufdir', 'dynamics', 'xledger']);
    for (const entry of overview) {
      expect(entry.connection).toMatchObject({ enabled: true, credentialsSetAt: expect.any(String) });
      expect(entry.schedule?.nextPeriods).toHaveLength(3);
      expect(entry.lastRun).not.toBeNull();
    }
    expect(overview.reduce((sum, o) => sum + o.openAlerts, 0)).toBe(result.openAlerts);
    expect(result.openAlerts).toBeGreaterThan(0);

    const { items } = await repository.getAlertsPage(DEMO_ORG_ID, { limit: 100 });
    const open = items.filter((a) => a.acknowledgedAt === null).map((a) => `${a.integrationType} ${a.kind}`);
    expect(open.sort()).toEqual([
      'bufdir run_failed',
      'dynamics missed_periods',
      'dynamics schedule_drift',
      'xledger missed_periods',
    ]);
    const acknowledged = items.filter((a) => a.acknowledgedAt !== null).map((a) => `${a.integrationType} ${a.kind}`);
    expect(acknowledged.sort()).toEqual([
      'bufdir scheduler_stalled',
      'dynamics scheduler_stalled',
      'dynamics stuck_run',
      'xledger run_failed',
      'xledger scheduler_stalled',
    ]);
    // A run_failed alert is about the failed scheduled run, with its message.
    for (const alert of items.filter((a) => a.kind === 'run_failed')) {
      const [run] =
        await db.sql`select status, triggered_by, error_message from public.sync_run_log where id = ${alert.runId}`;
      expect(run).toMatchObject({ status: 'failed', triggered_by: 'scheduler' });
      expect(alert.details).toMatchObject({ failed_count: 1, error_message: run?.error_message });
    }
    for (const alert of items) {
      expect(new Date(alert.createdAt).getTime()).toBeGreaterThan(seedNow.getTime() - 14 * DAY);
      expect(new Date(alert.createdAt).getTime()).toBeLessThan(seedNow.getTime() - DAY);
      if (alert.kind === 'scheduler_stalled') {
        // About no run: the watchdog's, 8 minutes after the last tick before the outage that missed the periods.
        const lastTick = new Date(alert.details.last_tick_at as string);
        expect(new Date(alert.createdAt).getTime() - lastTick.getTime()).toBe(8 * 60_000);
        const missed = items.filter((a) => a.kind === 'missed_periods').map((a) => a.details.first_missed as string);
        expect(missed.length).toBeGreaterThan(0);
        for (const first of missed) expect(new Date(first).getTime()).toBeGreaterThan(lastTick.getTime());
        continue;
      }
      const [run] = await db.sql`select started_at, ended_at from public.sync_run_log where id = ${alert.runId}`;
      expect(run).toBeDefined(); // every other alert is about a seeded run
    }
  });

  it('keeps the credentials the simulated APIs accept in Vault only, with settings the adapters accept', async () => {
    expect(Object.keys(DEMO_CONNECTIONS).sort()).toEqual(['bufdir', 'dynamics', 'xledger']);
    for (const [type, connection] of Object.entries(DEMO_CONNECTIONS)) {
      const schemas = connectionSchemasFor(type) as ConnectionSchemas;
      expect(parseConnection(type, schemas, connection)).toEqual(connection);
      const [row] = await asRole(
        db.sql,
        SERVICE,
        (tx) => tx`select public.get_connection_credentials(${DEMO_ORG_ID}, ${type}) as c`,
      );
      expect(row?.c).toEqual(connection.credentials);
      expect(row?.c).toEqual(LOCAL_CREDENTIALS[type as keyof typeof LOCAL_CREDENTIALS]);
      const secrets =
        await db.sql`select 1 from vault.secrets where name = ${`sync_connection:${DEMO_ORG_ID}:${type}`}`;
      expect(secrets).toHaveLength(1);
    }
    const stored = await everyStoredText(db.sql);
    expect(stored.some((value) => value.includes('page 1 record 7'))).toBe(true); // the scan sees the run log
    const credentials = Object.values(DEMO_CONNECTIONS).flatMap((c) => Object.values(c.credentials) as string[]);
    expect(credentials).toHaveLength(4);
    for (const credential of credentials) expect(stored.filter((value) => value.includes(credential))).toEqual([]);
  });

  it('keeps the invariants: period keys, real periods, one active run at a time, each schedule at its newest period', async () => {
    const runs = await db.sql<
      {
        integration_type: string;
        triggered_by: string;
        scheduled_for: Date | null;
        idempotency_key: string | null;
        status: string;
        started_at: Date;
        ended_at: Date;
        error_message: string | null;
      }[]
    >`select integration_type, triggered_by, scheduled_for, idempotency_key, status, started_at, ended_at, error_message
      from public.sync_run_log where org_id = ${DEMO_ORG_ID} order by started_at`;
    expect(runs).toHaveLength(result.runs);
    expect(runs.filter((r) => r.triggered_by === 'manual').length).toBeGreaterThanOrEqual(3);
    for (const schedule of schedules) {
      const mine = runs.filter((r) => r.integration_type === schedule.integrationType);
      const periods = new Set(
        schedulePeriods(schedule, new Date(schedule.activeFrom), plus(seedNow, 1), 10_000).map((p) => p.getTime()),
      );
      let newest = 0;
      let previousEnd = 0;
      for (const run of mine) {
        expect(run.started_at.getTime()).toBeGreaterThanOrEqual(previousEnd);
        previousEnd = run.ended_at.getTime();
        expect(run.ended_at.getTime()).toBeLessThanOrEqual(seedNow.getTime());
        if (run.triggered_by === 'manual') {
          expect([run.scheduled_for, run.idempotency_key]).toEqual([null, null]);
          continue;
        }
        const period = run.scheduled_for as Date;
        expect(periods.has(period.getTime())).toBe(true);
        expect(run.idempotency_key).toBe(periodKey(schedule.integrationType, period));
        newest = Math.max(newest, period.getTime());
      }
      expect(new Date(schedule.lastScheduledFor as string).getTime()).toBe(newest);
      // Every period due by the seed's clock has a run or was missed: the next one is after it.
      const { cron } = parseScheduleCron(schedule.cronExpression, schedule.timeZone);
      expect(cron.nextRun(new Date(newest))?.getTime()).toBeGreaterThan(seedNow.getTime());
    }
    const failed = runs.filter((r) => r.status === 'failed');
    expect(failed.length).toBeGreaterThanOrEqual(3);
    for (const run of failed) {
      expect(run.error_message).toBeTruthy();
      expect(run.error_message).toBe(sanitizeErrorMessage(run.error_message as string));
    }
  });

  it('is seeded once: a second seed, later, changes nothing', async () => {
    const before = await fingerprint(db.sql);
    expect(before.rows).toBe(result.runs + result.alerts + 3 + 3 + 3);
    const again = await seedDemoOrg(db.sql, { now: plus(seedNow, 2 * DAY) });
    expect(again).toEqual({ orgId: DEMO_ORG_ID, seeded: false, runs: 0, alerts: 0, openAlerts: 0 });
    expect(await fingerprint(db.sql)).toEqual(before);
  });
});

describe('npm start and the demo org', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('DEMO: off, on, unset (on, but off with DATABASE_URL); anything else is refused', () => {
    expect(demoEnabled({})).toBe(true);
    expect(demoEnabled({ DEMO: 'off' })).toBe(false);
    expect(demoEnabled({ DEMO: 'OFF' })).toBe(false);
    expect(demoEnabled({ DEMO: 'false' })).toBe(false);
    expect(demoEnabled({ DEMO: 'on' })).toBe(true);
    expect(demoEnabled({ DATABASE_URL: 'postgres://db.example:5432/postgres' })).toBe(false);
    expect(demoEnabled({ DATABASE_URL: 'postgres://db.example:5432/postgres', DEMO: 'on' })).toBe(true);
    expect(() => demoEnabled({ DEMO: 'maybe' })).toThrow('DEMO must be on or off, got "maybe"');
  });

  it('seeds nothing with DEMO=off; otherwise seeds and prints the commands; a tick right after starts no catch-up runs', async () => {
    const { seedNow, base } = await clocks(db.sql);
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);

    expect(
      await seedDemoOnStart(db.sql, { env: { DEMO: 'off' }, functionsUrl: FUNCTIONS_URL, log, now: seedNow }),
    ).toBe(null);
    expect(await fingerprint(db.sql)).toMatchObject({ rows: 0 });

    const seeded = await seedDemoOnStart(db.sql, { env: {}, functionsUrl: FUNCTIONS_URL, log, now: seedNow });
    expect(seeded?.seeded).toBe(true);
    const printed = lines.join('\n');
    expect(printed).toContain(`ORG=${DEMO_ORG_ID}`);
    expect(printed).toContain('$(npm run -s token -- --org $ORG --role coordinator)');
    expect(printed).toContain('$(npm run -s token -- --org $ORG --role admin)');
    expect(printed).toContain(`curl -s ${FUNCTIONS_URL}/functions/v1/sync-run-log/`);
    // A stack with other signing, data or port settings prints them with the token commands: pasted elsewhere,
    // `npm run token` must sign with this stack's key, for its issuer, or its tokens are refused.
    const custom = demoLines(seeded as DemoSeedResult, FUNCTIONS_URL, {
      AUTH_SIGNING: 'es256',
      DATA_DIR: "/tmp/my stack's data",
      FUNCTIONS_PORT: '25522',
      DB_PORT: '25533',
    }).join('\n');
    expect(custom).toContain(
      `$(AUTH_SIGNING=es256 DATA_DIR='/tmp/my stack'\\''s data' FUNCTIONS_PORT=25522 npm run -s token -- --org $ORG --role admin)`,
    );

    const repos = repositories(db.sql);
    const scheduleRows = await repos.scheduler.getSchedules(DEMO_ORG_ID);
    const at = await tick(seedNow, repos);
    expect(at.started.filter((s) => s.orgId === DEMO_ORG_ID)).toEqual([]);
    expect(at.missed.filter((s) => s.orgId === DEMO_ORG_ID)).toEqual([]);

    // The next minute's tick starts the xledger period `base`, and at most each schedule's next period: no missed.
    const next = await tick(plus(base, 1000), repos);
    const started = next.started.filter((s) => s.orgId === DEMO_ORG_ID);
    expect(started.map((s) => s.integrationType)).toContain('xledger');
    for (const entry of started) {
      const schedule = scheduleRows.find((s) => s.integrationType === entry.integrationType) as Schedule;
      const { cron } = parseScheduleCron(schedule.cronExpression, schedule.timeZone);
      expect(entry.period).toBe(cron.nextRun(new Date(schedule.lastScheduledFor as string))?.toISOString());
    }
    expect(next.missed.filter((s) => s.orgId === DEMO_ORG_ID)).toEqual([]);
    expect(next.skipped.filter((s) => s.orgId === DEMO_ORG_ID)).toEqual([]);
    const alerts = await db.sql`select 1 from public.sync_alerts where org_id = ${DEMO_ORG_ID}`;
    expect(alerts).toHaveLength(seeded?.alerts as number);
  });
});
