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
  /** False when its environment variables are missing: healthCheck reports it, sync throws `not_configured`. */
  readonly configured?: boolean;
  /** A cheap liveness check (HEAD or the vendor's status endpoint), never a data request. */
  healthCheck(signal?: AbortSignal): Promise<HealthCheckResult>;
  /**
   * Runs one sync. Throws an IntegrationError when the run fails as a whole (its message is safe to store once
   * sanitised: no credentials, no response bodies); returns counts when it ran, even with failed records.
   */
  sync(context: SyncContext): Promise<SyncResult>;
}

/** Every adapter by integration_type (createAdapters in registry.ts). */
export type AdapterRegistry = Readonly<Record<string, IntegrationAdapter>>;

export const INTEGRATION_ERROR_CODES = [
  'not_configured', // an environment variable is missing or invalid
  'cancelled', // the run's AbortSignal fired
  'timeout', // a request took longer than the configured timeout, on every attempt
  'rate_limited', // 429 (or Retry-After) more often, or for longer, than the adapter is allowed to wait
  'unavailable', // 5xx or network errors on every attempt
  'unauthorized', // 401/403: the credentials were refused
  'bad_response', // a response that does not have the vendor's shape
  'http_error', // another 4xx
] as const;
export type IntegrationErrorCode = (typeof INTEGRATION_ERROR_CODES)[number];

/** How an adapter fails. The message names the integration, the request (method and path) and the HTTP status only. */
export class IntegrationError extends Error {
  override readonly name = 'IntegrationError';
  constructor(
    readonly code: IntegrationErrorCode,
    message: string,
    readonly details: { status?: number; attempts?: number; retryAfterSeconds?: number } = {},
  ) {
    super(message);
  }
}
