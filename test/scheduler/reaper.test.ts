// Stuck runs: a worker that dies stops sending heartbeats; the reaper (part of every tick) fails its run after the
// schedule's timeout with a clear message, records a stuck_run alert, and the next period runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tick } from '../../supabase/functions/_shared/scheduler/tick.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import {
  alertsOf,
  databaseNow,
  floorTo,
  MINUTE,
  newOrg,
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

describe('stuck-run reaper', () => {
  it('a killed worker: its run is failed after the 30-minute default timeout and the next period runs', async () => {
    const org = newOrg();
    const base = plus(floorTo(await databaseNow(db.sql), 5), 5 * MINUTE);
    await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'xledger',
      cronExpression: '*/5 * * * *',
      activeFrom: base,
    });
    const log = recordingLogger();
    // No executor: the worker "dies" right after the run started (no heartbeat ever comes).
    const first = await tick(plus(base, 10_000), { ...repos, log });
    const killed = first.started.find((s) => s.orgId === org)?.runId as string;
    expect(killed).toBeDefined();

    // 20 minutes later it is silent, but within its timeout: not reaped, the period waits (already_running).
    const waiting = await tick(plus(base, 20 * MINUTE + 10_000), { ...repos, log });
    expect(waiting.reaped.filter((r) => r.orgId === org)).toEqual([]);
    expect(waiting.skipped.filter((s) => s.orgId === org)).toEqual([
      {
        orgId: org,
        integrationType: 'xledger',
        period: plus(base, 20 * MINUTE).toISOString(),
        reason: 'already_running',
      },
    ]);

    // Past 30 minutes of silence: reaped, and the same tick starts the latest period.
    const later = await tick(plus(base, 40 * MINUTE + 10_000), { ...repos, log });
    expect(later.reaped.filter((r) => r.orgId === org)).toEqual([
      expect.objectContaining({ runId: killed, integrationType: 'xledger', timeoutSeconds: 1800 }),
    ]);
    expect(later.started.filter((s) => s.orgId === org).map((s) => s.period)).toEqual([
      plus(base, 40 * MINUTE).toISOString(),
    ]);

    const runs = await runsOf(db.sql, org);
    expect(runs.map((r) => r.status)).toEqual(['failed', 'running']);
    expect(runs[0]?.error_message).toMatch(
      /^stuck run failed by the scheduler: no heartbeat since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, longer than the run timeout of 30 minutes/,
    );
    const kinds = (await alertsOf(db.sql, org)).map((a) => a.kind).sort();
    expect(kinds).toEqual(['missed_periods', 'stuck_run']);
    expect(
      log.lines.some(
        (l) => l.fields.event === 'sync_alert' && l.fields.kind === 'stuck_run' && l.fields.runId === killed,
      ),
    ).toBe(true);
  });

  it("uses the schedule's own timeout, and a run with fresh heartbeats is left alone", async () => {
    const org = newOrg();
    const now = await databaseNow(db.sql);
    await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'bufdir',
      cronExpression: '0 3 * * *',
      runTimeoutSeconds: 600,
    });
    const runId = await repos.runLog.insertRunLog(org, 'bufdir', 'manual');

    expect((await repos.scheduler.reapStuckRuns(plus(now, 9 * MINUTE))).filter((r) => r.orgId === org)).toEqual([]);
    await repos.runLog.updateRunLogStatus(runId, 'running', 50, 0, null); // a heartbeat
    const heartbeat = await databaseNow(db.sql);
    expect((await repos.scheduler.reapStuckRuns(plus(heartbeat, 9 * MINUTE))).filter((r) => r.orgId === org)).toEqual(
      [],
    );
    const reaped = (await repos.scheduler.reapStuckRuns(plus(heartbeat, 11 * MINUTE))).filter((r) => r.orgId === org);
    expect(reaped).toEqual([expect.objectContaining({ runId, timeoutSeconds: 600 })]);
    expect(reaped[0]?.errorMessage).toMatch(/run timeout of 10 minutes/);
    const [run] = await runsOf(db.sql, org);
    expect(run).toMatchObject({ status: 'failed', records_processed: 50 });
  });

  it('is safe beside a live heartbeat: a row being updated is skipped, not waited for, and not failed', async () => {
    const org = newOrg();
    const runId = await repos.runLog.insertRunLog(org, 'dynamics', 'manual');
    const worker = await db.sql.reserve();
    try {
      await worker`begin`;
      await worker`update public.sync_run_log set heartbeat_at = now(), records_processed = 7 where id = ${runId}`;
      const started = performance.now();
      const reaped = await repos.scheduler.reapStuckRuns(plus(await databaseNow(db.sql), 2 * 60 * MINUTE));
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(reaped.filter((r) => r.orgId === org)).toEqual([]);
      await worker`commit`;
    } finally {
      worker.release();
    }
    const [run] = await runsOf(db.sql, org);
    expect(run).toMatchObject({ status: 'running', records_processed: 7 });
  });
});
