// The app's client of the sync-run-log Edge Function. It calls the function through the app's own supabase-js
// client (`supabase.functions.invoke`, which sends the signed-in user's JWT) and returns typed results (types.ts,
// the function's OpenAPI document in TypeScript); every failure becomes a SyncRunLogError with the same codes the
// function and the database use. It holds no credentials and reads no environment: the service role key and the
// database URL live only on the server. Bad arguments are refused before any request.
import type { SupabaseClient } from '@supabase/supabase-js';
import { ERROR_CODES, type ErrorCode, SyncRunLogError } from '../../supabase/functions/_shared/errors.ts';
import { INTEGRATION_TYPE_PATTERN, RUN_STATUSES, TRIGGERS } from '../../supabase/functions/_shared/run-log.types.ts';
import type {
  AcknowledgeOptions,
  Alert,
  AlertOptions,
  AlertPage,
  Connection,
  ConnectionInputs,
  IntegrationHealth,
  IntegrationOverview,
  Period,
  RunHistoryOptions,
  RunPage,
  Schedule,
  ScheduleInput,
  SyncRun,
} from './types.ts';

export type { ErrorCode };
export { SyncRunLogError };

export const FUNCTION_NAME = 'sync-run-log';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CURSOR = /^[A-Za-z0-9_-]{1,200}$/;

/** The part of a supabase-js client this needs (a whole `SupabaseClient` fits). */
export type FunctionsInvoker = Pick<SupabaseClient, 'functions'>;

export interface SyncRunLogClient {
  // Runs ------------------------------------------------------------------------------------------------------
  /** The newest run of each integration of the user's org. */
  getLastRunPerIntegration(): Promise<SyncRun[]>;
  /** Up to `limit` (1..1000, default 50) runs of one integration, newest first. */
  getRunHistory(integrationType: string, limit?: number): Promise<SyncRun[]>;
  /** A page of one integration's runs, newest first, optionally of one status or trigger. */
  getRunHistoryPage(integrationType: string, options?: RunHistoryOptions): Promise<RunPage>;
  /**
   * "Sync now": queues a manual run (status pending; the executor starts it). `invalid_argument` for an
   * integration the project does not know, `not_configured` without an enabled connection, `already_running`
   * (details.existingRunId) when one is queued or running.
   */
  triggerManualSync(integrationType: string): Promise<SyncRun>;
  /** Cancels a queued or running run of the user's org; `not_found` for unknown (or another org's) runs. */
  cancelRun(runId: string): Promise<SyncRun>;
  /** One run of the user's org. */
  getRun(runId: string): Promise<SyncRun>;
  /** The health monitor's state of each integration of the org. */
  getHealth(): Promise<IntegrationHealth[]>;

  // Integrations ----------------------------------------------------------------------------------------------
  /** Every integration the project knows: connection, schedule with next periods, health, last run, open alerts. */
  listIntegrations(): Promise<IntegrationOverview[]>;
  /** Admins: creates or replaces the connection; the credentials are write-only (never returned). */
  putConnection<T extends keyof ConnectionInputs>(integrationType: T, input: ConnectionInputs[T]): Promise<Connection>;
  /** Admins: deletes the connection and its credentials; `not_found` when there is none. */
  deleteConnection(integrationType: string): Promise<void>;
  /** Admins: creates or replaces the schedule; a bad cron expression or time zone is `invalid_argument`. */
  putSchedule(integrationType: string, input: ScheduleInput): Promise<Schedule>;
  /** Admins: deletes the schedule; `not_found` when there is none. */
  deleteSchedule(integrationType: string): Promise<void>;
  /** The schedule's periods in [from, to) (at most 1000) with their outcomes; `not_found` without a schedule. */
  listPeriods(integrationType: string, range: { from: Date | string; to: Date | string }): Promise<Period[]>;

