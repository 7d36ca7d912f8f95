// The executor runs a started run with its integration's adapter and the org's connection: the credentials and
// settings are loaded once per run (a connection that is gone, disabled or without credentials fails the run as not
// configured, before any vendor is called), progress becomes heartbeats
// (updateRunLogStatus(runId, 'running', processed, failed, null)), the end becomes completed (even with failed
// records, which are counted and explained) or failed with a sanitised message. Nothing leaves a run `running`:
// a thrown error fails it, a run past its timeout is aborted and failed, the final write is retried while the
// database cannot answer, and should it still be lost, the reaper fails the run once its heartbeats have stopped.
// A run cancelled (or reaped) meanwhile is noticed at its next heartbeat, i.e. after the page in hand: the sync stops.
import { SyncRunLogError } from '../errors.ts';
import { type AdapterRegistry, type IntegrationAdapter, IntegrationError } from '../integrations/integration.ts';
import type { Logger } from '../log.ts';
import type { SyncRunLogRepository, UpdatableStatus } from '../run-log.repository.ts';
import { sanitizeErrorMessage } from '../sanitize-error.ts';

export interface StartedRun {
  runId: string;
  orgId: string;
  integrationType: string;
  /** The period of a scheduled run; null for a manual run. */
  scheduledFor: Date | null;
  /** Abort the sync after this long (the schedule's run timeout). */
  timeoutSeconds: number;
}

export interface RunOutcome {
  runId: string;
  status: 'completed' | 'failed' | 'ended_elsewhere' | 'unrecorded';
  recordsProcessed: number | null;
  recordsFailed: number | null;
  errorMessage: string | null;
  /** Why a failed run failed, when the cause has a code (an IntegrationError's: `unauthorized`, `not_configured`...). */
  errorCode: string | null;
}

/** A run's connection: the decrypted credentials (never log or store them) and the non-secret settings. */
export interface RunConnection {
  credentials: Record<string, unknown>;
  settings: Record<string, unknown>;
}

/** Where the executor gets a run's connection (connection-source.ts: the database, as the service role). */
export interface ConnectionSource {
  /**
   * The connection of the org's integration. Throws a SyncRunLogError `not_configured` when there is no enabled
   * connection with credentials; its message must not hold them.
   */
  load(orgId: string, integrationType: string): Promise<RunConnection>;
}

export interface RunExecutorOptions {
  runLog: SyncRunLogRepository;
  adapters: AdapterRegistry | ((integrationType: string) => IntegrationAdapter | undefined);
  /** The org's credentials and settings, loaded once per run. */
  connections: ConnectionSource;
  log: Logger;
  /**
   * Waits before each retry of the final status write when the database is unavailable (default 1 s, 4 s, 15 s: a
   * restart or failover of a few seconds is ridden out; beyond that the reaper fails the run).
   */
  finalWriteRetryDelaysMs?: readonly number[];
  /** Calls `fire` after `ms`; returns a cancel function (default setTimeout; tests inject one). */
  timer?: (ms: number, fire: () => void) => () => void;
  /** Told when a run's end was recorded (e.g. the health monitor's recordSyncOutcome); `cause` is what failed it. */
  onEnded?: (run: StartedRun, outcome: RunOutcome, cause: unknown) => Promise<void>;
}

const FINAL_WRITE_RETRY_DELAYS_MS = [1_000, 4_000, 15_000];

const realTimer = (ms: number, fire: () => void) => {
  const handle = setTimeout(fire, ms);
  return () => clearTimeout(handle);
};

class RunTimeout extends Error {
  override readonly name = 'RunTimeout';
}

class EndedElsewhere extends Error {
  override readonly name = 'EndedElsewhere';
}

/** The runtime is about to stop this worker (an Edge Function's wall clock, CPU or memory limit). */
class RunShutdown extends Error {
  override readonly name = 'RunShutdown';
}

export class RunExecutor {
  private readonly inFlight = new Set<Promise<RunOutcome>>();
  private readonly controllers = new Set<AbortController>();

  constructor(private readonly options: RunExecutorOptions) {}

  /** Starts executing in the background; the promise settles when the run is recorded as ended. Never rejects. */
  start(run: StartedRun): Promise<RunOutcome> {
    const promise = this.execute(run).finally(() => this.inFlight.delete(promise));
    this.inFlight.add(promise);
    return promise;
  }

