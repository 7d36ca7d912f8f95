// One error model from the database to the HTTP response to the client: a code, an HTTP status, a safe message.
// The database raises SQLSTATEs of class SR (docs/errors.md); they map to these codes and nothing else leaks.
import type { RpcPort } from './rpc-port.ts';

export const ERROR_CODES = [
  'already_running',
  'duplicate_period',
  'period_superseded',
  'not_configured',
  'alert_changed',
  'not_found',
  'not_running',
  'invalid_transition',
  'invalid_argument',
  'unauthorized',
  'forbidden',
  'method_not_allowed',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const HTTP_STATUS: Record<ErrorCode, number> = {
  already_running: 409,
  duplicate_period: 409,
  period_superseded: 409,
  not_configured: 409,
  alert_changed: 409,
  not_found: 404,
  not_running: 409,
  invalid_transition: 409,
  invalid_argument: 400,
  unauthorized: 401,
  forbidden: 403,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** The database's own codes (raised by the migrations' functions and triggers). */
export const SQLSTATE = {
  alreadyRunning: 'SR001',
  duplicateIdempotencyKey: 'SR002',
  runNotFound: 'SR003',
  runNotRunning: 'SR004',
  invalidArgument: 'SR005',
  invalidTransition: 'SR006',
  periodSuperseded: 'SR007',
  notConfigured: 'SR008',
  alertChanged: 'SR009',
} as const;

/** CHECK constraints whose violation has a message worth showing (the rest say "invalid argument"). */
const CHECK_MESSAGES: Record<string, string> = {
  sync_run_log_manual_key_not_a_period:
    'a manual run cannot use a scheduled period key (<integration>:<ISO timestamp>): that would swallow the scheduled run',
  sync_run_log_manual_has_no_period: 'a manual run has no scheduled period (scheduledFor is for scheduler runs)',
  sync_run_log_integration_type_format: 'integration type must be a lowercase identifier (^[a-z][a-z0-9_]{1,62}$)',
  sync_run_log_idempotency_key_length: 'idempotency key must be 1 to 200 characters',
};

/** PostgreSQL's own codes that mean the input was bad (checks, casts, not-null, too long). */
const INPUT_SQLSTATES = new Set([
  '23502',
  '23514',
  '22P02',
  '22001',
  '22003',
  '22007',
  '22008',
  '22009',
  '22023',
  '22021',
  '22P05',
]);

/**
 * A call that got no answer, or PostgreSQL's word that it cannot serve now: no error code (supabase-js's shape of a
 * failed fetch), connection exceptions (class 08), shutting down or starting up (57P01-57P03), too many connections.
 */
function isUnavailable(code: string | undefined): boolean {
  return !code || code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code);
}

export class SyncRunLogError extends Error {
  override readonly name = 'SyncRunLogError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /**
     * Safe extra facts, e.g. `{ existingRunId }` for duplicate_period and already_running, `{ failedCount }` for
     * alert_changed.
     */
    readonly details: Record<string, unknown> = {},
    /** What went wrong underneath (a driver's error): for the function's log only, never an answer. */
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }

  get status(): number {
    return HTTP_STATUS[this.code];
  }
}

/** Maps a database error ({ code, message, details } from PostgREST or the SQL adapter) to a typed error. */
export function fromDatabaseError(error: {
  code?: string;
  message?: string;
  details?: string | null;
}): SyncRunLogError {
  const message = error.message ?? 'database error';
  switch (error.code) {
    case SQLSTATE.alreadyRunning:
      // DETAIL: the id of the queued or running run in the way (empty when it ended meanwhile).
      return new SyncRunLogError('already_running', message, error.details ? { existingRunId: error.details } : {});
    case SQLSTATE.duplicateIdempotencyKey:
      return new SyncRunLogError('duplicate_period', message, error.details ? { existingRunId: error.details } : {});
    case SQLSTATE.runNotFound:
      return new SyncRunLogError('not_found', message);
    case SQLSTATE.runNotRunning:
      return new SyncRunLogError('not_running', message, error.details ? { status: error.details } : {});
    case SQLSTATE.invalidTransition:
      return new SyncRunLogError('invalid_transition', message);
    case SQLSTATE.invalidArgument:
      return new SyncRunLogError('invalid_argument', message);
    case SQLSTATE.periodSuperseded:
      return new SyncRunLogError('period_superseded', message, error.details ? { newestPeriod: error.details } : {});
    case SQLSTATE.notConfigured:
      return new SyncRunLogError('not_configured', message);
    case SQLSTATE.alertChanged:
      // DETAIL: the failures the alert counts now, more than the caller saw.
      return new SyncRunLogError(
        'alert_changed',
        message,
        error.details && /^\d{1,9}$/.test(error.details) ? { failedCount: Number(error.details) } : {},
      );
    default:
      if (error.code && INPUT_SQLSTATES.has(error.code)) {
        const constraint = error.code === '23514' ? /check constraint "([a-z0-9_]+)"/.exec(message)?.[1] : undefined;
        return new SyncRunLogError(
          'invalid_argument',
          (constraint && CHECK_MESSAGES[constraint]) || 'invalid argument',
        );
      }
      // Unavailable in its own words (too many connections, shutting down): the code goes to the log, not the answer.
      if (isUnavailable(error.code)) {
        return new SyncRunLogError(
          'unavailable',
          'the database could not be reached',
          error.code ? { databaseCode: error.code } : {},
        );
      }
      // Anything else (permission, unknown function, a bug) is internal: never show its text.
      return new SyncRunLogError('internal', 'the run log is unavailable', { databaseCode: error.code ?? null });
  }
}

/**
 * One call through the rpc port with the error model applied: a port that throws (network) is `unavailable`, a
 * database error its typed error. Every repository calls its RPC functions through this.
 */
export async function callRpc(
  port: RpcPort,
  fn: string,
  args: Record<string, unknown>,
  unreachable = 'the database could not be reached',
): Promise<unknown> {
  let result: Awaited<ReturnType<RpcPort['rpc']>>;
  try {
    result = await port.rpc(fn, args);
  } catch (cause) {
    throw new SyncRunLogError('unavailable', unreachable, {}, cause);
  }
  if (result.error) throw fromDatabaseError(result.error);
  return result.data;
}
