// The app's client of the sync-run-log Edge Function. It calls the function through the app's own supabase-js
// client (`supabase.functions.invoke`, which sends the signed-in user's JWT) and returns typed runs; every failure
// becomes a SyncRunLogError with the same codes the function and the database use. It holds no credentials and
// reads no environment: the service role key and the database URL live only on the server.
import type { SupabaseClient } from '@supabase/supabase-js';
import { ERROR_CODES, type ErrorCode, SyncRunLogError } from '../../supabase/functions/_shared/errors.ts';
import { INTEGRATION_TYPE_PATTERN, type SyncRun } from '../../supabase/functions/_shared/run-log.types.ts';

export type { ErrorCode, SyncRun };
export { SyncRunLogError };

export const FUNCTION_NAME = 'sync-run-log';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The part of a supabase-js client this needs (a whole `SupabaseClient` fits). */
export type FunctionsInvoker = Pick<SupabaseClient, 'functions'>;

export interface SyncRunLogClient {
  /** The newest run of each integration of the user's org. */
  getLastRunPerIntegration(): Promise<SyncRun[]>;
  /** Up to `limit` (1..1000, default 50) runs of one integration, newest first. */
  getRunHistory(integrationType: string, limit?: number): Promise<SyncRun[]>;
  /** Starts a manual run; `already_running` when one is running. */
  triggerManualSync(integrationType: string): Promise<SyncRun>;
  /** Cancels a running run of the user's org; `not_found` for unknown (or another org's) runs. */
  cancelRun(runId: string): Promise<SyncRun>;
  /** One run of the user's org. */
  getRun(runId: string): Promise<SyncRun>;
}

export function createSyncRunLogClient(supabase: FunctionsInvoker): SyncRunLogClient {
  async function invoke(
    path: string,
    method: 'GET' | 'POST' | 'PATCH',
    body?: Record<string, unknown>,
  ): Promise<unknown> {
    let result: { data: unknown; error: unknown };
    try {
      result = await supabase.functions.invoke(`${FUNCTION_NAME}${path}`, { method, body });
    } catch (error) {
      throw fromInvokeError(error);
    }
    if (result.error) throw await fromFunctionsError(result.error);
    return result.data;
  }

  return {
    async getLastRunPerIntegration() {
      return runsOf(await invoke('/runs/latest', 'GET'));
    },
    async getRunHistory(integrationType, limit = 50) {
      checkIntegrationType(integrationType);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new SyncRunLogError('invalid_argument', 'limit must be a whole number from 1 to 1000');
      }
      const query = new URLSearchParams({ integrationType, limit: String(limit) });
      return runsOf(await invoke(`/runs?${query}`, 'GET'));
    },
    async triggerManualSync(integrationType) {
      checkIntegrationType(integrationType);
      return runOf(await invoke('/runs', 'POST', { integrationType }));
    },
    async cancelRun(runId) {
      checkRunId(runId);
      return runOf(await invoke(`/runs/${runId}`, 'PATCH', { status: 'cancelled' }));
    },
    async getRun(runId) {
      checkRunId(runId);
      return runOf(await invoke(`/runs/${runId}`, 'GET'));
    },
  };
}

function checkIntegrationType(value: string): void {
  if (typeof value !== 'string' || !INTEGRATION_TYPE_PATTERN.test(value)) {
    throw new SyncRunLogError('invalid_argument', 'integrationType must be a lowercase identifier like "xledger"');
  }
}

function checkRunId(value: string): void {
  if (typeof value !== 'string' || !UUID.test(value))
    throw new SyncRunLogError('invalid_argument', 'runId must be a uuid');
}

function isRun(value: unknown): value is SyncRun {
  const run = value as Partial<SyncRun> | null;
  return typeof run === 'object' && run !== null && typeof run.id === 'string' && typeof run.status === 'string';
}

function runsOf(data: unknown): SyncRun[] {
  const runs = (data as { runs?: unknown } | null)?.runs;
  if (!Array.isArray(runs) || !runs.every(isRun)) throw unexpected();
  return runs;
}

function runOf(data: unknown): SyncRun {
  const run = (data as { run?: unknown } | null)?.run;
  if (!isRun(run)) throw unexpected();
  return run;
}

function unexpected(): SyncRunLogError {
  return new SyncRunLogError('internal', 'the sync-run-log function answered in an unexpected shape');
}

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
