// The tick against a real database: what it starts, skips and misses, manual runs, restart after downtime.
// The clock is injected; it is anchored to the database's clock (docs/decisions.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunExecutor } from '../../supabase/functions/_shared/scheduler/executor.ts';
import { tick } from '../../supabase/functions/_shared/scheduler/tick.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import {
  alertsOf,
  databaseNow,
  emptyConnections,
  floorTo,
  MINUTE,
  newOrg,
  pagedAdapter,
  plus,
  recordingLogger,
  repositories,
  runsOf,
} from './helpers.ts';

let db: TestDatabase;
let repos: ReturnType<typeof repositories>;

beforeAll(async () => {
  db = await createTestDatabase();
  repos = repositories(db.sql);
});
afterAll(() => db.drop());

describe('tick', () => {
  it('starts the due period once, with its period and key; the next tick of that minute starts nothing', async () => {
    const org = newOrg();
    const base = plus(floorTo(await databaseNow(db.sql), 1), MINUTE);
    await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'xledger',
      cronExpression: '* * * * *',
      activeFrom: base,
    });

    expect((await tick(plus(base, -1000), repos)).started.filter((s) => s.orgId === org)).toEqual([]);
    const first = await tick(plus(base, 20_000), repos);
    const mine = first.started.filter((s) => s.orgId === org);
    expect(mine).toEqual([expect.objectContaining({ integrationType: 'xledger', period: base.toISOString() })]);
    const again = await tick(plus(base, 40_000), repos);
    expect(again.started.filter((s) => s.orgId === org)).toEqual([]);
    expect(again.skipped.filter((s) => s.orgId === org)).toEqual([]);

    const [run] = await runsOf(db.sql, org);
    expect(run).toMatchObject({
      triggered_by: 'scheduler',
      status: 'running',
      idempotency_key: `xledger:${base.toISOString()}`,
    });
    expect(run?.scheduled_for?.toISOString()).toBe(base.toISOString());
  });

  it('a tick that read the schedules before another started the period is refused by the database: duplicate_period', async () => {
    const org = newOrg();
    const base = plus(floorTo(await databaseNow(db.sql), 1), MINUTE);
    await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'dynamics',
      cronExpression: '* * * * *',
      activeFrom: base,
    });
    const stale = (await repos.scheduler.getSchedulesForTick()).filter((s) => s.orgId === org);
    await tick(plus(base, 5_000), repos);

    const staleScheduler = Object.assign(Object.create(repos.scheduler), { getSchedulesForTick: async () => stale });
    const late = await tick(plus(base, 50_000), { ...repos, scheduler: staleScheduler });
    expect(late.started.filter((s) => s.orgId === org)).toEqual([]);
    expect(late.skipped.filter((s) => s.orgId === org)).toEqual([
      { orgId: org, integrationType: 'dynamics', period: base.toISOString(), reason: 'duplicate_period' },
    ]);
    expect(await runsOf(db.sql, org)).toHaveLength(1);
  });

  it('a delayed tick never starts an older period after a newer one started: superseded', async () => {
    const org = newOrg();
    const base = plus(floorTo(await databaseNow(db.sql), 1), MINUTE);
    await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'bufdir',
      cronExpression: '* * * * *',
      activeFrom: base,
    });
    const stale = (await repos.scheduler.getSchedulesForTick()).filter((s) => s.orgId === org);
    const executor = new RunExecutor({
      connections: emptyConnections,
      runLog: repos.runLog,
      adapters: { bufdir: pagedAdapter('bufdir') },
      log: recordingLogger(),
    });
    await tick(plus(base, MINUTE + 5_000), { ...repos, execute: (run) => executor.start(run) });
    await executor.idle();

    const staleScheduler = Object.assign(Object.create(repos.scheduler), { getSchedulesForTick: async () => stale });
    const delayed = await tick(plus(base, 10_000), { ...repos, scheduler: staleScheduler });
    expect(delayed.skipped.filter((s) => s.orgId === org)).toEqual([
      { orgId: org, integrationType: 'bufdir', period: base.toISOString(), reason: 'superseded' },
    ]);
    expect((await runsOf(db.sql, org)).map((r) => r.scheduled_for?.toISOString())).toEqual([
      plus(base, MINUTE).toISOString(),
    ]);
  });

  it('a period whose previous run is still running is skipped (already_running) and runs once the slot is free', async () => {
    const org = newOrg();
    const base = plus(floorTo(await databaseNow(db.sql), 5), 5 * MINUTE);
    await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'xledger',
      cronExpression: '*/5 * * * *',
      activeFrom: base,
    });
    const manual = await repos.runLog.insertRunLog(org, 'xledger', 'manual');

    const busy = await tick(plus(base, 10_000), repos);
    expect(busy.skipped.filter((s) => s.orgId === org)).toEqual([
      { orgId: org, integrationType: 'xledger', period: base.toISOString(), reason: 'already_running' },
    ]);
    await repos.runLog.updateRunLogStatus(manual, 'completed', 5, 0, null);
    const free = await tick(plus(base, 70_000), repos);
    expect(free.started.filter((s) => s.orgId === org).map((s) => [s.orgId, s.period])).toEqual([
      [org, base.toISOString()],
    ]);
  });

  it('a manual run does not swallow the period: it takes no period key, and one with a period-shaped key is refused', async () => {
    const org = newOrg();
    const base = plus(floorTo(await databaseNow(db.sql), 1), MINUTE);
    await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'xledger',
      cronExpression: '* * * * *',
      activeFrom: base,
    });
    const manual = await repos.runLog.insertRunLog(org, 'xledger', 'manual', { idempotencyKey: 'button-click-1' });
    await repos.runLog.updateRunLogStatus(manual, 'completed', 1, 0, null);
    await expect(
      repos.runLog.insertRunLog(org, 'xledger', 'manual', { idempotencyKey: `xledger:${base.toISOString()}` }),
    ).rejects.toMatchObject({ code: 'invalid_argument' });

    const report = await tick(plus(base, 30_000), repos);
    expect(report.started.filter((s) => s.orgId === org).map((s) => s.period)).toEqual([base.toISOString()]);
    const runs = await runsOf(db.sql, org);
    expect(runs.map((r) => r.triggered_by)).toEqual(['scheduler', 'manual']);
  });

  it('restart after downtime: one run for the latest period, the skipped ones recorded as missed, no storm', async () => {
    const org = newOrg();
    const base = plus(floorTo(await databaseNow(db.sql), 5), 5 * MINUTE);
    await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'dynamics',
      cronExpression: '*/5 * * * *',
      activeFrom: base,
    });
    const log = recordingLogger();
    const executor = new RunExecutor({
      connections: emptyConnections,
      runLog: repos.runLog,
      adapters: { dynamics: pagedAdapter('dynamics') },
      log,
    });
    const deps = { ...repos, log, execute: (run: Parameters<RunExecutor['start']>[0]) => executor.start(run) };
    for (let minute = 0; minute <= 20; minute++) {
      await tick(plus(base, minute * MINUTE + 15_000), deps);
      await executor.idle();
    }
    // Down from minute 21 to minute 80 (11 periods: 25, 30, ..., 75). Back at 82:
    const back = await tick(plus(base, 82 * MINUTE), deps);
    await executor.idle();
    const mine = back.started.filter((s) => s.orgId === org);
    expect(mine.map((s) => s.period)).toEqual([plus(base, 80 * MINUTE).toISOString()]);
    const missed = back.missed.filter((m) => m.orgId === org);
    expect(missed).toEqual([expect.objectContaining({ orgId: org, count: 11 })]);
    expect(missed[0]?.periods).toHaveLength(11);
    expect(missed[0]?.periods[0]).toBe(plus(base, 25 * MINUTE).toISOString());

    const runs = await runsOf(db.sql, org);
    expect(runs.map((r) => (r.scheduled_for as Date).getTime() - base.getTime())).toEqual(
      [0, 5, 10, 15, 20, 80].map((m) => m * MINUTE),
    );
    expect(runs.every((r) => r.status === 'completed' && r.records_processed === 20)).toBe(true);
    const alerts = await alertsOf(db.sql, org);
    expect(alerts.map((a) => a.kind)).toEqual(['missed_periods']);
    expect(alerts[0]?.details).toMatchObject({ missed_count: 11, ran_instead: expect.any(String) });
    expect(log.lines.some((l) => l.fields.event === 'sync_alert' && l.fields.kind === 'missed_periods')).toBe(true);

    // The next tick finds nothing more to do: the gap is not caught up.
    const after = await tick(plus(base, 83 * MINUTE), deps);
    expect(after.started.filter((s) => s.orgId === org)).toEqual([]);
  });

  it('a schedule whose expression changed starts from the change: no catch-up run, no missed periods before it', async () => {
    const org = newOrg();
    const period = plus(floorTo(await databaseNow(db.sql), 5), -60 * MINUTE); // a daily period an hour ago
    await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'xledger',
      cronExpression: `${period.getUTCMinutes()} ${period.getUTCHours()} * * *`,
      timeZone: 'UTC',
      activeFrom: plus(period, -60 * MINUTE),
    });
    const executor = new RunExecutor({
      connections: emptyConnections,
      runLog: repos.runLog,
      adapters: { xledger: pagedAdapter('xledger', 1) },
      log: recordingLogger(),
    });
    const deps = { ...repos, execute: (run: Parameters<RunExecutor['start']>[0]) => executor.start(run) };
    const daily = await tick(plus(period, 15_000), deps);
    await executor.idle();
    expect(daily.started.filter((s) => s.orgId === org).map((s) => s.period)).toEqual([period.toISOString()]);

    // Every 5 minutes from now on: the twelve periods since the daily run were never due.
    await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'xledger',
      cronExpression: '*/5 * * * *',
      timeZone: 'UTC',
    });
    const changed = await tick(await databaseNow(db.sql), deps);
    expect(changed.started.filter((s) => s.orgId === org)).toEqual([]);
    expect(changed.missed.filter((m) => m.orgId === org)).toEqual([]);
    const next = plus(floorTo(await databaseNow(db.sql), 5), 5 * MINUTE);
    const first = await tick(plus(next, 15_000), deps);
    await executor.idle();
    expect(first.started.filter((s) => s.orgId === org).map((s) => s.period)).toEqual([next.toISOString()]);
    expect(first.missed.filter((m) => m.orgId === org)).toEqual([]);
    expect((await runsOf(db.sql, org)).map((r) => (r.scheduled_for as Date).toISOString())).toEqual([
      period.toISOString(),
      next.toISOString(),
    ]);
    expect((await alertsOf(db.sql, org)).map((a) => a.kind)).not.toContain('missed_periods');
  });

  it('across the Europe/Oslo DST changes, a daily 02:30 schedule starts exactly one run a day', async () => {
    // A past window, ticked every 20 simulated minutes: only the periods matter here (their drift against the
    // database's clock is months, which this test ignores).
    const org = newOrg();
    await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'bufdir',
      cronExpression: '30 2 * * *',
      activeFrom: new Date('2026-03-27T12:00:00Z'),
    });
    const executor = new RunExecutor({
      connections: emptyConnections,
      runLog: repos.runLog,
      adapters: { bufdir: pagedAdapter('bufdir', 1) },
      log: recordingLogger(),
    });
    const deps = {
      ...repos,
      execute: (run: Parameters<RunExecutor['start']>[0]) => executor.start(run),
      driftThresholdSeconds: 86_400 * 365,
    };
    for (const [from, to] of [
      ['2026-03-27T12:00:00Z', '2026-03-31T12:00:00Z'],
      ['2026-10-23T12:00:00Z', '2026-10-27T12:00:00Z'],
    ] as const) {
      for (let t = new Date(from).getTime(); t <= new Date(to).getTime(); t += 20 * MINUTE) {
        await tick(new Date(t), deps);
        await executor.idle();
      }
    }
    const periods = (await runsOf(db.sql, org)).map((r) => r.scheduled_for?.toISOString());
    expect(periods).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z', // 02:30 does not exist that day: 03:00 CEST
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
      '2026-10-23T00:30:00.000Z', // back after months: one catch-up run for the latest missed period
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z', // the first of the two 02:30s
      '2026-10-26T01:30:00.000Z',
      '2026-10-27T01:30:00.000Z',
    ]);
    // The months between the two windows were a downtime: recorded as missed once, not run.
    const missed = (await alertsOf(db.sql, org)).filter((a) => a.kind === 'missed_periods');
    expect(missed.map((a) => a.details.missed_count)).toEqual([205]); // 1 April to 22 October
  });

  it('a disabled schedule starts nothing; enabling it again does not catch up the time it was off', async () => {
    const org = newOrg();
    const base = plus(floorTo(await databaseNow(db.sql), 1), MINUTE);
    await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'xledger',
      cronExpression: '* * * * *',
      activeFrom: base,
      enabled: false,
    });
    expect((await tick(plus(base, 30_000), repos)).started.filter((s) => s.orgId === org)).toEqual([]);
    const enabled = await repos.scheduler.setScheduleEnabled(org, 'xledger', true);
    expect(new Date(enabled.activeFrom).getTime()).toBeGreaterThan(base.getTime() - MINUTE);
  });
});
