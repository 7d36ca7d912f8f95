// The scheduler's rows (snake_case, as the database returns them), domain types (camelCase) and their mappings.

export interface ScheduleRow {
  id: string;
  org_id: string;
  integration_type: string;
  cron_expression: string;
  time_zone: string;
  enabled: boolean;
  run_timeout_seconds: number;
  active_from: string;
  last_scheduled_for: string | null;
  created_at: string;
  updated_at: string;
}

export interface Schedule {
  id: string;
  orgId: string;
  integrationType: string;
  cronExpression: string;
  timeZone: string;
  enabled: boolean;
  runTimeoutSeconds: number;
  /** Periods before this are never run. */
  activeFrom: string;
  /** The newest period a scheduler run was started for. */
  lastScheduledFor: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toSchedule(row: ScheduleRow): Schedule {
  return {
    id: row.id,
    orgId: row.org_id,
    integrationType: row.integration_type,
    cronExpression: row.cron_expression,
    timeZone: row.time_zone,
    enabled: row.enabled,
    runTimeoutSeconds: row.run_timeout_seconds,
    activeFrom: row.active_from,
    lastScheduledFor: row.last_scheduled_for,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export const ALERT_KINDS = [
  'schedule_drift',
  'missed_periods',
  'stuck_run',
  'run_failed',
  'cold_start',
  'scheduler_stalled',
] as const;
export type SchedulerAlertKind = (typeof ALERT_KINDS)[number];

export interface AlertRow {
  id: string;
  org_id: string;
  kind: string;
  integration_type: string | null;
  run_id: string | null;
  details: Record<string, unknown>;
  dedupe_key: string | null;
  created_at: string;
}

export interface Alert {
  id: string;
  orgId: string;
  kind: string;
  integrationType: string | null;
  runId: string | null;
  details: Record<string, unknown>;
  dedupeKey: string | null;
  createdAt: string;
}

export function toAlert(row: AlertRow): Alert {
  return {
    id: row.id,
    orgId: row.org_id,
    kind: row.kind,
    integrationType: row.integration_type,
    runId: row.run_id,
    details: row.details,
    dedupeKey: row.dedupe_key,
    createdAt: row.created_at,
  };
}

/** A run the reaper failed. */
export interface ReapedRun {
  runId: string;
  orgId: string;
  integrationType: string;
  lastSeenAt: string;
  timeoutSeconds: number;
  errorMessage: string;
}