  // Alerts ----------------------------------------------------------------------------------------------------
  /** A page of the org's alerts, newest first. */
  listAlerts(options?: AlertOptions): Promise<AlertPage>;
  /**
   * Acknowledges an alert (it stops counting in openAlerts); `not_found` for unknown or another org's. With
   * `failedCount`, the failures the user saw: an open alert that counts more now is `alert_changed`
   * (details.failedCount, the count now) and stays open.
   */
  acknowledgeAlert(alertId: string, options?: AcknowledgeOptions): Promise<Alert>;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export function createSyncRunLogClient(supabase: FunctionsInvoker): SyncRunLogClient {
  async function invoke(path: string, method: Method, body?: Record<string, unknown>): Promise<unknown> {
    let result: { data: unknown; error: unknown };
    try {
      result = await supabase.functions.invoke(`${FUNCTION_NAME}${path}`, { method, body });
    } catch (error) {
      throw fromInvokeError(error);
    }
    if (result.error) throw await fromFunctionsError(result.error);
    return result.data;
  }

  async function getRunHistoryPage(integrationType: string, options: RunHistoryOptions = {}): Promise<RunPage> {
    checkIntegrationType(integrationType);
    const query = new URLSearchParams({ integrationType, limit: String(checkLimit(options.limit)) });
    if (given('status', options.status)) query.set('status', oneOf('status', options.status, RUN_STATUSES));
    if (given('triggeredBy', options.triggeredBy))
      query.set('triggeredBy', oneOf('triggeredBy', options.triggeredBy, TRIGGERS));
    if (given('before', options.before)) query.set('before', checkCursor(options.before));
    const data = await invoke(`/runs?${query}`, 'GET');
    return { runs: listOf<SyncRun>(data, 'runs', isRun), nextCursor: cursorOf(data) };
  }

  return {
    getRunHistoryPage,
    async getLastRunPerIntegration() {
      return listOf<SyncRun>(await invoke('/runs/latest', 'GET'), 'runs', isRun);
    },
    async getRunHistory(integrationType, limit = 50) {
      return (await getRunHistoryPage(integrationType, { limit })).runs;
    },
    async triggerManualSync(integrationType) {
      checkIntegrationType(integrationType);
      return itemOf<SyncRun>(await invoke('/runs', 'POST', { integrationType }), 'run', isRun);
    },
    async cancelRun(runId) {
      checkId(runId, 'runId');
      return itemOf<SyncRun>(await invoke(`/runs/${runId}`, 'PATCH', { status: 'cancelled' }), 'run', isRun);
    },
    async getRun(runId) {
      checkId(runId, 'runId');
      return itemOf<SyncRun>(await invoke(`/runs/${runId}`, 'GET'), 'run', isRun);
    },
    async getHealth() {
      return listOf<IntegrationHealth>(await invoke('/health', 'GET'), 'health', hasString('integrationType'));
    },
    async listIntegrations() {
      const data = await invoke('/integrations', 'GET');
      return listOf<IntegrationOverview>(data, 'integrations', hasString('integrationType'));
    },
    async putConnection(integrationType, input) {
      checkIntegrationType(integrationType);
      if (!isObject(input) || !isObject(input.credentials)) {
        throw new SyncRunLogError('invalid_argument', 'input.credentials must be an object');
      }
      const data = await invoke(`/integrations/${integrationType}/connection`, 'PUT', { ...input });
      return itemOf<Connection>(data, 'connection', hasString('id'));
    },
    async deleteConnection(integrationType) {
      checkIntegrationType(integrationType);
      await invoke(`/integrations/${integrationType}/connection`, 'DELETE');
    },
    async putSchedule(integrationType, input) {
      checkIntegrationType(integrationType);
      if (!isObject(input) || typeof input.cronExpression !== 'string') {
        throw new SyncRunLogError('invalid_argument', 'input.cronExpression must be a string');
      }
      const data = await invoke(`/integrations/${integrationType}/schedule`, 'PUT', { ...input });
      return itemOf<Schedule>(data, 'schedule', hasString('id'));
    },
    async deleteSchedule(integrationType) {
      checkIntegrationType(integrationType);
      await invoke(`/integrations/${integrationType}/schedule`, 'DELETE');
    },
    async listPeriods(integrationType, range) {
      checkIntegrationType(integrationType);
      const query = new URLSearchParams({ from: instant('from', range?.from), to: instant('to', range?.to) });
      const data = await invoke(`/integrations/${integrationType}/periods?${query}`, 'GET');
      return listOf<Period>(data, 'periods', hasString('scheduledFor'));
    },
    async listAlerts(options = {}) {
      const query = new URLSearchParams({ limit: String(checkLimit(options.limit)) });
      if (given('before', options.before)) query.set('before', checkCursor(options.before));
      const data = await invoke(`/alerts?${query}`, 'GET');
      return { alerts: listOf<Alert>(data, 'alerts', hasString('id')), nextCursor: cursorOf(data) };
    },
    async acknowledgeAlert(alertId, options = {}) {
      checkId(alertId, 'alertId');
      // No body without a count: the request is the one every version of the function takes.
      const body = given('failedCount', options.failedCount)
        ? { failedCount: checkFailedCount(options.failedCount) }
        : undefined;
      return itemOf<Alert>(await invoke(`/alerts/${alertId}/acknowledge`, 'POST', body), 'alert', hasString('id'));
    },
  };
}

// Arguments ---------------------------------------------------------------------------------------------------

function checkIntegrationType(value: string): void {
  if (typeof value !== 'string' || !INTEGRATION_TYPE_PATTERN.test(value)) {
    throw new SyncRunLogError('invalid_argument', 'integrationType must be a lowercase identifier like "xledger"');
  }
}

function checkId(value: string, name: string): void {
  if (typeof value !== 'string' || !UUID.test(value))
    throw new SyncRunLogError('invalid_argument', `${name} must be a uuid`);
}

/**
 * Whether an option is given. Plain JavaScript can pass null where the types say "leave it out"; it is refused, not
 * read as left out: a null `before` is most likely the last page's nextCursor, and reading it as the first page
 * would page forever.
 */
function given<T>(name: string, value: T | undefined): value is T {
  if (value === null) {
    const why = name === 'before' ? ' (a null nextCursor means there is no next page)' : '';
    throw new SyncRunLogError('invalid_argument', `${name} is null: leave it out instead${why}`);
  }
  return value !== undefined;
}

function checkLimit(limit?: number): number {
  if (!given('limit', limit)) return 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new SyncRunLogError('invalid_argument', 'limit must be a whole number from 1 to 1000');
  }
  return limit;
}

