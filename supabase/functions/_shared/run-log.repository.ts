// SyncRunLogRepository: the run log's operations, each a thin typed call of its RPC function through a
// Supabase-shaped port (a supabase-js client as is, or the SQL adapter in sql-rpc.ts).
import { callRpc, SyncRunLogError } from './errors.ts';
import { decodeCursor, type Page, pageOf } from './keyset-cursor.ts';
import type { RpcPort } from './rpc-port.ts';
import { type RunStatus, type SyncRun, type SyncRunLogRow, type TriggeredBy, toSyncRun } from './run-log.types.ts';
import { sanitizeErrorMessage } from './sanitize-error.ts';

export interface InsertRunOptions {
  /** The schedule period a scheduler run stands for (ISO timestamp or Date). */
  scheduledFor?: string | Date;
  idempotencyKey?: string;
  /** The new run's id, chosen by the caller (so that a retry after a lost answer knows its own run); else a new one. */
  runId?: string;
}

export type UpdatableStatus = Exclude<RunStatus, 'pending'>;

export interface RunHistoryPageOptions {
  /** 1..1000. */
  limit: number;
  status?: RunStatus;
  triggeredBy?: TriggeredBy;
  /** The previous page's nextCursor: this page starts after its last run. */
  before?: string;
}

export class SyncRunLogRepository {
  constructor(private readonly db: RpcPort) {}

  /** Starts a run (status running) and returns its id. */
  async insertRunLog(
    orgId: string,
    integrationType: string,
    triggeredBy: TriggeredBy,
    options: InsertRunOptions = {},
  ): Promise<string> {
    const scheduledFor =
      options.scheduledFor instanceof Date ? options.scheduledFor.toISOString() : (options.scheduledFor ?? null);
    const data = await this.call('insert_run_log', {
      p_org_id: orgId,
      p_integration_type: integrationType,
      p_triggered_by: triggeredBy,
      p_scheduled_for: scheduledFor,
      p_idempotency_key: options.idempotencyKey ?? null,
      ...(options.runId === undefined ? {} : { p_run_id: options.runId }),
    });
    if (typeof data !== 'string') throw new SyncRunLogError('internal', 'insert_run_log returned no id');
    return data;
  }

  /**
   * Moves a running run on: `running` records progress (and a heartbeat), a final status ends it.
   * A null errorMessage clears the stored one; a given one is sanitised and cut to 2,000 characters.
   */
  async updateRunLogStatus(
    runId: string,
    status: UpdatableStatus,
    recordsProcessed: number | null,
    recordsFailed: number | null,
    errorMessage: string | null,
  ): Promise<SyncRun> {
    const data = await this.call('update_run_log_status', {
      p_run_id: runId,
      p_status: status,
      p_records_processed: recordsProcessed,
      p_records_failed: recordsFailed,
      p_error_message: errorMessage === null ? null : sanitizeErrorMessage(errorMessage),
    });
    return toSyncRun(data as SyncRunLogRow);
  }

  /** The newest run of each integration of the org, ordered by integration type. */
  async getLastRunPerIntegration(orgId: string): Promise<SyncRun[]> {
    const data = await this.call('get_last_run_per_integration', { p_org_id: orgId });
    return (data as SyncRunLogRow[]).map(toSyncRun);
  }

  /** One run by id, or null when there is none the caller may see (RLS: another org's run is null too). */
  async getRun(runId: string): Promise<SyncRun | null> {
    const data = await this.call('get_run', { p_run_id: runId });
    const rows = data as SyncRunLogRow[];
    return rows[0] ? toSyncRun(rows[0]) : null;
  }

  /** Up to `limit` (1..1000) runs of one integration, newest first. */
  async getRunHistory(orgId: string, integrationType: string, limit: number): Promise<SyncRun[]> {
    const data = await this.call('get_run_history', {
      p_org_id: orgId,
      p_integration_type: integrationType,
      p_limit: limit,
    });
    return (data as SyncRunLogRow[]).map(toSyncRun);
  }

  /**
   * A page of one integration's runs, newest first (started_at, then id), optionally of one status and/or trigger.
   * `nextCursor` is set when the page is full: pass it as `before` for the next one (which may be empty). A cursor
   * that was not made here for run history is `invalid_argument`.
   */
  async getRunHistoryPage(
    orgId: string,
    integrationType: string,
    options: RunHistoryPageOptions,
  ): Promise<Page<SyncRun>> {
    const before = options.before === undefined ? null : decodeCursor('runs', options.before);
    const data = await this.call('get_run_history_page', {
      p_org_id: orgId,
      p_integration_type: integrationType,
      p_limit: options.limit,
      p_status: options.status ?? null,
      p_triggered_by: options.triggeredBy ?? null,
      p_before_started_at: before?.at ?? null,
      p_before_id: before?.id ?? null,
    });
    return pageOf('runs', (data as SyncRunLogRow[]).map(toSyncRun), options.limit, (run) => ({
      at: run.startedAt,
      id: run.id,
    }));
  }

  private call(fn: string, args: Record<string, unknown>): Promise<unknown> {
    return callRpc(this.db, fn, args, 'the run log could not be reached');
  }
}
