// Where a queued "Sync now" goes next: handed to the sync-scheduler function (POST /runs/claim, with a secret key) so
// that it starts at once on a hosted project, instead of at the next minute's tick. Best effort, as
// _shared/scheduler/hand-off.ts is: never throws, and the run is queued in the database whatever happens here.
//   SUPABASE_URL and a secret key (SUPABASE_SECRET_KEYS, else SUPABASE_SERVICE_ROLE_KEY): the target;
//   SYNC_NOW_HAND_OFF: `off` leaves every queued run to the tick (or the local ticker's claim loop); `on` or unset:
//   hand off where there is a target.
import type { Env } from '../_shared/env.ts';
import type { Logger } from '../_shared/log.ts';
import type { SyncRun } from '../_shared/run-log.types.ts';
import { type HandOffOptions, handOffTargetFromEnv, handOffToScheduler } from '../_shared/scheduler/hand-off.ts';

export interface SyncNowHandOffOptions extends HandOffOptions {
  /** Keeps the hand-off alive after the response (Supabase: EdgeRuntime.waitUntil). */
  keepAlive?: (promise: Promise<unknown>) => void;
}

/** The hand-off of a queued run (SyncRunLogDeps.onRunQueued), or undefined when there is none to make. */
export function syncNowHandOff(
  env: Env,
  log: Logger,
  options: SyncNowHandOffOptions = {},
): ((run: SyncRun) => Promise<void>) | undefined {
  const setting = env.SYNC_NOW_HAND_OFF?.trim().toLowerCase() ?? '';
  if (!['', 'on', 'off'].includes(setting)) {
    throw new Error(`SYNC_NOW_HAND_OFF must be "on" or "off" (or unset), got "${env.SYNC_NOW_HAND_OFF}"`);
  }
  const target = setting === 'off' ? null : handOffTargetFromEnv(env);
  if (!target) return undefined;
  const { keepAlive, ...handOffOptions } = options;
  return (run) => {
    const done = handOffToScheduler(target.url, target.secretKey, handOffOptions).then((result) => {
      // result.error is `HTTP <status>`, `timeout` or `unreachable`: safe to log; the key never is.
      if (result.ok) log.log('info', 'run handed to sync-scheduler', { runId: run.id, claimed: result.claimed });
      else {
        log.log('warn', `run not handed to sync-scheduler (${result.error}): the tick will start it`, {
          runId: run.id,
        });
      }
    });
    keepAlive?.(done);
    return done;
  };
}
