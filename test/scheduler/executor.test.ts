// The executor: the org's connection is loaded once per run and handed to the adapter (none: failed as not
// configured, before the adapter runs), progress becomes heartbeats, the end becomes completed or failed with a
// sanitised message, and nothing leaves a run `running` (a throw, a timeout, no adapter). Small adapters written
// here; the timer is injected (no test waits on wall time).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntegrationAdapter, SyncContext } from '../../supabase/functions/_shared/integrations/integration.ts';
import { IntegrationError } from '../../supabase/functions/_shared/integrations/integration.ts';
import type { RpcPort } from '../../supabase/functions/_shared/rpc-port.ts';
import { SyncRunLogRepository } from '../../supabase/functions/_shared/run-log.repository.ts';
import { DatabaseConnectionSource } from '../../supabase/functions/_shared/scheduler/connection-source.ts';
import { RunExecutor, type StartedRun } from '../../supabase/functions/_shared/scheduler/executor.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import {
  connect,
  databaseNow,
  emptyConnections,
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

async function started(type: string, timeoutSeconds = 1800): Promise<StartedRun> {
  const orgId = newOrg();
  const runId = await repos.runLog.insertRunLog(orgId, type, 'manual');
  return { runId, orgId, integrationType: type, scheduledFor: null, timeoutSeconds };
}

function adapter(
  type: string,
  sync: (
    context: SyncContext,
  ) => Promise<never> | Promise<{ recordsProcessed: number; recordsFailed: number; errorMessage: string | null }>,
): IntegrationAdapter {
  return { type, healthCheck: async () => ({ status: 'healthy', latencyMs: 1 }), sync };
}

