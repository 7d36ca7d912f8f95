// The local ticker inside `npm start`: what pg_cron does on Supabase. It calls the scheduler's tick with the real
// clock once a minute, a second after each minute begins (and once at start, which is how a restart catches up:
// one run for the latest missed period), and runs the started syncs in this process with the adapters.
// A tick still busy when the next is due makes the next one wait for the following minute (no overlap). Several
// tickers, or a ticker beside pg_cron, are harmless: the database decides which one starts a period.
// "Sync now" does not wait for the minute: every second (claimIntervalMs) the ticker claims queued runs
// (claim_pending_runs, a look at the partial index of pending runs: cheap when there are none) and runs them, so a
// click starts within about a second. Local only: hosted, the sync-run-log function hands each click to the
// sync-scheduler function (POST /runs/claim), and the every-minute tick claims any left.
import type { AdapterRegistry } from '../../supabase/functions/_shared/integrations/integration.ts';
import type { Logger } from '../../supabase/functions/_shared/log.ts';
import type { RpcPort } from '../../supabase/functions/_shared/rpc-port.ts';
import type { SchedulerSettings } from '../../supabase/functions/_shared/scheduler/config.ts';
import type { ConnectionSource } from '../../supabase/functions/_shared/scheduler/executor.ts';
import { type ClaimedEntry, claimQueuedRuns } from '../../supabase/functions/_shared/scheduler/queued-runs.ts';
import {
  createSchedulerRuntime,
  type SchedulerRuntimeOptions,
} from '../../supabase/functions/_shared/scheduler/runtime.ts';
import { tick } from '../../supabase/functions/_shared/scheduler/tick.ts';
import type { TickReport } from '../../supabase/functions/_shared/scheduler/tick.types.ts';

export interface TickerOptions {
  /** The database as the service role. */
  rpc: RpcPort;
  adapters: AdapterRegistry;
  /** Each run's credentials and settings (default: the org's connection in the database). */
  connections?: ConnectionSource;
  log: Logger;
  settings: SchedulerSettings;
  /** The health monitor's settings; null or unset: no health checks. */
  health?: SchedulerRuntimeOptions['health'];
  /**
   * More work after every tick, with the tick's clock (e.g. the archival's archiveIfDue), beside the ticks: a long
   * step (a first archival pass over years of runs) never holds up the next minute's tick, and a step still at work
   * is not started again. Failures are logged.
   */
  steps?: Array<{ name: string; run(now: Date): Promise<unknown> }>;
  /** Default one minute. */
  intervalMs?: number;
  /** How long after each interval boundary to tick (default 1 s). */
  offsetMs?: number;
  /** How often queued "Sync now" runs are claimed between ticks (default 1 s; 0: only by the ticks). */
  claimIntervalMs?: number;
  /** How long stop() waits for running syncs before failing them as stopped (default 10 s). */
  drainMs?: number;
  now?: () => Date;
}

export interface Ticker {
  /** One tick now (also what the timer calls). Resolves with its report; null when a tick was already running. */
  tickNow(): Promise<TickReport | null>;
  /** Claims queued runs now (also what the claim loop calls); null when a claim was already running or failed. */
  claimNow(): Promise<ClaimedEntry[] | null>;
  stop(): Promise<void>;
}

/** True unless SCHEDULER_TICKER is off/false/0/no (e.g. where pg_cron ticks the same database). */
export function tickerEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return !['off', 'false', '0', 'no'].includes((env.SCHEDULER_TICKER ?? '').toLowerCase());
}

