// The HTTP behaviour every adapter shares: a per-request timeout, cancellation through the run's AbortSignal,
// retries of 5xx, network errors and timeouts with bounded exponential backoff (jitter), and 429 handled by
// waiting what Retry-After says (up to a limit). Web-standard only (fetch, AbortController): runs in Deno and Node.
// Error messages name the integration, the method, the path and the status: never a credential, query or body.
import { type HealthCheckResult, IntegrationError } from './integration.ts';

export interface HttpPolicy {
  /** Per-request timeout, headers and body included. */
  timeoutMs: number;
  /** Timeout of a health check (one request, no retries). */
  healthTimeoutMs: number;
  /** Attempts per request for 5xx, network errors and timeouts. */
  maxAttempts: number;
  /** 429 answers waited out per request before giving up. */
  maxRateLimitRetries: number;
  /** A Retry-After longer than this fails the request as rate_limited rather than holding the run. */
  maxRetryAfterMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
}

export const DEFAULT_POLICY: HttpPolicy = {
  timeoutMs: 30_000,
  healthTimeoutMs: 10_000,
  maxAttempts: 5,
  maxRateLimitRetries: 5,
  maxRetryAfterMs: 300_000,
  backoffBaseMs: 500,
  backoffCapMs: 30_000,
};

/** What tests inject: the waiting, the randomness and the clock (Retry-After as an HTTP date). */
export interface HttpRuntime {
  fetch: typeof fetch;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  now: () => number;
}

export const defaultRuntime: HttpRuntime = {
  fetch: (input, init) => fetch(input, init),
  sleep: abortableSleep,
  random: Math.random,
  now: Date.now,
};

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /**
   * Headers asked for before each attempt (e.g. a bearer token, which may expire while a retry waits), added to
   * `headers`. What it throws fails the request as it is.
   */
  authorize?: () => Promise<Record<string, string>>;
  body?: string;
  signal: AbortSignal;
  /** The URL comes from the server's configuration (a token endpoint): it may be on another host. */
  configuredUrl?: boolean;
  /**
   * An OAuth 2.0 token request: its 400 naming refused client credentials (RFC 6749 5.2: invalid_client,
   * unauthorized_client, invalid_grant) is `unauthorized` like a 401, not an `http_error`.
   */
  oauthToken?: boolean;
}

/** The token endpoint's error codes that mean the credentials were refused (RFC 6749 5.2). */
const OAUTH_REFUSALS = new Set(['invalid_client', 'unauthorized_client', 'invalid_grant']);

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);

export class HttpClient {
  constructor(
    readonly integration: string,
    readonly baseUrl: URL,
    readonly policy: HttpPolicy,
    readonly runtime: HttpRuntime,
  ) {}

  /** A path under the base URL, or an absolute URL that must share its origin (a next-page link). */
  resolve(pathOrUrl: string, configuredUrl = false): URL {
    let url: URL;
    try {
      url = new URL(pathOrUrl.startsWith('http') ? pathOrUrl : this.baseUrl.href.replace(/\/$/, '') + pathOrUrl);
    } catch {
      // The error would quote the text, which came from the vendor: never into a run's message.
      throw new IntegrationError('bad_response', `${this.integration}: a next-page link is not a URL`);
    }
    if (url.origin !== this.baseUrl.origin && !configuredUrl) {
      // Never send credentials to another host, whatever a response says.
      throw new IntegrationError('bad_response', `${this.integration}: a next-page link points to another host`);
    }
    return url;
  }

