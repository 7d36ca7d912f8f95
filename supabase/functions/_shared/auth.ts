// Who is calling, as a hosted Supabase project means it in 2026 (the model of Supabase's own `@supabase/server`,
// written with jose so that the function keeps one verifier and its per-token cache; docs/decisions.md):
//   - a user's access token, signed with the project's asymmetric keys (ES256/RS256, checked against the JWKS, `iss`
//     <SUPABASE_URL>/auth/v1, `aud` authenticated) or with the legacy HS256 secret where one is set;
//   - a service caller: a secret key (`sb_secret_...`) or the legacy service_role key in the `apikey` header or as
//     the bearer, compared in constant time; or a verified JWT whose `role` is service_role.
// Algorithms are allow-listed per key type (no algorithm confusion, never `alg: none`). The caller's org always
// comes from the verified `org_id` claim, never from a header.
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import type { AuthConfig } from './auth-config.ts';
import { SyncRunLogError } from './errors.ts';

/** The app roles allowed to see and act on their org's runs (the `user_role` claim). */
export const STAFF_ROLES = ['coordinator', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ASYMMETRIC_ALGORITHMS = ['ES256', 'RS256'];
/** A refetch of the remote JWKS for an unknown `kid` happens at most this often (a flood of kids cannot hammer Auth). */
export const JWKS_REFETCH_COOLDOWN_MS = 30_000;
const VERIFIED_CACHE_SIZE = 10_000;

export type Caller =
  | { kind: 'service'; claims: Record<string, unknown> }
  | { kind: 'user'; orgId: string; userRole: StaffRole; userId: string | null; claims: Record<string, unknown> };

export interface Authenticator {
  /** The caller of a request: 401 without valid credentials, 403 when they may not use the function. */
  authenticate(headers: Headers): Promise<Caller>;
  /** Verifies a JWT and returns its claims; any failure is `unauthorized` (401) with a message that says why. */
  verifyJwt(token: string): Promise<Record<string, unknown>>;
}

export interface AuthenticatorOptions {
  /** The clock (tests inject one); expiry and not-before are checked against it. */
  now?: () => Date;
}

/** The bearer token of an Authorization header, or null when there is none. */
export function bearerToken(header: string | null): string | null {
  if (!header) return null;
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  return match ? (match[1] as string) : null;
}

const SERVICE_CLAIMS = Object.freeze({ role: 'service_role' });

async function digest(value: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value)));
}

/** How many values a key matcher remembers as no key: the few an app sends on every request (its publishable key). */
const REMEMBERED_NON_KEYS = 64;

/**
 * Constant-time membership: every key is compared, every byte of its SHA-256, whatever matched before. A value found
 * to be no key is remembered (at most REMEMBERED_NON_KEYS, forgotten all at once beyond), so the publishable key that
 * supabase-js sends in `apikey` with every request is hashed once, not per request. A key itself is never
 * remembered: a secret never becomes a Set member, which string equality would compare byte by byte.
 */
function keyMatcher(keys: string[]): (candidate: string) => Promise<boolean> {
  const digests = Promise.all(keys.map(digest));
  const noKeys = new Set<string>();
  return async (candidate) => {
    if (keys.length === 0 || noKeys.has(candidate)) return false;
    const given = await digest(candidate);
    let found = 0;
    for (const key of await digests) {
      let diff = 0;
      for (let i = 0; i < key.length; i++) diff |= (key[i] as number) ^ (given[i] as number);
      found |= diff === 0 ? 1 : 0;
    }
    if (found === 1) return true;
    if (noKeys.size >= REMEMBERED_NON_KEYS) noKeys.clear();
    noKeys.add(candidate);
    return false;
  };
}

function keysUnavailable(): SyncRunLogError {
  return new SyncRunLogError('unavailable', "the project's signing keys could not be fetched");
}

