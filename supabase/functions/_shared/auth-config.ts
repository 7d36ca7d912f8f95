// How a function verifies its callers, read from the environment a hosted Supabase project gives it (2026):
//   SUPABASE_JWKS              the project's JSON Web Key Set ({"keys":[...]} or a bare array): user tokens signed
//                              with ES256 or RS256 (Supabase Auth's asymmetric signing keys)
//   SUPABASE_URL               the tokens' issuer is <SUPABASE_URL>/auth/v1; the key set is fetched from
//                              <SUPABASE_URL>/auth/v1/.well-known/jwks.json without SUPABASE_JWKS, or for a kid
//                              SUPABASE_JWKS does not hold yet (a key Auth rotated in after the function started)
//   SYNC_JWT_ISSUER            the issuers user tokens may carry, comma-separated, instead of <SUPABASE_URL>/auth/v1
//                              (a project whose tokens name another host, e.g. behind a custom domain)
//   SUPABASE_JWT_SECRET, JWT_SECRET   the legacy HS256 secret (local stacks, projects still on it)
//   SUPABASE_SECRET_KEYS       {"name":"sb_secret_..."}: service callers (apikey header or bearer)
//   SUPABASE_SERVICE_ROLE_KEY  the legacy service_role key: a service caller too
//   SUPABASE_PUBLISHABLE_KEYS, SUPABASE_ANON_KEY   recognised only to say that they are not user tokens
// A malformed value is refused at start with a message naming it; so is an environment that lets nobody in.
import type { Env } from './env.ts';

/** A JSON Web Key as published in a JWKS (public members only are read). */
export type PublicJwk = Record<string, unknown> & { kty: string; kid?: string; alg?: string };

export interface AuthConfig {
  /** Inline key set (SUPABASE_JWKS), or null. */
  jwks: PublicJwk[] | null;
  /** Where to fetch the key set: without an inline one, or for a kid it lacks (null: nowhere). */
  jwksUrl: string | null;
  /** The `iss` user tokens may carry: <SUPABASE_URL>/auth/v1 or SYNC_JWT_ISSUER's (null: SUPABASE_URL unset). */
  issuer: string[] | null;
  /** The legacy HS256 secret, or null: HS256 tokens are then refused. */
  jwtSecret: string | null;
  /** Keys that make their bearer the service role: secret keys and the legacy service_role key. */
  serviceKeys: string[];
  /** Keys that identify the project but no user (publishable and legacy anon keys). */
  publicKeys: string[];
}

function parseJson(name: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error(`${name} must be JSON, got something that does not parse`);
  }
}

/** SUPABASE_JWKS as `{"keys":[...]}` or a bare array of keys. */
export function parseJwks(raw: string, name = 'SUPABASE_JWKS'): PublicJwk[] {
  const value = parseJson(name, raw);
  const keys = Array.isArray(value) ? value : (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error(`${name} must be {"keys":[...]} or an array of JSON Web Keys`);
  for (const key of keys) {
    if (typeof key !== 'object' || key === null || typeof (key as { kty?: unknown }).kty !== 'string') {
      throw new Error(`${name} holds an entry that is not a JSON Web Key (no "kty")`);
    }
    if ('d' in key) throw new Error(`${name} holds a private key: publish only the public keys`);
  }
  return keys as PublicJwk[];
}

/** The values of a JSON object of keys (SUPABASE_SECRET_KEYS, SUPABASE_PUBLISHABLE_KEYS). */
function keyValues(env: Env, name: string): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [];
  const value = parseJson(name, raw);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${name} must be a JSON object of name -> key`);
  }
  const keys = Object.values(value);
  if (keys.some((key) => typeof key !== 'string' || key.length < 16)) {
    throw new Error(`${name} must map each name to a key of at least 16 characters`);
  }
  return keys as string[];
}

/** SYNC_JWT_ISSUER: one issuer or several, comma-separated, each an http(s) URL; null when unset. */
function issuersFromEnv(env: Env): string[] | null {
  const raw = env.SYNC_JWT_ISSUER?.trim();
  if (!raw) return null;
  const issuers = raw.split(',').map((issuer) => issuer.trim());
  for (const issuer of issuers) {
    if (!/^https?:\/\/[^\s/]+\S*$/.test(issuer)) {
      throw new Error(`SYNC_JWT_ISSUER must be http(s) URLs separated by commas, got "${raw}"`);
    }
  }
  return issuers;
}

export function authConfigFromEnv(env: Env): AuthConfig {
  const url = env.SUPABASE_URL?.trim() ? env.SUPABASE_URL.trim().replace(/\/+$/, '') : null;
  if (url !== null && !/^https?:\/\/[^\s/]+/.test(url)) throw new Error(`SUPABASE_URL must be an http(s) URL`);
  const jwks = env.SUPABASE_JWKS?.trim() ? parseJwks(env.SUPABASE_JWKS) : null;
  const jwtSecret = env.SUPABASE_JWT_SECRET || env.JWT_SECRET || null;
  if (jwtSecret !== null && jwtSecret.length < 32) throw new Error('the JWT secret must be at least 32 characters');
  const serviceKeys = [...keyValues(env, 'SUPABASE_SECRET_KEYS')];
  if (env.SUPABASE_SERVICE_ROLE_KEY) serviceKeys.push(env.SUPABASE_SERVICE_ROLE_KEY);
  const publicKeys = [...keyValues(env, 'SUPABASE_PUBLISHABLE_KEYS')];
  if (env.SUPABASE_ANON_KEY) publicKeys.push(env.SUPABASE_ANON_KEY);
  if (jwks === null && url === null && jwtSecret === null) {
    throw new Error(
      'no way to verify callers: set SUPABASE_JWKS or SUPABASE_URL (asymmetric JWT signing keys), or SUPABASE_JWT_SECRET / JWT_SECRET (legacy HS256)',
    );
  }
  if (jwks !== null && url === null) {
    throw new Error("SUPABASE_JWKS needs SUPABASE_URL: the tokens' issuer is <SUPABASE_URL>/auth/v1");
  }
  return {
    jwks,
    jwksUrl: url === null ? null : `${url}/auth/v1/.well-known/jwks.json`,
    issuer: issuersFromEnv(env) ?? (url === null ? null : [`${url}/auth/v1`]),
    jwtSecret,
    serviceKeys,
    publicKeys,
  };
}

/**
 * For a function only services call (sync-scheduler: pg_cron's tick, the Sync-now hand-off): refuses to start when it
 * could recognise none of them (no secret key, no service_role key, no JWT secret), instead of answering 401 to
 * every tick while the watchdog's alerts are the only sign.
 */
export function requireServiceCallers(config: AuthConfig, functionName: string): AuthConfig {
  if (config.serviceKeys.length === 0 && config.jwtSecret === null) {
    throw new Error(
      `${functionName} cannot recognise its callers: set SUPABASE_SECRET_KEYS (Supabase sets it), SUPABASE_SERVICE_ROLE_KEY, or SUPABASE_JWT_SECRET / JWT_SECRET`,
    );
  }
  return config;
}
