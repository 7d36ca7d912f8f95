// The adapters' deployment settings from the server's environment (Deno.env.toObject() or process.env): base URLs
// and tuning, never from a request. Credentials are not here: they are each org's (connection-schemas.ts).
import type { Env } from '../env.ts';
import { DEFAULT_POLICY, type HttpPolicy } from './http-client.ts';
import { IntegrationError } from './integration.ts';

export type { Env };

/** The common knobs; each can be set per vendor with its prefix (XLEDGER_TIMEOUT_MS beats INTEGRATION_TIMEOUT_MS). */
const POLICY_VARIABLES: ReadonlyArray<[keyof HttpPolicy, string]> = [
  ['timeoutMs', 'TIMEOUT_MS'],
  ['healthTimeoutMs', 'HEALTH_TIMEOUT_MS'],
  ['maxAttempts', 'MAX_ATTEMPTS'],
  ['maxRateLimitRetries', 'MAX_RATE_LIMIT_RETRIES'],
  ['maxRetryAfterMs', 'MAX_RETRY_AFTER_MS'],
  ['backoffBaseMs', 'BACKOFF_BASE_MS'],
  ['backoffCapMs', 'BACKOFF_CAP_MS'],
];

function positiveInteger(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new IntegrationError('not_configured', `${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

export function policyFromEnv(env: Env, prefix: string): HttpPolicy {
  const policy = { ...DEFAULT_POLICY };
  for (const [key, suffix] of POLICY_VARIABLES) {
    const value = positiveInteger(env, `${prefix}_${suffix}`) ?? positiveInteger(env, `INTEGRATION_${suffix}`);
    if (value !== undefined) policy[key] = value;
  }
  return policy;
}

export function pageSizeFromEnv(env: Env, prefix: string): number {
  const size = positiveInteger(env, `${prefix}_PAGE_SIZE`) ?? positiveInteger(env, 'INTEGRATION_PAGE_SIZE') ?? 100;
  if (size > 1000)
    throw new IntegrationError('not_configured', `${prefix}_PAGE_SIZE must be at most 1000, got ${size}`);
  return size;
}

/** The base URL, or why it is unusable. Plain http is allowed for 127.0.0.1/localhost only (the simulated APIs). */
export function baseUrlFromEnv(env: Env, name: string): URL | string {
  const raw = env[name];
  if (raw === undefined || raw === '') return `${name} is not set`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `${name} is not a URL`;
  }
  const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) return `${name} must be an https URL`;
  return url;
}
