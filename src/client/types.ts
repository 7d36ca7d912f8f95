// What the sync-run-log function sends and takes, as JSON (timestamps are ISO strings): the TypeScript side of its
// OpenAPI document (GET /functions/v1/sync-run-log/openapi.json, components.schemas), for the app and the dashboard.
// Types only: nothing here runs, reads the environment or imports a server module.
import type { RunStatus, SyncRun, TriggeredBy } from '../../supabase/functions/_shared/run-log.types.ts';

export type { RunStatus, SyncRun, TriggeredBy };

export const INTEGRATION_TYPES = ['xledger', 'dynamics', 'bufdir'] as const;
/** The integrations the project knows (the adapter registry's). */
export type IntegrationType = (typeof INTEGRATION_TYPES)[number];

/** A page of a keyset-paged list: pass `nextCursor` as `before` for the next page; null when there is no more. */
export interface Page {
  nextCursor: string | null;
}

export interface RunPage extends Page {
  runs: SyncRun[];
}

export interface RunHistoryOptions {
  /** 1..1000, default 50. */
  limit?: number;
  status?: RunStatus;
  triggeredBy?: TriggeredBy;
  /** The previous page's nextCursor. */
  before?: string;
}

/** An org's connection, never with its credentials. */
export interface Connection {
  id: string;
  orgId: string;
  integrationType: string;
  settings: Record<string, unknown>;
  enabled: boolean;
  /** When the credentials were last set; null when there are none. */
  credentialsSetAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface XledgerConnectionInput {
  settings?: { companyId?: number };
  credentials: { apiToken: string };
  enabled?: boolean;
}

export interface DynamicsConnectionInput {
  settings?: { environmentUrl?: string; tenantId?: string };
  credentials: { clientId: string; clientSecret: string };
  enabled?: boolean;
}

export interface BufdirConnectionInput {
  settings?: { organisationNumber?: string };
  credentials: { apiKey: string };
  enabled?: boolean;
}

/** PUT replaces the whole connection: omitted settings are {}, omitted enabled is true. */
export interface ConnectionInputs {
  xledger: XledgerConnectionInput;
  dynamics: DynamicsConnectionInput;
  bufdir: BufdirConnectionInput;
}

export interface Schedule {
  id: string;
  orgId: string;
  integrationType: string;
  cronExpression: string;
  timeZone: string;
  enabled: boolean;
  runTimeoutSeconds: number;
  activeFrom: string;
  lastScheduledFor: string | null;
  createdAt: string;
  updatedAt: string;
  /** The next (at most 3) periods the scheduler will run; empty while disabled. */
  nextPeriods: string[];
}

/** PUT replaces the whole schedule: omitted fields take their defaults (Europe/Oslo, enabled, 1800 s). */
export interface ScheduleInput {
  cronExpression: string;
  timeZone?: string;
  enabled?: boolean;
  runTimeoutSeconds?: number;
}

export interface IntegrationHealth {
  orgId: string;
  integrationType: string;
  status: 'unknown' | 'healthy' | 'unhealthy';
  mode: 'active' | 'passive';
  consecutiveFailures: number;
  nextCheckAt: string;
  passiveUntil: string | null;
  lastCheckedAt: string | null;
  lastSuccessAt: string | null;
  lastLatencyMs: number | null;
  lastError: string | null;
  lastSyncAt: string | null;
  lastSyncSucceeded: boolean | null;
  updatedAt: string;
}

export interface IntegrationOverview {
  integrationType: string;
  connection: Connection | null;
  schedule: Schedule | null;
  health: IntegrationHealth | null;
  lastRun: SyncRun | null;
  /** Alerts of this integration not acknowledged yet. */
  openAlerts: number;
}

export const PERIOD_OUTCOMES = [
  'completed',
  'completed_with_failures',
  'failed',
  'cancelled',
  'running',
  'late',
  'missed',
  'upcoming',
] as const;
export type PeriodOutcome = (typeof PERIOD_OUTCOMES)[number];

export interface Period {
  scheduledFor: string;
  outcome: PeriodOutcome;
  runId: string | null;
  status: RunStatus | null;
  startedAt: string | null;
  endedAt: string | null;
  recordsProcessed: number | null;
  recordsFailed: number | null;
  /** startedAt - scheduledFor in seconds, where a run exists. */
  driftSeconds: number | null;
  /** The run was found in the archive. */
  archived: boolean;
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
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

export interface AlertPage extends Page {
  alerts: Alert[];
}

export interface AlertOptions {
  /** 1..1000, default 50. */
  limit?: number;
  before?: string;
}

export interface AcknowledgeOptions {
  /**
   * The failures the user saw (a run_failed alert's details.failed_count, 1 when it has none): while the alert counts
   * more, it is not acknowledged (`alert_changed`, details.failedCount the count now). Left out: acknowledged
   * whatever it counts.
   */
  failedCount?: number;
}