export function startTicker(options: TickerOptions): Ticker {
  const intervalMs = options.intervalMs ?? 60_000;
  const offsetMs = options.offsetMs ?? 1_000;
  const now = options.now ?? (() => new Date());
  const { deps, executor } = createSchedulerRuntime(options);
  let current: Promise<TickReport> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const claimIntervalMs = options.claimIntervalMs ?? 1_000;
  let claiming: Promise<ClaimedEntry[] | null> | null = null;
  let claimTimer: ReturnType<typeof setTimeout> | undefined;
  let claimFailing = false;

  function claimNow(): Promise<ClaimedEntry[] | null> {
    if (claiming || !deps.queue) return Promise.resolve(null);
    claiming = claimQueuedRuns({ ...deps, queue: deps.queue })
      .then((claimed) => {
        if (claimFailing) options.log.log('info', 'claiming queued runs works again', { event: 'claim_recovered' });
        claimFailing = false;
        return claimed;
      })
      .catch((error: unknown) => {
        // Said once per outage, not every second.
        if (!claimFailing) {
          options.log.log('error', 'claiming queued runs failed', {
            event: 'claim_failed',
            error: error instanceof Error ? error.message : String(error),
          });
        }
        claimFailing = true;
        return null;
      })
      .finally(() => {
        claiming = null;
      });
    return claiming;
  }

  function claimLoop(): void {
    if (stopped || claimIntervalMs <= 0) return;
    claimTimer = setTimeout(() => {
      void claimNow().finally(claimLoop);
    }, claimIntervalMs);
  }

  const stepsAtWork = new Map<string, Promise<void>>();

  /** Starts each step that is not still at work from an earlier tick; does not wait for them. */
  function startSteps(at: Date): void {
    for (const step of options.steps ?? []) {
      if (stepsAtWork.has(step.name)) continue;
      const run = step
        .run(at)
        .then(
          () => {},
          (error: unknown) => {
            const message = error instanceof Error ? error.message : String(error);
            options.log.log('error', `${step.name} failed`, {
              event: 'ticker_step_failed',
              step: step.name,
              error: message,
            });
          },
        )
        .finally(() => stepsAtWork.delete(step.name));
      stepsAtWork.set(step.name, run);
    }
  }

  async function tickNow(): Promise<TickReport | null> {
    if (current) {
      options.log.log('warn', 'tick skipped: the previous tick is still running', { event: 'tick_overlap' });
      return null;
    }
    const at = now();
    current = tick(at, deps).then((report) => {
      startSteps(at);
      return report;
    });
    try {
      return await current;
    } catch (error) {
      options.log.log('error', 'tick failed', {
        event: 'tick_error',
        error: error instanceof Error ? error.message : String(error),
      });
      return null;
    } finally {
      current = null;
    }
  }

  function schedule(): void {
    if (stopped) return;
    const delay = nextTickDelay(now().getTime(), intervalMs, offsetMs);
    timer = setTimeout(() => {
      void tickNow().finally(schedule);
    }, delay);
  }

  void tickNow().finally(schedule);
  claimLoop();

  return {
    tickNow,
    claimNow,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(claimTimer);
      await current?.catch(() => {});
      await claiming;
      await Promise.all(stepsAtWork.values());
      const drainMs = options.drainMs ?? 10_000;
      let timeout: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([executor.idle(), new Promise((resolve) => (timeout = setTimeout(resolve, drainMs)))]);
      clearTimeout(timeout);
      if (executor.running > 0) {
        // Failed now, while the database is still up (the stack stops it last), rather than left `running` for the
        // reaper: their integrations would refuse "Sync now" and skip their periods until the run timeout.
        options.log.log('warn', 'stopping with syncs still running: they are failed as stopped', {
          event: 'ticker_stopped_with_runs',
          running: executor.running,
        });
        await executor.stopAll('the local stack stopped');
      }
    },
  };
}

/**
 * Milliseconds from `at` to the next slot (`offsetMs` past a multiple of `intervalMs`) strictly after it: a tick that
 * ends just after a minute begins still gets that minute's slot.
 */
export function nextTickDelay(at: number, intervalMs: number, offsetMs: number): number {
  const next = (Math.floor((at - offsetMs) / intervalMs) + 1) * intervalMs + offsetMs;
  return next - at;
}