  /** One request with retries; returns the parsed JSON body of a 2xx answer or throws an IntegrationError. */
  async request(pathOrUrl: string, options: RequestOptions): Promise<HttpResponse> {
    const url = this.resolve(pathOrUrl, options.configuredUrl);
    const method = options.method ?? 'GET';
    const label = `${this.integration}: ${method} ${url.pathname}`;
    const { timeoutMs, maxAttempts, maxRateLimitRetries } = this.policy;
    let failures = 0;
    let rateLimited = 0;
    for (;;) {
      throwIfCancelled(options.signal, this.integration);
      let response: Response;
      let text: string | null;
      const attempt = options.authorize
        ? { ...options, headers: { ...options.headers, ...(await options.authorize()) } }
        : options;
      try {
        // A 2xx body is read within the same timeout and abort as the headers: a connection lost or stalled
        // halfway through it is a network error or a timeout like any other, retried, and never left running.
        ({ response, text } = await this.fetchOnce(url, method, attempt, timeoutMs, true));
      } catch (error) {
        throwIfCancelled(options.signal, this.integration);
        failures += 1;
        const timedOut = error instanceof TimeoutSignal;
        if (failures >= maxAttempts) {
          throw new IntegrationError(
            timedOut ? 'timeout' : 'unavailable',
            timedOut
              ? `${label} timed out after ${timeoutMs} ms (${failures} attempts)`
              : `${label} failed: network error (${failures} attempts)`,
            { attempts: failures },
          );
        }
        await this.runtime.sleep(this.backoff(failures), options.signal);
        continue;
      }

      if (response.ok) {
        return { status: response.status, headers: response.headers, body: parseJson(text ?? '', label, response) };
      }
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.runtime.now());

      if (response.status === 429) {
        rateLimited += 1;
        const wait = retryAfterMs ?? this.backoff(rateLimited);
        if (rateLimited > maxRateLimitRetries || wait > this.policy.maxRetryAfterMs) {
          throw new IntegrationError('rate_limited', `${label} was rate limited (HTTP 429, ${rateLimited} times)`, {
            status: 429,
            attempts: failures + rateLimited,
            ...(retryAfterMs !== undefined ? { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) } : {}),
          });
        }
        await this.runtime.sleep(wait, options.signal);
        continue;
      }
      if (RETRYABLE_STATUS.has(response.status)) {
        failures += 1;
        if (failures >= maxAttempts) {
          throw new IntegrationError(
            'unavailable',
            `${label} failed with HTTP ${response.status} (${failures} attempts)`,
            {
              status: response.status,
              attempts: failures,
            },
          );
        }
        const wait = Math.min(Math.max(retryAfterMs ?? 0, this.backoff(failures)), this.policy.maxRetryAfterMs);
        await this.runtime.sleep(wait, options.signal);
        continue;
      }
      if (response.status === 401 || response.status === 403) {
        throw new IntegrationError('unauthorized', `${label} refused the credentials (HTTP ${response.status})`, {
          status: response.status,
        });
      }
      const oauthError = options.oauthToken && response.status === 400 ? oauthErrorCode(text) : null;
      if (oauthError && OAUTH_REFUSALS.has(oauthError)) {
        // Only the standard code is repeated: error_description may quote what was sent.
        throw new IntegrationError('unauthorized', `${label} refused the credentials (HTTP 400 ${oauthError})`, {
          status: 400,
        });
      }
      const redirected = response.status >= 300 && response.status < 400 ? ' (a redirect, not followed)' : '';
      throw new IntegrationError('http_error', `${label} failed with HTTP ${response.status}${redirected}`, {
        status: response.status,
      });
    }
  }

  /**
   * A health check: one request, no retries, never a data request. 429 or Retry-After means rate limited; 2xx, or
   * an answer `answered` accepts (e.g. a 401 challenge from a service that wants a token), means healthy.
   */
  async probe(
    pathOrUrl: string,
    options: {
      method: 'HEAD' | 'GET';
      headers?: Record<string, string>;
      signal?: AbortSignal;
      answered?: (status: number, headers: Headers) => boolean;
    },
  ) {
    const started = this.runtime.now();
    const signal = options.signal ?? new AbortController().signal;
    const latency = () => Math.max(0, this.runtime.now() - started);
    try {
      const url = this.resolve(pathOrUrl);
      const { response } = await this.fetchOnce(
        url,
        options.method,
        { ...options, signal },
        this.policy.healthTimeoutMs,
      );
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.runtime.now());
      if (response.status === 429 || retryAfterMs !== undefined) {
        const result: HealthCheckResult = {
          status: 'rate_limited',
          latencyMs: latency(),
          error: `${this.integration}: health check was rate limited (HTTP ${response.status})`,
        };
        if (retryAfterMs !== undefined) result.retryAfterSeconds = Math.ceil(retryAfterMs / 1000);
        return result;
      }
      if (response.ok || options.answered?.(response.status, response.headers)) {
        return { status: 'healthy', latencyMs: latency() } satisfies HealthCheckResult;
      }
      return {
        status: 'unhealthy',
        latencyMs: latency(),
        error: `${this.integration}: health check failed with HTTP ${response.status}`,
      } satisfies HealthCheckResult;
    } catch (error) {
      const reason =
        error instanceof TimeoutSignal
          ? `timed out after ${this.policy.healthTimeoutMs} ms`
          : signal.aborted
            ? 'cancelled'
            : error instanceof IntegrationError
              ? error.message
              : 'network error';
      return {
        status: 'unhealthy',
        latencyMs: latency(),
        error: `${this.integration}: health check ${reason}`,
      } satisfies HealthCheckResult;
    }
  }

  /** Exponential backoff with equal jitter: half the step fixed, half random, capped. */
  backoff(attempt: number): number {
    const step = Math.min(this.policy.backoffCapMs, this.policy.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
    return Math.round(step / 2 + (step / 2) * this.runtime.random());
  }

  /**
   * One request under one timeout and the caller's signal; with `readText`, a 2xx body is read under them too. Any
   * other body is cancelled: only the status and headers of an error answer are used.
   */
  private async fetchOnce(
    url: URL,
    method: string,
    options: Omit<RequestOptions, 'method'>,
    timeoutMs: number,
    readText = false,
  ): Promise<{ response: Response; text: string | null }> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal.reason);
    options.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(new TimeoutSignal()), timeoutMs);
    try {
      // Redirects are not followed: fetch would send the body (a client secret) and headers such as x-api-key to
      // wherever the Location points. A 3xx is an answer like any other error (request: http_error).
      const init: RequestInit = {
        method,
        headers: options.headers ?? {},
        signal: controller.signal,
        redirect: 'manual',
      };
      if (options.body !== undefined) init.body = options.body;
      const response = await this.runtime.fetch(url, init);
      if (readText && (response.ok || (options.oauthToken && response.status === 400))) {
        return { response, text: await response.text() };
      }
      await response.body?.cancel().catch(() => {});
      return { response, text: null };
    } catch (error) {
      if (controller.signal.reason instanceof TimeoutSignal) throw controller.signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
    }
  }
}