export function createAuthenticator(config: AuthConfig, options: AuthenticatorOptions = {}): Authenticator {
  const now = options.now ?? (() => new Date());
  const isServiceKey = keyMatcher(config.serviceKeys);
  const isPublicKey = keyMatcher(config.publicKeys);
  const hmacKey = config.jwtSecret
    ? crypto.subtle.importKey(
        'raw',
        new TextEncoder().encode(config.jwtSecret),
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['verify'],
      )
    : null;
  const remote = config.jwksUrl
    ? createRemoteJWKSet(new URL(config.jwksUrl), {
        cooldownDuration: JWKS_REFETCH_COOLDOWN_MS,
        cacheMaxAge: 10 * 60_000,
        timeoutDuration: 5_000,
      })
    : null;
  const isKeyError = (error: unknown) =>
    error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys;
  let keySet: JWTVerifyGetKey | null = null;
  if (config.jwks) {
    const inline = createLocalJWKSet({ keys: config.jwks as never });
    // A kid the inline set lacks may be a key Auth rotated in after this function started: asked of Auth's JWKS
    // (jose's own cooldown bounds refetches after a success). Auth without that key: the token's fault, 401. Auth
    // unreachable: nobody can tell yet, 503, as without an inline set (a 401 would sign a user out whose token may
    // be good); it is asked again at most once per cooldown while it fails.
    let unreachableAt = Number.NEGATIVE_INFINITY;
    keySet = async (header, token) => {
      try {
        return await inline(header, token);
      } catch (error) {
        if (!(error instanceof joseErrors.JWKSNoMatchingKey) || !remote) throw error;
        if (Date.now() - unreachableAt < JWKS_REFETCH_COOLDOWN_MS) throw keysUnavailable();
        try {
          return await remote(header, token);
        } catch (fetched) {
          if (isKeyError(fetched)) throw fetched;
          unreachableAt = Date.now();
          throw keysUnavailable();
        }
      }
    };
  } else if (remote) {
    // Auth unreachable, slow or answering garbage is the service's trouble (503), not the caller's token (401).
    keySet = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (error) {
        if (isKeyError(error)) throw error;
        throw keysUnavailable();
      }
    };
  }
  // Tokens already verified, until their `exp`: an app repeats one access token for its lifetime, so the signature
  // is checked once per token, not per request. Expiry is checked on every use, against the clock.
  const verified = new Map<string, { claims: Record<string, unknown>; exp: number }>();

  async function verifySignature(token: string, alg: unknown) {
    const currentDate = now();
    if (alg === 'HS256') {
      if (!hmacKey) {
        throw new SyncRunLogError(
          'unauthorized',
          "HS256 tokens are not accepted: this project's tokens are signed with its asymmetric keys",
        );
      }
      // A user's token is checked as Supabase Auth issues it (aud, and iss where the project's URL is known); the
      // legacy anon and service_role keys have neither (iss "supabase"), and are answered by their role. The payload
      // read here only chooses the checks.
      const user = decodeJwt(token).role === 'authenticated';
      return jwtVerify(token, await hmacKey, {
        algorithms: ['HS256'],
        requiredClaims: ['exp'],
        currentDate,
        ...(user ? { audience: 'authenticated', issuer: config.issuer ?? undefined } : {}),
      });
    }
    if (typeof alg === 'string' && ASYMMETRIC_ALGORITHMS.includes(alg)) {
      if (!keySet) {
        throw new SyncRunLogError('unauthorized', `${alg} tokens are not accepted: no JWKS is configured`);
      }
      return jwtVerify(token, keySet, {
        algorithms: ASYMMETRIC_ALGORITHMS,
        issuer: config.issuer ?? undefined,
        audience: 'authenticated',
        requiredClaims: ['exp'],
        currentDate,
      });
    }
    throw new SyncRunLogError('unauthorized', `the token's algorithm ${String(alg)} is not accepted`);
  }

  async function verifyJwt(token: string): Promise<Record<string, unknown>> {
    const nowSeconds = now().getTime() / 1000;
    const known = verified.get(token);
    if (known) {
      if (known.exp > nowSeconds) return known.claims;
      verified.delete(token);
      throw new SyncRunLogError('unauthorized', 'the token has expired');
    }
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new SyncRunLogError('unauthorized', 'the token is malformed');
    }
    try {
      const { payload } = await verifySignature(token, alg);
      const claims = Object.freeze({ ...payload }) as Record<string, unknown>;
      if (typeof payload.exp === 'number' && payload.nbf === undefined) {
        if (verified.size >= VERIFIED_CACHE_SIZE) verified.clear();
        verified.set(token, { claims, exp: payload.exp });
      }
      return claims;
    } catch (error) {
      throw unauthorized(error);
    }
  }

  return {
    verifyJwt,
    async authenticate(headers) {
      const apikey = headers.get('apikey');
      if (apikey && (await isServiceKey(apikey))) return { kind: 'service', claims: SERVICE_CLAIMS };
      const token = bearerToken(headers.get('authorization'));
      if (!token) {
        throw new SyncRunLogError(
          'unauthorized',
          apikey
            ? "the apikey is not a secret key: send a user's access token as Authorization: Bearer <JWT>"
            : 'an Authorization: Bearer <JWT> header (or a secret key in the apikey header) is required',
        );
      }
      // A token verified before is a JWT that was no key then, and the keys do not change: answered from the cache,
      // without hashing it against the keys again (a digest per request was most of ES256's cost beside HS256's).
      const known = verified.get(token);
      if (known && known.exp > now().getTime() / 1000) return callerFromClaims(known.claims);
      if (await isServiceKey(token)) return { kind: 'service', claims: SERVICE_CLAIMS };
      if (await isPublicKey(token)) {
        throw new SyncRunLogError('forbidden', 'a publishable key is no signed-in user: send a user access token');
      }
      if (token.startsWith('sb_')) throw new SyncRunLogError('unauthorized', 'the API key is not one of this project');
      return callerFromClaims(await verifyJwt(token));
    },
  };
}

