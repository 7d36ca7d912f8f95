// What the sync-run-log handler is given: who is calling, the database, the log, the clock, and what to do once a
// "Sync now" run is queued. handler.ts wires them to the environment; tests inject their own.
import type { Authenticator } from '../_shared/auth.ts';
import type { DatabasePorts } from '../_shared/database.ts';
import type { Logger } from '../_shared/log.ts';
import type { SyncRun } from '../_shared/run-log.types.ts';

export interface SyncRunLogDeps {
  /** Who is calling (auth.ts): user tokens and service keys, as the project's environment says. */
  auth: Authenticator;
  db: DatabasePorts;
  log: Logger;
  /** The project's URL (SUPABASE_URL): openapi.json's server. Default: the local stack's usual one. */
  projectUrl?: string;
  /** The clock for next periods and the period ledger (default: the real one). */
  now?: () => Date;
  /**
   * Called once a coordinator's or admin's "Sync now" has queued a run (e.g. hand it to sync-scheduler so that it
   * starts at once). Never awaited for the answer: the request has its 201 whatever this does; a throw or a
   * rejection is logged as a warning and nothing else.
   */
  onRunQueued?: (run: SyncRun) => unknown;
}
