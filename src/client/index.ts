// The app-side client of the sync run log. Nothing here (or imported from here) can reach server credentials.
export {
  createSyncRunLogClient,
  type ErrorCode,
  FUNCTION_NAME,
  type FunctionsInvoker,
  type SyncRun,
  type SyncRunLogClient,
  SyncRunLogError,
} from './sync-run-log.client.ts';