/** The `error` of an OAuth error answer's JSON body, or null. */
function oauthErrorCode(text: string | null): string | null {
  try {
    const body: unknown = JSON.parse(text ?? '');
    const error = body && typeof body === 'object' ? (body as { error?: unknown }).error : undefined;
    return typeof error === 'string' ? error : null;
  } catch {
    return null;
  }
}

/** A 2xx body as JSON (empty: null); anything else is a bad response, never retried. */
function parseJson(text: string, label: string, response: Response): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new IntegrationError('bad_response', `${label} returned a body that is not JSON`, {
      status: response.status,
    });
  }
}

/** Marks an abort caused by our own timeout (as opposed to the run's cancellation). */
class TimeoutSignal extends Error {
  constructor() {
    super('timeout');
  }
}

export function throwIfCancelled(signal: AbortSignal, integration: string): void {
  if (signal.aborted) throw new IntegrationError('cancelled', `${integration}: the sync was cancelled`);
}

/** The longest Retry-After taken at its word (a week): an absurd one must not become a date JavaScript cannot hold. */
export const MAX_RETRY_AFTER_MS = 7 * 24 * 60 * 60 * 1000;

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unreadable. */

export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new IntegrationError('cancelled', 'the sync was cancelled'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new IntegrationError('cancelled', 'the sync was cancelled'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
