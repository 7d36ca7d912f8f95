// HTTP building blocks every Edge Function shares: JSON responses in one error shape `{ error: { code, message } }`,
// CORS for browser clients, the request id, and a JSON body reader that enforces the content type and a size limit.
import { type ErrorCode, HTTP_STATUS, SyncRunLogError } from './errors.ts';

/** Largest accepted request body. */
export const MAX_BODY_BYTES = 16 * 1024;

export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, x-client-info, apikey, content-type, x-request-id',
  'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
  'access-control-expose-headers': 'x-request-id, location',
  'access-control-max-age': '86400',
};

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's x-request-id when it is a sane token, or a fresh one. */
export function requestIdOf(request: Request): string {
  const given = request.headers.get('x-request-id');
  return given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { ...CORS_HEADERS, 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/** The error body. `details` carries only facts that are safe to show (e.g. the existing run id of a duplicate). */
export function errorResponse(error: SyncRunLogError, headers: Record<string, string> = {}): Response {
  const body: { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } = {
    error: { code: error.code, message: error.message },
  };
  const safe = safeDetails(error);
  if (safe) body.error.details = safe;
  return json(HTTP_STATUS[error.code], body, headers);
}

function safeDetails(error: SyncRunLogError): Record<string, unknown> | undefined {
  if (
    (error.code === 'duplicate_period' || error.code === 'already_running') &&
    typeof error.details.existingRunId === 'string'
  ) {
    return { existingRunId: error.details.existingRunId };
  }
  if (error.code === 'not_running' && typeof error.details.status === 'string') return { status: error.details.status };
  if (error.code === 'period_superseded' && typeof error.details.newestPeriod === 'string') {
    return { newestPeriod: error.details.newestPeriod };
  }
  if (error.code === 'alert_changed' && typeof error.details.failedCount === 'number') {
    return { failedCount: error.details.failedCount };
  }
  return undefined;
}

function isJson(contentType: string | null): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/**
 * Reads the body as JSON: 415 unless the content type is JSON, 413 over `limit` bytes (declared or streamed),
 * 400 when it is empty or not valid JSON.
 */
export async function readJsonBody(request: Request, limit = MAX_BODY_BYTES): Promise<unknown> {
  if (!isJson(request.headers.get('content-type'))) throw notJson();
  refuseDeclaredOver(request, limit);
  return parseJsonBytes(await readLimited(request, limit));
}

/**
 * Reads a body that may be left out: undefined when there is none (no bytes, or only whitespace, whatever the content
 * type says: a client that sends no body may still send Content-Type: application/json); otherwise as readJsonBody.
 */
export async function readOptionalJsonBody(request: Request, limit = MAX_BODY_BYTES): Promise<unknown> {
  refuseDeclaredOver(request, limit);
  const bytes = await readLimited(request, limit);
  // Decoded leniently only to tell no body from one: a byte that is not UTF-8 becomes U+FFFD, which is not blank.
  if (new TextDecoder().decode(bytes).trim() === '') return undefined;
  if (!isJson(request.headers.get('content-type'))) throw notJson();
  return parseJsonBytes(bytes);
}

function refuseDeclaredOver(request: Request, limit: number): void {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
}

function parseJsonBytes(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SyncRunLogError('invalid_argument', 'the body is not valid UTF-8');
  }
  if (text.trim() === '') throw new SyncRunLogError('invalid_argument', 'the body is empty: a JSON object is expected');
  try {
    return JSON.parse(text);
  } catch {
    throw new SyncRunLogError('invalid_argument', 'the body is not valid JSON');
  }
}

function notJson(): SyncRunLogError {
  return new SyncRunLogError('unsupported_media_type', 'the body must be JSON (Content-Type: application/json)');
}

async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function tooLarge(limit: number): SyncRunLogError {
  return new SyncRunLogError('payload_too_large', `the body is larger than ${limit} bytes`);
}
