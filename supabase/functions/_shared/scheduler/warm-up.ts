// Warm-up: a cold Edge Function can miss a short connection window, so before a scheduled run the scheduler pings
// the function the run is about to use with a cheap request, ahead of time. The ping happens in the last tick that
// is at least `leadMs` before the period (ticks come every `windowMs`, one minute): with the defaults, 30 to 90
// seconds ahead. A first response slower than `coldStartThresholdMs`, or none that is usable (timeout after
// `timeoutMs`, connection refused, not 2xx), is a cold-start incident.

export interface WarmUpOptions {
  /** The URL to ping before a run of this integration; null: no warm-up. */
  url(integrationType: string): string | null;
  /** Headers for the ping (e.g. the Authorization the Supabase gateway wants). */
  headers?: Record<string, string>;
  /** How far ahead of the period, at least (default 30 s). */
  leadMs?: number;
  /** The tick interval (default 60 s). */
  windowMs?: number;
  /** A slower first response is a cold-start incident (default 2 s). */
  coldStartThresholdMs?: number;
  /** Generous: give up on the ping after this long (default 10 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** A monotonic clock in ms for the latency (default performance.now; tests inject one). */
  elapsed?: () => number;
}

export const WARM_UP_DEFAULTS = { leadMs: 30_000, windowMs: 60_000, coldStartThresholdMs: 2_000, timeoutMs: 10_000 };

/** True when the tick at `now` is the one that warms up for `period`. */
export function isWarmUpTick(period: Date, now: Date, leadMs: number, windowMs: number): boolean {
  const ahead = period.getTime() - now.getTime();
  return ahead >= leadMs && ahead < leadMs + windowMs;
}

export interface PingResult {
  url: string;
  latencyMs: number;
  status: number | null;
  timedOut: boolean;
  /** A short reason when the ping failed (no response, or not 2xx). */
  error: string | null;
  coldStart: boolean;
}

export async function ping(url: string, options: WarmUpOptions): Promise<PingResult> {
  const elapsed = options.elapsed ?? (() => performance.now());
  const threshold = options.coldStartThresholdMs ?? WARM_UP_DEFAULTS.coldStartThresholdMs;
  const send = options.fetch ?? fetch;
  const started = elapsed();
  let status: number | null = null;
  let timedOut = false;
  let error: string | null = null;
  try {
    const response = await send(url, {
      method: 'GET',
      headers: { ...options.headers, 'x-warm-up': '1' },
      signal: AbortSignal.timeout(options.timeoutMs ?? WARM_UP_DEFAULTS.timeoutMs),
    });
    status = response.status;
    await response.body?.cancel();
    if (!response.ok) error = `warm-up answered ${response.status}`;
  } catch (failure) {
    timedOut = failure instanceof Error && failure.name === 'TimeoutError';
    error = timedOut ? 'warm-up timed out' : 'warm-up could not connect';
  }
  const latencyMs = Math.round((elapsed() - started) * 10) / 10;
  // No usable first answer (timeout, refused, 5xx) counts as an incident too: the run is about to hit the same.
  return { url, latencyMs, status, timedOut, error, coldStart: error !== null || latencyMs > threshold };
}

/** The URL without query or credentials, safe to log and store. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return 'invalid url';
  }
}
