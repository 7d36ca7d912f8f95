// claimQueuedRuns(deps): the executor's side of "Sync now". The sync-run-log function queues a manual run (status
// pending, queue_manual_run); this claims queued runs (claim_pending_runs: pending -> running, oldest first, rows
// another claimer holds skipped, so two claimers never take one run) and hands each to the same executor that runs
// scheduled periods: the org's connection loaded per run, heartbeats with progress, cancel honoured at the next page,
// the same retries and final write. Called by every tick, by the local ticker every second, and by the
// sync-scheduler function's POST /runs/claim, which the sync-run-log function calls right after queueing.
import type { ClaimedRun } from '../integrations.types.ts';
import type { Logger } from '../log.ts';
import type { StartedRun } from './executor.ts';
import { retryWhileUnavailable } from './retry.ts';

/** What claiming needs: the queue (IntegrationsRepository) and the executor. */
export interface QueueDeps {
  /**
   * claimPendingRuns(limit, claimId): the same claim id again (after an answer that was lost) returns the runs that
   * claim took instead of claiming more (claim_pending_runs, 20261202007000).
   */
  queue: { claimPendingRuns(limit: number, claimId?: string): Promise<ClaimedRun[]> };
  /** Runs a claimed run (RunExecutor.start). Without it nothing is claimed: a claimed run must be run. */
  execute?: (run: StartedRun) => unknown;
  /** The run timeout of runs whose integration has no schedule (default 1800 s). */
  defaultRunTimeoutSeconds?: number;
  /** Runs claimed per call (default 25, at most 1000). */
  claimLimit?: number;
  log?: Logger;
  /** Waits before asking again when the database could not answer a claim (default 0.5 s, 2 s). */
  claimRetryDelaysMs?: readonly number[];
}

export interface ClaimedEntry {
  runId: string;
  orgId: string;
  integrationType: string;
  /** When it was queued (the click). */
  queuedAt: string;
}

export const DEFAULT_CLAIM_LIMIT = 25;

/** Claims queued runs and starts executing each (in the background); returns what it claimed. */
export async function claimQueuedRuns(deps: QueueDeps): Promise<ClaimedEntry[]> {
  if (!deps.execute) return [];
  const claimed = await claimWithRetries(deps);
  const entries: ClaimedEntry[] = [];
  for (const { run, runTimeoutSeconds } of claimed) {
    deps.log?.log('info', 'queued run claimed', {
      event: 'run_claimed',
      runId: run.id,
      orgId: run.orgId,
      integrationType: run.integrationType,
      queuedAt: run.startedAt,
    });
    deps.execute({
      runId: run.id,
      orgId: run.orgId,
      integrationType: run.integrationType,
      scheduledFor: run.scheduledFor ? new Date(run.scheduledFor) : null,
      timeoutSeconds: runTimeoutSeconds ?? deps.defaultRunTimeoutSeconds ?? 1800,
    });
    entries.push({ runId: run.id, orgId: run.orgId, integrationType: run.integrationType, queuedAt: run.startedAt });
  }
  return entries;
}

const CLAIM_RETRY_DELAYS_MS = [500, 2_000];

/**
 * One claim, under an id chosen here: asked again while the database cannot answer, it gets the runs the first
 * attempt took if that one committed (its answer lost), so that they are run, not left `running` for the reaper.
 */
async function claimWithRetries(deps: QueueDeps): Promise<ClaimedRun[]> {
  const claimId = crypto.randomUUID();
  const limit = deps.claimLimit ?? DEFAULT_CLAIM_LIMIT;
  const delays = deps.claimRetryDelaysMs ?? CLAIM_RETRY_DELAYS_MS;
  return (await retryWhileUnavailable(delays, () => deps.queue.claimPendingRuns(limit, claimId))).value;
}
