// The run log's types: rows as the database returns them (snake_case), runs as callers use them (camelCase),
// and the one function that maps between them.

export const RUN_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const FINAL_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];

export const TRIGGERS = ['scheduler', 'manual'] as const;
export type TriggeredBy = (typeof TRIGGERS)[number];

export const INTEGRATION_TYPE_PATTERN = /^[a-z][a-z0-9_]{1,62}$/;
export const MAX_ERROR_MESSAGE_LENGTH = 2000;

/** A row of public.sync_run_log as PostgREST (and the SQL adapter) render it: timestamps as ISO strings. */
export interface SyncRunLogRow {
  id: string;
  org_id: string;
  integration_type: string;
  started_at: string;
  ended_at: string | null;
  status: RunStatus;
  records_processed: number;
  records_failed: number;
  error_message: string | null;
  triggered_by: TriggeredBy;
  scheduled_for: string | null;
  idempotency_key: string | null;
  heartbeat_at: string | null;
  duration_seconds: number | string | null;
}

export interface SyncRun {
  id: string;
  orgId: string;
  integrationType: string;
  startedAt: string;
  endedAt: string | null;
  status: RunStatus;
  recordsProcessed: number;
  recordsFailed: number;
  errorMessage: string | null;
  triggeredBy: TriggeredBy;
  scheduledFor: string | null;
  idempotencyKey: string | null;
  heartbeatAt: string | null;
  durationSeconds: number | null;
}

export function toSyncRun(row: SyncRunLogRow): SyncRun {
  return {
    id: row.id,
    orgId: row.org_id,
    integrationType: row.integration_type,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    status: row.status,
    recordsProcessed: row.records_processed,
    recordsFailed: row.records_failed,
    errorMessage: row.error_message,
    triggeredBy: row.triggered_by,
    scheduledFor: row.scheduled_for,
    idempotencyKey: row.idempotency_key,
    heartbeatAt: row.heartbeat_at,
    durationSeconds: row.duration_seconds === null ? null : Number(row.duration_seconds),
  };
}