function unauthorized(error: unknown): SyncRunLogError {
  if (error instanceof SyncRunLogError) return error;
  if (error instanceof joseErrors.JWTExpired) return new SyncRunLogError('unauthorized', 'the token has expired');
  if (error instanceof joseErrors.JOSEAlgNotAllowed) {
    return new SyncRunLogError('unauthorized', "the token's algorithm does not fit the key");
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey) {
    return new SyncRunLogError('unauthorized', "the token's signing key (kid) is not one of the project's keys");
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new SyncRunLogError('unauthorized', 'the token signature is invalid');
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return new SyncRunLogError('unauthorized', `the token is not valid: ${error.claim} claim`);
  }
  return new SyncRunLogError('unauthorized', 'the token is malformed');
}

/** Classifies verified claims. Exported for callers that verify elsewhere. */
export function callerFromClaims(claims: Record<string, unknown>): Caller {
  if (claims.role === 'service_role') return { kind: 'service', claims };
  if (claims.role !== 'authenticated') {
    throw new SyncRunLogError('forbidden', 'this function needs a signed-in user or the service role');
  }
  const userRole = claims.user_role;
  if (typeof userRole !== 'string' || !(STAFF_ROLES as readonly string[]).includes(userRole)) {
    throw new SyncRunLogError('forbidden', 'only coordinators and admins may use the run log');
  }
  const orgId = claims.org_id;
  if (typeof orgId !== 'string' || !UUID.test(orgId)) {
    throw new SyncRunLogError('forbidden', 'the token carries no valid org_id claim');
  }
  return {
    kind: 'user',
    orgId: orgId.toLowerCase(),
    userRole: userRole as StaffRole,
    userId: typeof claims.sub === 'string' ? claims.sub : null,
    claims,
  };
}

/** Refuses anyone but the service role (403). For functions only the server calls (e.g. the scheduler tick). */
export function requireServiceRole(caller: Caller): void {
  if (caller.kind !== 'service') throw new SyncRunLogError('forbidden', 'only the service role may call this');
}
