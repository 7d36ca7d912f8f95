// A drift check or missed-period record the database could not answer is retried within the tick (both are
// idempotent): a moment's outage does not lose the alert. A refusal is not retried: it is reported.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RpcPort } from '../../supabase/functions/_shared/rpc-port.ts';
import { SchedulerRepository } from '../../supabase/functions/_shared/scheduler/scheduler.repository.ts';
import { tick } from '../../supabase/functions/_shared/scheduler/tick.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { alertsOf, databaseNow, floorTo, MINUTE, newOrg, plus, repositories } from './helpers.ts';

let db: TestDatabase;
let repos: ReturnType<typeof repositories>;

beforeAll(async () => {
  db = await createTestDatabase();
  repos = repositories(db.sql);
});
afterAll(() => db.drop());

/**
 * The scheduler repository over a port whose first call of each function in `failing` fails as `failure` says:
 * the connection lost before the call, or a refusal. `lost answer`: the first call of each that recorded an alert
 * commits, and its answer is lost.
 */
function flakyScheduler(
  failing: string[],
  failure: 'lost connection' | 'lost answer' | 'refused',
  options: { orgs?: string[]; times?: number } = {},
) {
  const calls: Record<string, number> = {};
  const lost = new Set<string>();
  const port: RpcPort = {
    async rpc(fn, args) {
      // Calls naming an org other than `orgs` (another test's schedules are due too) go through untouched.
      if (options.orgs && typeof args?.p_org_id === 'string' && !options.orgs.includes(args.p_org_id)) {
        return repos.port.rpc(fn, args);
      }
      calls[fn] = (calls[fn] ?? 0) + 1;
      if (failure === 'lost answer' && failing.includes(fn) && !lost.has(fn)) {
        const result = await repos.port.rpc(fn, args);
        const rows = (result.data ?? []) as { alert_id?: string | null; id?: string }[];
        if (result.error || !rows.some((row) => row.alert_id ?? row.id)) return result;
        lost.add(fn);
        throw new Error('CONNECTION_CLOSED');
      }
      if (failing.includes(fn) && (calls[fn] ?? 0) <= (options.times ?? 1)) {
        if (failure === 'lost connection') throw new Error('CONNECTION_CLOSED');
        return Promise.resolve({
          data: null,
          error: { code: '42501', message: 'permission denied', details: null, hint: null },
        });
      }
      return repos.port.rpc(fn, args);
    },
  };
  return { scheduler: new SchedulerRepository(port), calls, lost };
}

/** One schedule 7 minutes late (a drift alert) and one with 9 missed minutes (a missed-periods alert). */
async function lateAndMissed(now: Date): Promise<{ late: string; missing: string }> {
  const late = newOrg();
  const missing = newOrg();
  const lateMinute = new Date(floorTo(now, 1).getTime() - 7 * MINUTE).getUTCMinutes();
  await repos.scheduler.upsertSchedule({
    orgId: late,
    integrationType: 'xledger',
    cronExpression: `${lateMinute} * * * *`,
    timeZone: 'UTC',
    activeFrom: plus(now, -30 * MINUTE),
  });
  await repos.scheduler.upsertSchedule({
    orgId: missing,
    integrationType: 'bufdir',
    cronExpression: '* * * * *',
    timeZone: 'UTC',
    activeFrom: plus(floorTo(now, 1), -9 * MINUTE),
  });
  return { late, missing };
}

it('retries a drift check and a start with missed periods the database could not answer, and keeps both alerts', async () => {
  const now = await databaseNow(db.sql);
  const { late, missing } = await lateAndMissed(now);
  const flaky = flakyScheduler(['check_run_drift', 'start_scheduled_period'], 'lost connection', {
    orgs: [late, missing],
  });
  const report = await tick(now, { ...repos, scheduler: flaky.scheduler, retryDelaysMs: [1, 1] });

  expect(report.errors).toEqual([]);
  expect((await alertsOf(db.sql, late)).map((a) => a.kind)).toEqual(['schedule_drift']);
  expect((await alertsOf(db.sql, missing)).map((a) => a.kind)).toEqual(['missed_periods']);
  expect(report.alerts.map((a) => a.kind).sort()).toEqual(['missed_periods', 'schedule_drift']);
  expect(flaky.calls.start_scheduled_period).toBe(3); // two periods, the first of them asked twice
});

it('an alert whose first answer was lost after it committed is told all the same, once', async () => {
  const now = await databaseNow(db.sql);
  const { late, missing } = await lateAndMissed(now);
  const flaky = flakyScheduler(['check_run_drift', 'start_scheduled_period'], 'lost answer', { orgs: [late, missing] });
  const report = await tick(now, { ...repos, scheduler: flaky.scheduler, retryDelaysMs: [1, 1] });

  expect(report.errors).toEqual([]);
  const [drift] = await db.sql<{ id: string }[]>`select id from public.sync_alerts where org_id = ${late}`;
  const [missed] = await db.sql<{ id: string }[]>`select id from public.sync_alerts where org_id = ${missing}`;
  const told = (orgId: string) => report.alerts.filter((a) => a.orgId === orgId);
  expect(told(late)).toEqual([expect.objectContaining({ kind: 'schedule_drift', alertId: drift?.id })]);
  expect(told(missing)).toEqual([expect.objectContaining({ kind: 'missed_periods', alertId: missed?.id })]);
  expect(report.missed.filter((m) => m.orgId === missing)).toEqual([expect.objectContaining({ count: 9 })]);
  expect(report.started.filter((s) => s.orgId === missing)).toHaveLength(1);
  expect(flaky.lost).toEqual(new Set(['check_run_drift', 'start_scheduled_period']));
});

