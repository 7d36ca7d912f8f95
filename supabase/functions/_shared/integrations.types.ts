// An org's integrations: rows as the database returns them (snake_case) and what callers use (camelCase), with one
// mapping function per type. Connections never carry credentials or the Vault secret id: the database's view
// public.sync_connection_settings does not have them, and neither do these types.
import { type IntegrationHealth, type IntegrationHealthRow, toIntegrationHealth } from './health/health.types.ts';
import { type RunStatus, type SyncRun, type SyncRunLogRow, toSyncRun } from './run-log.types.ts';
import {
  type Alert,
  type AlertRow,
  type Schedule,
  type ScheduleRow,
  toAlert,
  toSchedule,
} from './scheduler/schedule.types.ts';

/** A row of public.sync_connection_settings. */
export interface ConnectionRow {
  id: string;
  org_id: string;
  integration_type: string;
  settings: Record<string, unknown>;
  enabled: boolean;
  credentials_set_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface Connection {
  id: string;
  orgId: string;
  integrationType: string;
  /** The adapter's non-secret settings. */
  settings: Record<string, unknown>;
  enabled: boolean;
  /** When the credentials were last set; null when there are none. */
  credentialsSetAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toConnection(row: ConnectionRow): Connection {
  return {
    id: row.id,
    orgId: row.org_id,
    integrationType: row.integration_type,
    settings: row.settings,
    enabled: row.enabled,
    credentialsSetAt: row.credentials_set_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A row of public.sync_alerts, with its acknowledgement. */
export interface AlertWithAcknowledgementRow extends AlertRow {
  acknowledged_at: string | null;
  acknowledged_by: string | null;
}

export interface AcknowledgeableAlert extends Alert {
  /** When someone acknowledged it; null while it is open. */
  acknowledgedAt: string | null;
  /** The user id (JWT sub) of who acknowledged it, when known. */
  acknowledgedBy: string | null;
}

export function toAcknowledgeableAlert(row: AlertWithAcknowledgementRow): AcknowledgeableAlert {
  return { ...toAlert(row), acknowledgedAt: row.acknowledged_at ?? null, acknowledgedBy: row.acknowledged_by ?? null };
}

/** A row of get_integrations_overview: nested rows are null where the integration has none. */
export interface IntegrationOverviewRow {
  integration_type: string;
  connection: ConnectionRow | null;
  schedule: ScheduleRow | null;
  health: IntegrationHealthRow | null;
  last_run: SyncRunLogRow | null;
  open_alerts: number;
}

export interface ScheduleOverview extends Schedule {
  /** The next periods the scheduler will run (ISO instants, at most 3); empty when the schedule is disabled. */
  nextPeriods: string[];
}

export interface IntegrationOverview {
  integrationType: string;
  connection: Connection | null;
  schedule: ScheduleOverview | null;
  health: IntegrationHealth | null;
  lastRun: SyncRun | null;
  /** Alerts of this integration not acknowledged yet. */
  openAlerts: number;
}

/** The overview of one integration as the database has it; `nextPeriods` come from the caller (croner). */
export function toIntegrationOverview(
  row: IntegrationOverviewRow,
  nextPeriods: (schedule: Schedule) => string[],
): IntegrationOverview {
  // A composite of a left join with no match may come back as null or as a row of nulls.
  const schedule = row.schedule?.id ? toSchedule(row.schedule) : null;
  return {
    integrationType: row.integration_type,
    connection: row.connection?.id ? toConnection(row.connection) : null,
    schedule: schedule ? { ...schedule, nextPeriods: nextPeriods(schedule) } : null,
    health: row.health?.org_id ? toIntegrationHealth(row.health) : null,
    lastRun: row.last_run?.id ? toSyncRun(row.last_run) : null,
    openAlerts: Number(row.open_alerts ?? 0),
  };
}

/** A queued run the executor claimed, with its schedule's run timeout (null: no schedule, use the default). */
export interface ClaimedRun {
  run: SyncRun;
  runTimeoutSeconds: number | null;
}

export interface ClaimedRunRow {
  run: SyncRunLogRow;
  run_timeout_seconds: number | null;
}

export function toClaimedRun(row: ClaimedRunRow): ClaimedRun {
  return { run: toSyncRun(row.run), runTimeoutSeconds: row.run_timeout_seconds };
}

/**
 * get_period_runs's runs: the scheduler runs of a period range, column by column (entry i of each column is run
 * i's), hot runs before archived ones. scheduledFor is in epoch milliseconds; archivedIds are the runs found in the
 * archive (usually none).
 */
export interface PeriodRunColumns {
  key: string[];
  scheduledFor: number[];
  id: string[];
  status: RunStatus[];
  startedAt: string[];
  endedAt: Array<string | null>;
  recordsProcessed: number[];
  recordsFailed: number[];
  archivedIds: string[];
}

/** get_period_runs's answer (null: no schedule the caller can see). */
/** A stretch of a schedule's history (sync_schedule_spans): enabled with this expression and zone. */
export interface ScheduleSpan {
  cronExpression: string;
  timeZone: string;
  activeFrom: string;
  /** Null while the span is open (the schedule as it is). */
  activeUntil: string | null;
}

export interface PeriodRunsRow {
  schedule: ScheduleRow;
  /** The stretches of the schedule's history that overlap the range, oldest first. */
  spans: ScheduleSpan[];
  runs: PeriodRunColumns;
}

/** A period of a schedule with its scheduler run's facts (nulls without a run). */
export interface PeriodRun {
  scheduledFor: string;
  runId: string | null;
  status: RunStatus | null;
  startedAt: string | null;
  endedAt: string | null;
  recordsProcessed: number | null;
  recordsFailed: number | null;
  /** started_at - scheduled_for, in seconds; null without a run. */
  driftSeconds: number | null;
  /** The run was found in the archive (older than the retention). */
  archived: boolean;
}