describe('RunExecutor', () => {
  it('records progress as heartbeats and ends completed, with failed records counted and explained', async () => {
    const run = await started('xledger');
    const heartbeats: (string | null)[] = [];
    const inner = pagedAdapter('xledger', 3, 1);
    const watched = adapter('xledger', (context) =>
      inner.sync({
        ...context,
        onProgress: async (progress) => {
          await context.onProgress(progress);
          const [row] =
            await db.sql`select records_processed, heartbeat_at from public.sync_run_log where id = ${run.runId}`;
          heartbeats.push(`${row?.records_processed}`);
        },
      }),
    );
    const outcome = await new RunExecutor({
      connections: emptyConnections,
      runLog: repos.runLog,
      adapters: { xledger: watched },
      log: recordingLogger(),
    }).start(run);
    expect(outcome).toMatchObject({
      status: 'completed',
      recordsProcessed: 30,
      recordsFailed: 3,
      errorMessage: '3 records refused',
    });
    expect(heartbeats).toEqual(['10', '20', '30']);
    const [row] = await runsOf(db.sql, run.orgId);
    expect(row).toMatchObject({
      status: 'completed',
      records_processed: 30,
      records_failed: 3,
      error_message: '3 records refused',
    });
  });

  it("an unexpected error fails the run with its name only; its sanitised message goes to the function's log", async () => {
    const run = await started('dynamics');
    // An unexpected error's message may quote anything, a vendor's text included: not for the run, alerts or users.
    const failing = adapter('dynamics', async () => {
      throw new TypeError('connect failed: postgres://sync:hunter2@db.internal:5432/x password=hunter2');
    });
    const log = recordingLogger();
    const outcome = await new RunExecutor({
      connections: emptyConnections,
      runLog: repos.runLog,
      adapters: { dynamics: failing },
      log,
    }).start(run);
    expect(outcome.status).toBe('failed');
    const [row] = await runsOf(db.sql, run.orgId);
    expect(row?.status).toBe('failed');
    expect(row?.error_message).toBe('dynamics sync failed: unexpected TypeError');
    const failed = log.lines.find((line) => line.fields.event === 'run_failed');
    expect(failed?.fields.errorDetail).toMatch(/^TypeError: connect failed/);
    expect(JSON.stringify(log.lines)).not.toContain('hunter2');
  });

  it("an adapter's IntegrationError is stored as its message, and the end is told to the listener with its cause", async () => {
    const run = await started('bufdir');
    const cause = new IntegrationError('rate_limited', 'bufdir GET /exports: 429 on every attempt', {
      status: 429,
      retryAfterSeconds: 120,
    });
    const limited = adapter('bufdir', async () => {
      throw cause;
    });
    const ended: unknown[] = [];
    await new RunExecutor({
      connections: emptyConnections,
      runLog: repos.runLog,
      adapters: { bufdir: limited },
      log: recordingLogger(),
      onEnded: async (endedRun, outcome, why) => {
        ended.push([endedRun.runId, outcome.status, why]);
      },
    }).start(run);
    expect((await runsOf(db.sql, run.orgId))[0]).toMatchObject({
      status: 'failed',
      error_message: 'bufdir GET /exports: 429 on every attempt',
    });
    expect(ended).toEqual([[run.runId, 'failed', cause]]);
  });

  it('a run past its timeout is aborted and failed, even when the adapter ignores the signal', async () => {
    const run = await started('xledger', 120);
    let fire: () => void = () => {};
    const timer = (ms: number, callback: () => void) => {
      expect(ms).toBe(120_000);
      fire = callback;
      return () => {};
    };
    let signal: AbortSignal | undefined;
    const hanging = adapter('xledger', (context) => {
      signal = context.signal;
      return new Promise<never>(() => {});
    });
    const outcome = new RunExecutor({
      connections: emptyConnections,
      runLog: repos.runLog,
      adapters: { xledger: hanging },
      log: recordingLogger(),
      timer,
    }).start(run);
    await new Promise((resolve) => setImmediate(resolve));
    fire();
    expect(await outcome).toMatchObject({
      status: 'failed',
      errorMessage: 'the run exceeded its timeout of 2 minutes and was stopped',
    });
    expect(signal?.aborted).toBe(true);
    expect((await runsOf(db.sql, run.orgId))[0]?.status).toBe('failed');
  });

  it('stopAll (the worker about to be stopped) fails every run still syncing at once, saying why', async () => {
    const [first, second, done] = [await started('xledger'), await started('bufdir'), await started('dynamics')];
    const signals: AbortSignal[] = [];
    const hanging = (type: string) =>
      adapter(type, (context) => {
        signals.push(context.signal);
        return new Promise<never>(() => {}); // ignores its signal, as a stuck vendor call would
      });
    const executor = new RunExecutor({
      connections: emptyConnections,
      runLog: repos.runLog,
      adapters: { xledger: hanging('xledger'), bufdir: hanging('bufdir'), dynamics: pagedAdapter('dynamics', 1) },
      log: recordingLogger(),
    });
    const finished = await executor.start(done);
    expect(finished.status).toBe('completed');
    const outcomes = [executor.start(first), executor.start(second)];
    await expect.poll(() => signals.length).toBe(2);
    await executor.stopAll('WallClockTime');
    for (const outcome of await Promise.all(outcomes)) {
      expect(outcome).toMatchObject({
        status: 'failed',
        errorCode: 'shutdown',
        errorMessage: 'the scheduler was stopped (WallClockTime) before the run ended',
      });
    }
    expect(signals.every((signal) => signal.aborted)).toBe(true);
    for (const run of [first, second]) expect((await runsOf(db.sql, run.orgId))[0]?.status).toBe('failed');
    expect((await runsOf(db.sql, done.orgId))[0]?.status).toBe('completed'); // an ended run is left as it is
    expect(executor.running).toBe(0);
  });

  it("loads the org's connection once per run and hands its credentials and settings to the adapter", async () => {
    const run = await started('xledger');
    await connect(repos.port, run.orgId, 'xledger', { apiToken: 't-1' }, { settings: { companyId: 7 } });
    const seen: unknown[] = [];
    const source = new DatabaseConnectionSource(repos.port);
    let loads = 0;
    const counting = {
      load: (org: string, type: string) => {
        loads += 1;
        return source.load(org, type);
      },
    };
    const inner = pagedAdapter('xledger', 3);
    const recording = adapter('xledger', (context) => {
      seen.push({ credentials: context.credentials, settings: context.settings });
      return inner.sync(context);
    });
    const outcome = await new RunExecutor({
      runLog: repos.runLog,
      adapters: { xledger: recording },
      connections: counting,
      log: recordingLogger(),
    }).start(run);
    expect(outcome).toMatchObject({ status: 'completed', recordsProcessed: 30, errorCode: null });
    expect(seen).toEqual([{ credentials: { apiToken: 't-1' }, settings: { companyId: 7 } }]);
    expect(loads).toBe(1);
  });

  it('no enabled connection: failed as not_configured before the adapter runs, and the listener is told why', async () => {
    const run = await started('bufdir');
    let synced = false;
    const never = adapter('bufdir', async () => {
      synced = true;
      return { recordsProcessed: 0, recordsFailed: 0, errorMessage: null };
    });
    const ended: unknown[] = [];
    const log = recordingLogger();
    const outcome = await new RunExecutor({
      runLog: repos.runLog,
      adapters: { bufdir: never },
      connections: new DatabaseConnectionSource(repos.port),
      log,
      onEnded: async (_, end, cause) => {
        ended.push([end.errorCode, (cause as IntegrationError).code]);
      },
    }).start(run);
    expect(outcome).toMatchObject({ status: 'failed', errorCode: 'not_configured' });
    expect(synced).toBe(false);
    expect(ended).toEqual([['not_configured', 'not_configured']]);
    expect((await runsOf(db.sql, run.orgId))[0]).toMatchObject({
      status: 'failed',
      error_message: 'bufdir is not configured for this org: no enabled connection with credentials',
    });
    expect(log.lines.at(-1)?.fields).toMatchObject({ event: 'run_failed', errorCode: 'not_configured' });
  });

  it('a connection that cannot be read (the database away) fails the run as unavailable, saying only that', async () => {
    const run = await started('xledger');
    const outcome = await new RunExecutor({
      runLog: repos.runLog,
      adapters: { xledger: pagedAdapter('xledger') },
      connections: new DatabaseConnectionSource({ rpc: () => Promise.reject(new Error('connect ECONNREFUSED')) }),
      log: recordingLogger(),
    }).start(run);
    expect(outcome).toMatchObject({ status: 'failed', errorCode: 'unavailable' });
    expect((await runsOf(db.sql, run.orgId))[0]?.error_message).toBe(
      'xledger: the connection could not be loaded (unavailable)',
    );
  });

  it('an integration without an adapter fails at once, with the reason', async () => {
    const run = await started('unknown_erp');
    await new RunExecutor({
      connections: emptyConnections,
      runLog: repos.runLog,
      adapters: {},
      log: recordingLogger(),
    }).start(run);
    expect((await runsOf(db.sql, run.orgId))[0]).toMatchObject({
      status: 'failed',
      error_message: 'no adapter is registered for integration unknown_erp',
    });
  });

  it("a run reaped meanwhile: the next heartbeat stops the sync and the reaper's record stands", async () => {
    const run = await started('dynamics');
    let signal: AbortSignal | undefined;
    const slow = adapter('dynamics', async (context) => {
      signal = context.signal;
      await repos.scheduler.reapStuckRuns(plus(await databaseNow(db.sql), 2 * 60 * 60_000));
      await context.onProgress({ recordsProcessed: 10, recordsFailed: 0 });
      return { recordsProcessed: 10, recordsFailed: 0, errorMessage: null };
    });
    const outcome = await new RunExecutor({
      connections: emptyConnections,
      runLog: repos.runLog,
      adapters: { dynamics: slow },
      log: recordingLogger(),
    }).start(run);
    expect(outcome.status).toBe('ended_elsewhere');
    expect(signal?.aborted).toBe(true);
    const [row] = await runsOf(db.sql, run.orgId);
    expect(row?.status).toBe('failed');
    expect(row?.error_message).toMatch(/^stuck run failed by the scheduler/);
  });

  describe('the final write while the database is unavailable', () => {
    /** The run log over a port whose first `failures` final writes fail like a lost connection. */
    function flakyRunLog(failures: number): { runLog: SyncRunLogRepository; attempts: () => number } {
      let attempts = 0;
      const port: RpcPort = {
        rpc: (fn, args) => {
          if (fn === 'update_run_log_status' && args?.p_status !== 'running' && attempts++ < failures) {
            return Promise.reject(new Error('write CONNECTION_CLOSED 127.0.0.1:5432'));
          }
          return repos.port.rpc(fn, args);
        },
      };
      return { runLog: new SyncRunLogRepository(port), attempts: () => attempts };
    }
    const waitsOf = (waits: number[]) => (ms: number, fire: () => void) => {
      waits.push(ms);
      if (ms < 60_000) setImmediate(fire); // the retry waits pass at once; the run's own timeout never fires
      return () => {};
    };

    it('is retried after waits, and a database back within them records the end', async () => {
      const run = await started('xledger');
      const flaky = flakyRunLog(2);
      const waits: number[] = [];
      const log = recordingLogger();
      const outcome = await new RunExecutor({
        connections: emptyConnections,
        runLog: flaky.runLog,
        adapters: { xledger: pagedAdapter('xledger', 2) },
        log,
        timer: waitsOf(waits),
      }).start(run);
      expect(outcome).toMatchObject({ status: 'completed', recordsProcessed: 20 });
      expect(flaky.attempts()).toBe(3);
      expect(waits.filter((ms) => ms < 60_000)).toEqual([1_000, 4_000]);
      expect(log.lines.filter((l) => l.fields.event === 'run_end_retry')).toHaveLength(2);
      expect((await runsOf(db.sql, run.orgId))[0]).toMatchObject({ status: 'completed', records_processed: 20 });
    });

    it('gives up after the last wait and leaves the run to the reaper, saying so', async () => {
      const run = await started('xledger');
      const flaky = flakyRunLog(100);
      const waits: number[] = [];
      const log = recordingLogger();
      const outcome = await new RunExecutor({
        connections: emptyConnections,
        runLog: flaky.runLog,
        adapters: { xledger: pagedAdapter('xledger', 1) },
        log,
        timer: waitsOf(waits),
        finalWriteRetryDelaysMs: [10, 20],
      }).start(run);
      expect(outcome).toMatchObject({ status: 'unrecorded', recordsProcessed: 10 });
      expect(flaky.attempts()).toBe(3);
      expect(waits.filter((ms) => ms < 60_000)).toEqual([10, 20]);
      expect(log.lines.at(-1)?.fields).toMatchObject({ event: 'run_end_unrecorded', code: 'unavailable' });
      expect((await runsOf(db.sql, run.orgId))[0]?.status).toBe('running');
    });
  });
});