it('a start the database could not take at all leaves its missed periods to the next tick, which lists them', async () => {
  const now = await databaseNow(db.sql);
  const { missing } = await lateAndMissed(now);
  // Down for longer than the tick's retries: nothing of the start is committed, the period with the rest.
  const down = flakyScheduler(['start_scheduled_period'], 'lost connection', { orgs: [missing], times: 3 });
  const first = await tick(now, { ...repos, scheduler: down.scheduler, retryDelaysMs: [1, 1] });
  expect(first.errors).toEqual([expect.objectContaining({ stage: 'start', orgId: missing })]);
  expect(await alertsOf(db.sql, missing)).toEqual([]);
  expect(await db.sql`select 1 from public.sync_run_log where org_id = ${missing}`).toHaveLength(0);

  // A minute later, reachable again: the period of now is one more missed period, not a lost one.
  const next = await tick(plus(now, MINUTE), { ...repos, retryDelaysMs: [1, 1] });
  expect(next.missed.filter((m) => m.orgId === missing)).toEqual([expect.objectContaining({ count: 10 })]);
  expect((await alertsOf(db.sql, missing)).map((a) => a.kind)).toEqual(['missed_periods']);
});

/**
 * A tick at `now` of an every-minute schedule of a new org, whose first start_scheduled_period goes through `firstInsert`
 * (the later ones reach the database); its report, the runs it handed to the executor and the inserts tried.
 */
async function tickLosingFirstStart(
  integrationType: string,
  firstInsert: (org: string, period: Date, args: Record<string, unknown> | undefined) => Promise<never>,
) {
  const now = await databaseNow(db.sql);
  const org = newOrg();
  const period = floorTo(now, 1);
  await repos.scheduler.upsertSchedule({
    orgId: org,
    integrationType,
    cronExpression: '* * * * *',
    timeZone: 'UTC',
    activeFrom: plus(period, -30_000),
  });
  let inserts = 0;
  const port: RpcPort = {
    async rpc(fn, args) {
      if (fn !== 'start_scheduled_period' || args?.p_org_id !== org) return repos.port.rpc(fn, args);
      inserts += 1;
      return inserts === 1 ? firstInsert(org, period, args) : repos.port.rpc(fn, args);
    },
  };
  const executed: string[] = [];
  const report = await tick(now, {
    ...repos,
    scheduler: new SchedulerRepository(port),
    retryDelaysMs: [1, 1],
    execute: (run) => void executed.push(run.runId),
  });
  const mine = <T extends { orgId?: string }>(list: T[]) => list.filter((entry) => entry.orgId === org);
  return { org, period, report, executed, inserts, mine };
}

it("a start whose answer was lost after it committed is the tick's own run: executed, not left to the reaper", async () => {
  const { org, period, report, executed, inserts, mine } = await tickLosingFirstStart(
    'xledger',
    async (_, __, args) => {
      const result = await repos.port.rpc('start_scheduled_period', args);
      throw new Error(result.error ? `the insert itself failed: ${result.error.message}` : 'CONNECTION_CLOSED');
    },
  );

  const [row] = await db.sql<{ id: string; status: string }[]>`
    select id, status from public.sync_run_log where org_id = ${org}`;
  expect(inserts).toBe(2);
  expect(mine(report.errors)).toEqual([]);
  expect(mine(report.started)).toEqual([expect.objectContaining({ runId: row?.id, period: period.toISOString() })]);
  expect(executed).toContain(row?.id);
  expect(row?.status).toBe('running');
});

it("a start retried after a lost answer that finds another ticker's run skips the period", async () => {
  const { org, report, executed, mine } = await tickLosingFirstStart('bufdir', async (org, period) => {
    // Another ticker starts the period meanwhile; this one's call never reached the database.
    await repos.runLog.insertRunLog(org, 'bufdir', 'scheduler', {
      scheduledFor: period,
      idempotencyKey: `bufdir:${period.toISOString()}`,
    });
    throw new Error('CONNECTION_CLOSED');
  });

  expect(mine(report.started)).toEqual([]);
  expect(mine(report.skipped)).toEqual([expect.objectContaining({ reason: 'duplicate_period' })]);
  expect(executed).toEqual([]);
  expect(await db.sql`select 1 from public.sync_run_log where org_id = ${org}`).toHaveLength(1);
});

it('does not retry a refusal: the tick reports it', async () => {
  const now = await databaseNow(db.sql);
  const { late, missing } = await lateAndMissed(now);
  const flaky = flakyScheduler(['check_run_drift'], 'refused');
  const report = await tick(now, { ...repos, scheduler: flaky.scheduler, retryDelaysMs: [1, 1] });

  const drift = report.errors.filter((e) => e.stage === 'drift');
  expect(drift).toHaveLength(1);
  expect([late, missing]).toContain(drift[0]?.orgId);
  expect(flaky.calls.check_run_drift).toBe(2); // one per started run: the refused one was not retried
});