  /** Resolves when every run started so far has ended (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  get running(): number {
    return this.inFlight.size;
  }

  /**
   * The worker is about to be stopped (`reason`: the runtime's, e.g. WallClockTime; locally, the stack stopping):
   * every run still syncing is aborted and failed at once, with a message that says so, instead of staying `running`
   * until the reaper gives up on it after its run timeout. Resolves when their ends are recorded (or given up on).
   */
  async stopAll(reason: string): Promise<void> {
    for (const controller of this.controllers) {
      if (!controller.signal.aborted) {
        controller.abort(new RunShutdown(`the scheduler was stopped (${reason}) before the run ended`));
      }
    }
    await this.idle();
  }

  private adapterFor(type: string): IntegrationAdapter | undefined {
    const { adapters } = this.options;
    return typeof adapters === 'function' ? adapters(type) : Object.hasOwn(adapters, type) ? adapters[type] : undefined;
  }

  async execute(run: StartedRun): Promise<RunOutcome> {
    const { runLog, log } = this.options;
    const adapter = this.adapterFor(run.integrationType);
    if (!adapter) {
      return this.finish(run, 'failed', null, null, `no adapter is registered for integration ${run.integrationType}`);
    }
    const controller = new AbortController();
    this.controllers.add(controller);
    let cancelTimer: () => void = () => {};
    const stopped = new Promise<never>((_, reject) => {
      cancelTimer = (this.options.timer ?? realTimer)(run.timeoutSeconds * 1000, () => {
        const error = new RunTimeout(
          `the run exceeded its timeout of ${formatMinutes(run.timeoutSeconds)} and was stopped`,
        );
        controller.abort(error);
        reject(error);
      });
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    stopped.catch(() => {});

    try {
      const connection = await Promise.race([this.loadConnection(run), stopped]);
      const result = await Promise.race([
        adapter.sync({
          orgId: run.orgId,
          credentials: connection.credentials,
          settings: connection.settings,
          scheduledFor: run.scheduledFor,
          signal: controller.signal,
          onProgress: async (progress) => {
            try {
              await runLog.updateRunLogStatus(
                run.runId,
                'running',
                progress.recordsProcessed,
                progress.recordsFailed,
                null,
              );
            } catch (error) {
              if (error instanceof SyncRunLogError && (error.code === 'not_running' || error.code === 'not_found')) {
                // Reaped or cancelled meanwhile: stop the sync, the run's record is final already.
                controller.abort(new EndedElsewhere('the run was ended elsewhere (cancelled or failed by the reaper)'));
                throw controller.signal.reason;
              }
              log.log('warn', 'heartbeat not recorded', {
                event: 'heartbeat_failed',
                runId: run.runId,
                code: codeOf(error),
              });
            }
          },
        }),
        stopped,
      ]);
      return await this.finish(run, 'completed', result.recordsProcessed, result.recordsFailed, result.errorMessage);
    } catch (error) {
      if (controller.signal.reason instanceof EndedElsewhere) {
        return this.endedElsewhere(run);
      }
      return this.finish(run, 'failed', null, null, failureMessage(error, run.integrationType), error);
    } finally {
      cancelTimer();
      this.controllers.delete(controller);
      if (!controller.signal.aborted) controller.abort(new EndedElsewhere('done'));
    }
  }

  /**
   * The run's connection. Not there, disabled or without credentials: `not_configured` (an IntegrationError, like an
   * adapter's own configuration problems); the database unreachable: `unavailable`. Neither message holds a secret.
   */
  private async loadConnection(run: StartedRun): Promise<RunConnection> {
    try {
      return await this.options.connections.load(run.orgId, run.integrationType);
    } catch (error) {
      if (error instanceof SyncRunLogError && error.code === 'not_configured') {
        throw new IntegrationError('not_configured', error.message);
      }
      throw new IntegrationError(
        'unavailable',
        `${run.integrationType}: the connection could not be loaded (${codeOf(error)})`,
      );
    }
  }

  /** The run's record was made final by someone else (a cancel, the reaper): nothing left to write. */
  private endedElsewhere(run: StartedRun): RunOutcome {
    this.options.log.log('info', 'run ended elsewhere', { event: 'run_ended_elsewhere', runId: run.runId });
    return {
      runId: run.runId,
      status: 'ended_elsewhere',
      recordsProcessed: null,
      recordsFailed: null,
      errorMessage: null,
      errorCode: null,
    };
  }

  private async finish(
    run: StartedRun,
    status: Extract<UpdatableStatus, 'completed' | 'failed'>,
    processed: number | null,
    failed: number | null,
    message: string | null,
    cause: unknown = null,
  ): Promise<RunOutcome> {
    const { runLog, log } = this.options;
    const delays = this.options.finalWriteRetryDelaysMs ?? FINAL_WRITE_RETRY_DELAYS_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        const ended = await runLog.updateRunLogStatus(run.runId, status, processed, failed, message);
        log.log(status === 'failed' ? 'warn' : 'info', `run ${status}`, {
          event: `run_${status}`,
          runId: run.runId,
          orgId: run.orgId,
          integrationType: run.integrationType,
          recordsProcessed: ended.recordsProcessed,
          recordsFailed: ended.recordsFailed,
          ...(status === 'failed' ? { errorCode: errorCodeOf(cause) } : {}),
          ...(status === 'failed' && errorCodeOf(cause) === null ? { errorDetail: unexpectedDetail(cause) } : {}),
        });
        const outcome: RunOutcome = {
          runId: run.runId,
          status,
          recordsProcessed: ended.recordsProcessed,
          recordsFailed: ended.recordsFailed,
          errorMessage: ended.errorMessage,
          errorCode: status === 'failed' ? errorCodeOf(cause) : null,
        };
        await this.notifyEnded(run, outcome, cause);
        return outcome;
      } catch (error) {
        if (error instanceof SyncRunLogError && (error.code === 'not_running' || error.code === 'not_found')) {
          return this.endedElsewhere(run);
        }
        // Only a database that could not answer may answer later; a refusal stays a refusal.
        const transient =
          !(error instanceof SyncRunLogError) || error.code === 'unavailable' || error.code === 'internal';
        const delay = delays[attempt];
        if (transient && delay !== undefined) {
          log.log('warn', 'run end not recorded yet; retrying', {
            event: 'run_end_retry',
            runId: run.runId,
            code: codeOf(error),
            retryInMs: delay,
          });
          await new Promise<void>((resolve) => (this.options.timer ?? realTimer)(delay, resolve));
        } else {
          // The reaper fails the run once its heartbeats have stopped for the run timeout.
          log.log('error', 'run end not recorded; the reaper will fail it', {
            event: 'run_end_unrecorded',
            runId: run.runId,
            code: codeOf(error),
          });
          return {
            runId: run.runId,
            status: 'unrecorded',
            recordsProcessed: processed,
            recordsFailed: failed,
            errorMessage: message,
            errorCode: status === 'failed' ? errorCodeOf(cause) : null,
          };
        }
      }
    }
  }

