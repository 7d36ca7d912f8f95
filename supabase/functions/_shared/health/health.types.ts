// The health table's row (what the database returns, snake_case) and the domain type callers use.

export type HealthStatus = 'unknown' | 'healthy' | 'unhealthy';
export type HealthMode = 'active' | 'passive';

export interface IntegrationHealthRow {
  org_id: string;
  integration_type: string;
  status: HealthStatus;
  mode: HealthMode;
  consecutive_failures: number;
  next_check_at: string;
  passive_until: string | null;
  last_checked_at: string | null;
  last_success_at: string | null;
  last_latency_ms: number | null;
  last_error: string | null;
  last_sync_at: string | null;
  last_sync_succeeded: boolean | null;
  updated_at: string;
}

export interface IntegrationHealth {
  orgId: string;
  integrationType: string;
  status: HealthStatus;
  mode: HealthMode;
  consecutiveFailures: number;
  nextCheckAt: Date;
  passiveUntil: Date | null;
  lastCheckedAt: Date | null;
  lastSuccessAt: Date | null;
  lastLatencyMs: number | null;
  lastError: string | null;
  lastSyncAt: Date | null;
  lastSyncSucceeded: boolean | null;
  updatedAt: Date;
}

const date = (value: string | null): Date | null => (value === null ? null : new Date(value));

export function toIntegrationHealth(row: IntegrationHealthRow): IntegrationHealth {
  return {
    orgId: row.org_id,
    integrationType: row.integration_type,
    status: row.status,
    mode: row.mode,
    consecutiveFailures: row.consecutive_failures,
    nextCheckAt: new Date(row.next_check_at),
    passiveUntil: date(row.passive_until),
    lastCheckedAt: date(row.last_checked_at),
    lastSuccessAt: date(row.last_success_at),
    lastLatencyMs: row.last_latency_ms,
    lastError: row.last_error,
    lastSyncAt: date(row.last_sync_at),
    lastSyncSucceeded: row.last_sync_succeeded,
    updatedAt: new Date(row.updated_at),
  };
}
