// One interface for every external system a sync talks to (Xledger, Microsoft Dynamics, Bufdir export).
// Adapters speak HTTP to a configurable base URL and read their credentials from the server's environment only.

export type HealthStatus = 'healthy' | 'unhealthy' | 'rate_limited';

export interface HealthCheckResult {
  status: HealthStatus;
  /** Milliseconds the check took. */
  latencyMs: number;
  /** Seconds the API asked us to wait (Retry-After), when it did. */
  retryAfterSeconds?: number;
  /** A short, sanitised reason when not healthy. */
  error?: string;
}

export interface SyncProgress {
  recordsProcessed: number;
  recordsFailed: number;
}

export interface SyncContext {
  orgId: string;
  /** The period the run stands for (scheduler runs), or null for a manual run. */
  scheduledFor: Date | null;
  /** Aborted when the run is cancelled or times out: adapters stop at the next page. */
  signal: AbortSignal;
  /** Called after every page: the caller records it as a heartbeat with progress. */
  onProgress(progress: SyncProgress): Promise<void>;
}

export interface SyncResult extends SyncProgress {
  /** A message about partly failed records (null when none failed). Sanitised by the caller before storing. */
  errorMessage: string | null;
}

export interface IntegrationAdapter {
  /** The integration_type it serves: 'xledger', 'dynamics', 'bufdir'. */
  readonly type: string;
  /** A cheap liveness check (HEAD or the vendor's status endpoint), never a data request. */
  healthCheck(signal?: AbortSignal): Promise<HealthCheckResult>;
  /** Runs one sync. Throws when the run fails as a whole; returns counts when it ran (even with failed records). */
  sync(context: SyncContext): Promise<SyncResult>;
}