  private async notifyEnded(run: StartedRun, outcome: RunOutcome, cause: unknown): Promise<void> {
    if (!this.options.onEnded) return;
    try {
      await this.options.onEnded(run, outcome, cause);
    } catch (error) {
      this.options.log.log('warn', 'run end listener failed', {
        event: 'run_end_listener_failed',
        runId: run.runId,
        code: codeOf(error),
      });
    }
  }
}

function codeOf(error: unknown): string {
  return error instanceof SyncRunLogError ? error.code : error instanceof Error ? error.name : 'unknown';
}

/** The code of what failed a run: an IntegrationError's, `timeout` for the run's own timeout, else null. */
function errorCodeOf(cause: unknown): string | null {
  if (cause instanceof RunTimeout) return 'timeout';
  if (cause instanceof RunShutdown) return 'shutdown';
  if (cause instanceof Error && cause.name === 'IntegrationError') return (cause as IntegrationError).code;
  return null;
}

/** What an unexpected error said, sanitised, for the function's log only (never the run, an alert or a response). */
function unexpectedDetail(cause: unknown): string {
  return sanitizeErrorMessage(cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause));
}

function formatMinutes(seconds: number): string {
  const minutes = Math.round((seconds / 60) * 10) / 10;
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** The run's error message (the repository sanitises it: no secrets, no stack, at most 2,000 characters). */
function failureMessage(error: unknown, integrationType: string): string {
  if (error instanceof RunTimeout || error instanceof RunShutdown) return error.message;
  if (error instanceof Error && error.name === 'IntegrationError') return error.message;
  // Anything else is unexpected, and its message may quote what a vendor sent: the run gets its name only, the
  // function's log the sanitised message (finish).
  if (error instanceof Error) return `${integrationType} sync failed: unexpected ${error.name}`;
  return `${integrationType} sync failed: unexpected error`;
}
