// Handing a queued "Sync now" run to the executor at once, on a hosted project: the sync-run-log function, right
// after queue_manual_run, POSTs the sync-scheduler function's /runs/claim with a secret key; that function claims
// the queued runs and executes them in EdgeRuntime.waitUntil. Best effort: it never throws and never waits long,
// because the run is queued in the database either way and the every-minute tick claims any the hand-off missed
// (and locally the ticker claims every second). Nothing here logs or returns the key.
import type { Env } from '../env.ts';

export const CLAIM_PATH = '/functions/v1/sync-scheduler/runs/claim';

/** Long enough for a cold start of the sync-scheduler function, short enough to keep the click's answer quick. */
export const DEFAULT_HAND_OFF_TIMEOUT_MS = 5_000;

export interface HandOffOptions {
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface HandOffResult {
  /** The scheduler answered 2xx: the runs it claimed are executing. */
  ok: boolean;
  /** Its HTTP status, or null when no answer came. */
  status: number | null;
  /** How many runs it claimed (0 when another claimer was quicker, or on failure). */
  claimed: number;
  /** Why it did not work: `HTTP <status>`, `timeout` or `unreachable`; null when it did. Safe to log. */
  error: string | null;
}

/**
 * POSTs `url` (the sync-scheduler function's /runs/claim) with `secretKey` in the `apikey` header (and as a bearer
 * token when it is a legacy JWT key, as the pg_cron tick does). Never throws.
 */
export async function handOffToScheduler(
  url: string,
  secretKey: string,
  options: HandOffOptions = {},
): Promise<HandOffResult> {
  const send = options.fetch ?? fetch;
  const headers: Record<string, string> = { 'content-type': 'application/json', apikey: secretKey };
  if (isJwt(secretKey)) headers.authorization = `Bearer ${secretKey}`;
  try {
    const response = await send(url, {
      method: 'POST',
      headers,
      body: '{}',
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_HAND_OFF_TIMEOUT_MS),
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      return { ok: false, status: response.status, claimed: 0, error: `HTTP ${response.status}` };
    }
    const body = (await response.json().catch(() => null)) as { claimed?: unknown } | null;
    const claimed = Array.isArray(body?.claimed) ? body.claimed.length : 0;
    return { ok: true, status: response.status, claimed, error: null };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return { ok: false, status: null, claimed: 0, error: timedOut ? 'timeout' : 'unreachable' };
  }
}

/**
 * Where and with which key to hand off, from the function's environment: `<SUPABASE_URL>/functions/v1/sync-scheduler
 * /runs/claim` (locally `http://127.0.0.1:<FUNCTIONS_PORT>/...`) and a secret key (the one named `default` in
 * SUPABASE_SECRET_KEYS, else the first, else the legacy SUPABASE_SERVICE_ROLE_KEY). Null when either is missing:
 * then the tick (or the local ticker) claims the run.
 */
export function handOffTargetFromEnv(env: Env): { url: string; secretKey: string } | null {
  const base = env.SUPABASE_URL?.trim()
    ? env.SUPABASE_URL.trim().replace(/\/+$/, '')
    : env.FUNCTIONS_PORT?.trim()
      ? `http://127.0.0.1:${env.FUNCTIONS_PORT.trim()}`
      : null;
  const secretKey = secretKeyFromEnv(env);
  return base && secretKey ? { url: `${base}${CLAIM_PATH}`, secretKey } : null;
}

function secretKeyFromEnv(env: Env): string | null {
  const raw = env.SUPABASE_SECRET_KEYS?.trim();
  if (raw) {
    try {
      const keys = JSON.parse(raw) as unknown;
      if (typeof keys === 'object' && keys !== null && !Array.isArray(keys)) {
        const named = keys as Record<string, unknown>;
        const key =
          typeof named.default === 'string' ? named.default : Object.values(named).find((v) => typeof v === 'string');
        if (typeof key === 'string' && key !== '') return key;
      }
    } catch {
      // Malformed: the auth configuration refuses it at start with a message of its own.
    }
  }
  return env.SUPABASE_SERVICE_ROLE_KEY?.trim() || null;
}

function isJwt(key: string): boolean {
  return /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(key);
}
