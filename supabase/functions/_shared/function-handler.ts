// A small router for Edge Functions: `Request -> Response`, deployable as is with `Deno.serve(handler)`.
// Per request: a request id (response header and every log line), CORS preflight, 404 for unknown paths and 405
// (with Allow) for known paths with another method, typed errors rendered as `{ error: { code, message } }`, and
// anything unexpected as a 500 that says nothing about internals. One structured log line per request.
import { SyncRunLogError } from './errors.ts';
import { CORS_HEADERS, errorResponse, json, requestIdOf } from './http.ts';
import type { LogFields, Logger } from './log.ts';
import { sanitizeErrorMessage } from './sanitize-error.ts';

export interface RouteContext {
  request: Request;
  url: URL;
  /** Path parameters (`/runs/:id` gives `params.id`). */
  params: Record<string, string>;
  requestId: string;
  log: Logger;
  /** Adds fields to the request's log line (e.g. the caller's role and org). */
  annotate(fields: LogFields): void;
}

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** A path under the function, e.g. `/runs/:id`. */
  path: string;
  handle(context: RouteContext): Promise<Response> | Response;
}

export interface FunctionOptions {
  /** The function's name: its paths are served under `/<name>` (and `/functions/v1/<name>`). */
  name: string;
  routes: Route[];
  log: Logger;
  /** For the duration in the log line (tests inject a clock). */
  now?: () => number;
}

interface CompiledRoute extends Route {
  segments: string[];
}

/** The path below the function: strips `/functions/v1` (local gateway) and `/<name>` (the Supabase runtime). */
export function functionPath(pathname: string, name: string): string | null {
  let path = pathname.startsWith('/functions/v1/') ? pathname.slice('/functions/v1'.length) : pathname;
  if (path !== `/${name}` && !path.startsWith(`/${name}/`)) return null;
  path = path.slice(name.length + 1);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path === '' ? '/' : path;
}

function match(route: CompiledRoute, segments: string[]): Record<string, string> | null {
  if (route.segments.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const want = route.segments[i] as string;
    const got = segments[i] as string;
    if (want.startsWith(':')) {
      try {
        params[want.slice(1)] = decodeURIComponent(got);
      } catch {
        return null;
      }
    } else if (want !== got) return null;
  }
  return params;
}

export function createFunctionHandler(options: FunctionOptions): (request: Request) => Promise<Response> {
  const now = options.now ?? (() => performance.now());
  // Literal segments win over parameters: `/runs/latest` before `/runs/:id`.
  const routes: CompiledRoute[] = options.routes
    .map((route) => ({ ...route, segments: route.path.split('/').filter(Boolean) }))
    .sort((a, b) => paramCount(a) - paramCount(b));

  return async (request) => {
    const started = now();
    const requestId = requestIdOf(request);
    const headers = { 'x-request-id': requestId };
    const url = new URL(request.url);
    const fields: LogFields = { requestId, function: options.name, method: request.method, path: url.pathname };
    let response: Response;
    try {
      response = await dispatch(request, url, requestId, fields);
    } catch (error) {
      response = renderError(error, fields, requestId);
    }
    for (const [key, value] of Object.entries(headers)) response.headers.set(key, value);
    const status = response.status;
    options.log.log(status >= 500 ? 'error' : 'info', 'request', {
      ...fields,
      status,
      durationMs: Math.round((now() - started) * 100) / 100,
    });
    return response;
  };

  async function dispatch(request: Request, url: URL, requestId: string, fields: LogFields): Promise<Response> {
    if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: { ...CORS_HEADERS } });
    const path = functionPath(url.pathname, options.name);
    if (path === null) throw new SyncRunLogError('not_found', `no route ${url.pathname}`);
    const segments = path.split('/').filter(Boolean);
    const allowed: string[] = [];
    // The path is the first matching route's: with fewer parameters it wins for every method, so `/runs/latest`
    // is never a run whose id is "latest" (PATCH /runs/latest is 405, not a run not found).
    let pathParams: number | null = null;
    for (const route of routes) {
      if (pathParams !== null && paramCount(route) > pathParams) break;
      const params = match(route, segments);
      if (!params) continue;
      pathParams ??= paramCount(route);
      if (route.method !== request.method) {
        if (!allowed.includes(route.method)) allowed.push(route.method);
        continue;
      }
      return await route.handle({
        request,
        url,
        params,
        requestId,
        log: options.log,
        annotate: (more) => Object.assign(fields, more),
      });
    }
    if (allowed.length > 0) {
      const allow = [...allowed, 'OPTIONS'].join(', ');
      return errorResponse(new SyncRunLogError('method_not_allowed', `${request.method} is not allowed here`), {
        allow,
      });
    }
    throw new SyncRunLogError('not_found', `no route ${request.method} ${path}`);
  }

  function renderError(error: unknown, fields: LogFields, requestId: string): Response {
    if (error instanceof SyncRunLogError) {
      fields.errorCode = error.code;
      if (error.code === 'internal' || error.code === 'unavailable') {
        fields.errorDetails = error.details;
        // Why the database (or a service) could not be reached, e.g. a certificate refused: for the log, sanitised.
        if (error.cause !== undefined) fields.errorCause = sanitizeErrorMessage(messageOf(error.cause));
        return errorResponse(error.code === 'internal' ? new SyncRunLogError('internal', 'internal error', {}) : error);
      }
      return errorResponse(error);
    }
    // A bug: log what happened (sanitised), answer without internals.
    fields.errorCode = 'internal';
    options.log.log('error', messageOf(error), { requestId });
    return errorResponse(new SyncRunLogError('internal', 'internal error'));
  }
}

function messageOf(cause: unknown): string {
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}

function paramCount(route: CompiledRoute): number {
  return route.segments.filter((s) => s.startsWith(':')).length;
}

export { json };
