// One interface for every external system a sync talks to (Xledger, Microsoft Dynamics, Bufdir export).
// Adapters speak HTTP to a base URL configured per deployment (the server's environment, with the tuning); the
// credentials and the non-secret settings are the org's, given per run in the SyncContext from its connection
// (connection-schemas.ts says what each adapter takes).

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
  /**
   * The org connection's decrypted credentials (Vault), as stored: the adapter validates them with its schema. Never
   * log, store or repeat them in an error.
   */
  credentials: Readonly<Record<string, unknown>>;
  /** The org connection's non-secret settings (sync_connections.settings), as stored: the adapter validates them. */
  settings: Readonly<Record<string, unknown>>;
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
  /**
   * False when the deployment's settings (base URL, tuning) are missing or invalid: healthCheck reports it, sync
   * throws `not_configured`. Says nothing about an org's credentials, which come per run.
   */
  readonly configured?: boolean;
  /**
   * A cheap liveness check of the vendor (HEAD or its status endpoint) at the deployment's base URL, never a data
   * request and never with an org's credentials: one answer stands for every org (docs/health.md).
   */
  healthCheck(signal?: AbortSignal): Promise<HealthCheckResult>;
  /**
   * Runs one sync with the context's credentials and settings. Throws an IntegrationError when the run fails as a
   * whole (its message is safe to store once sanitised: no credentials, no response bodies): `not_configured` when
   * the credentials or settings do not fit the adapter's schema, `unauthorized` when the vendor refuses them;
   * returns counts when it ran, even with failed records.
   */
  sync(context: SyncContext): Promise<SyncResult>;
}

/** Every adapter by integration_type (createAdapters in registry.ts). */
export type AdapterRegistry = Readonly<Record<string, IntegrationAdapter>>;

export const INTEGRATION_ERROR_CODES = [
  'not_configured', // a deployment setting, or the org's stored credentials or settings, missing or invalid
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