function checkFailedCount(count: number): number {
  if (!Number.isInteger(count) || count < 1 || count > 2_147_483_647) {
    throw new SyncRunLogError('invalid_argument', 'failedCount must be a whole number of at least 1');
  }
  return count;
}

function checkCursor(cursor: string): string {
  if (typeof cursor !== 'string' || !CURSOR.test(cursor)) {
    throw new SyncRunLogError('invalid_argument', 'before must be the nextCursor of the previous page');
  }
  return cursor;
}

function oneOf<T extends string>(name: string, value: T, allowed: readonly string[]): T {
  if (!allowed.includes(value))
    throw new SyncRunLogError('invalid_argument', `${name} must be one of ${allowed.join(', ')}`);
  return value;
}

/** An ISO 8601 instant: a date, a time and `Z` or an offset (as the API's `from` and `to` are). */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * A Date, or a string that is an instant: a time without an offset (or "Dec 1 2026") would be read in this machine's
 * time zone, and the same call would ask for another range elsewhere.
 */
function instant(name: string, value: Date | string | undefined): string {
  const date =
    value instanceof Date
      ? value
      : typeof value === 'string' && ISO_INSTANT.test(value)
        ? new Date(value)
        : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) {
    throw new SyncRunLogError(
      'invalid_argument',
      `${name} must be a Date or an ISO 8601 instant with Z or an offset, e.g. 2026-12-01T00:00:00Z`,
    );
  }
  return date.toISOString();
}

// Answers -----------------------------------------------------------------------------------------------------

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const hasString =
  (key: string) =>
  (value: unknown): boolean =>
    isObject(value) && typeof value[key] === 'string';

function isRun(value: unknown): value is SyncRun {
  return hasString('id')(value) && hasString('status')(value);
}

function listOf<T>(data: unknown, key: string, check: (item: unknown) => boolean): T[] {
  const items = isObject(data) ? data[key] : undefined;
  if (!Array.isArray(items) || !items.every(check)) throw unexpected();
  return items as T[];
}

function itemOf<T>(data: unknown, key: string, check: (item: unknown) => boolean): T {
  const item = isObject(data) ? data[key] : undefined;
  if (!check(item)) throw unexpected();
  return item as T;
}

/** The page's nextCursor; none at all (a function from before paging) is the last page. */
function cursorOf(data: unknown): string | null {
  const cursor = isObject(data) ? data.nextCursor : undefined;
  if (cursor === undefined || cursor === null) return null;
  if (typeof cursor !== 'string') throw unexpected();
  return cursor;
}

function unexpected(): SyncRunLogError {
  return new SyncRunLogError('internal', 'the sync-run-log function answered in an unexpected shape');
}

// Errors ------------------------------------------------------------------------------------------------------

const BY_STATUS: Record<number, ErrorCode> = {
  400: 'invalid_argument',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

/** supabase-js's function errors by class name (the app's copy of supabase-js may not be ours). */
async function fromFunctionsError(error: unknown): Promise<SyncRunLogError> {
  const name = (error as { name?: unknown } | null)?.name;
  const context = (error as { context?: unknown } | null)?.context;
  if (name === 'FunctionsHttpError' && isResponseLike(context)) return fromHttpResponse(context);
  if (name === 'FunctionsRelayError') {
    return new SyncRunLogError('unavailable', 'the Supabase relay could not reach the sync-run-log function');
  }
  return fromInvokeError(error);
}

function fromInvokeError(error: unknown): SyncRunLogError {
  if (error instanceof SyncRunLogError) return error;
  return new SyncRunLogError('unavailable', 'the sync-run-log function could not be reached');
}

/** What the client reads of a response; a custom `fetch` (e.g. a polyfill) may return a Response of its own class. */
interface ResponseLike {
  status: number;
  json(): Promise<unknown>;
}

function isResponseLike(value: unknown): value is ResponseLike {
  const candidate = value as Partial<ResponseLike> | null;
  return typeof candidate?.status === 'number' && typeof candidate.json === 'function';
}

async function fromHttpResponse(response: ResponseLike): Promise<SyncRunLogError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON (a proxy's page): classify by status
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  const known = typeof error?.code === 'string' && (ERROR_CODES as readonly string[]).includes(error.code);
  const code: ErrorCode = known ? (error?.code as ErrorCode) : (BY_STATUS[response.status] ?? 'internal');
  const message = typeof error?.message === 'string' ? error.message : `sync-run-log answered HTTP ${response.status}`;
  const details =
    typeof error?.details === 'object' && error.details !== null ? (error.details as Record<string, unknown>) : {};
  return new SyncRunLogError(code, message, { ...details, httpStatus: response.status });
}
