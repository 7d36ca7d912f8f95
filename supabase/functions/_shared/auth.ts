// Who is calling: the request's bearer JWT, verified with jose against SUPABASE_JWT_SECRET (HS256 only: `alg`,
// signature and expiry are checked; `alg: none` and every other algorithm are refused). The caller's org always
// comes from the verified `org_id` claim, the service role from the verified `role` claim, never from a header.
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { SyncRunLogError } from './errors.ts';

/** Supabase CLI's local JWT secret: the default where SUPABASE_JWT_SECRET is unset. */
export const LOCAL_JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';

/**
 * The HS256 secret from a function's environment: SUPABASE_JWT_SECRET or JWT_SECRET; unset, Supabase CLI's local
 * secret, unless SUPABASE_DB_URL says this is a hosted project (then refuse to start: a public secret is no secret).
 */
export function jwtSecretFromEnv(env: Record<string, string | undefined>): string {
  const secret = env.SUPABASE_JWT_SECRET || env.JWT_SECRET;
  if (secret) return secret;
  if (env.SUPABASE_DB_URL)
    throw new Error('set the JWT_SECRET secret: the local default must not guard a hosted project');
  return LOCAL_JWT_SECRET;
}

/** The app roles allowed to see and act on their org's runs (the `user_role` claim). */
export const STAFF_ROLES = ['coordinator', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type Caller =
  | { kind: 'service'; claims: Record<string, unknown> }
  | { kind: 'user'; orgId: string; userRole: StaffRole; userId: string | null; claims: Record<string, unknown> };

export interface VerifyOptions {
  secret: string;
  /** The clock (tests inject one); expiry and not-before are checked against it. */
  now?: () => Date;
}

function secretKey(secret: string): Uint8Array {
  if (secret.length < 32) throw new Error('SUPABASE_JWT_SECRET must be at least 32 characters');
  return new TextEncoder().encode(secret);
}

// The HMAC key imported once per secret (jose would import a raw key again on every verification).
const verifyKeys = new Map<string, Promise<CryptoKey>>();

function verifyKey(secret: string): Promise<CryptoKey> {
  let key = verifyKeys.get(secret);
  if (!key) {
    const raw = secretKey(secret) as Uint8Array<ArrayBuffer>;
    key = crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    if (verifyKeys.size > 8) verifyKeys.clear();
    verifyKeys.set(secret, key);
  }
  return key;
}

/**
 * Tokens already verified with a secret, until their `exp`: an app repeats one access token for its lifetime, so the
 * signature is checked once per token, not per request. Expiry is checked on every use, against the injected clock.
 */
const verified = new Map<string, { claims: Record<string, unknown>; exp: number }>();
const VERIFIED_CACHE_SIZE = 10_000;

/** The bearer token of an Authorization header, or null when there is none. */
export function bearerToken(header: string | null): string | null {
  if (!header) return null;
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  return match ? (match[1] as string) : null;
}

/** Verifies a JWT and returns its claims; any failure is `unauthorized` (401) with a message that says why. */
export async function verifyJwt(token: string, options: VerifyOptions): Promise<Record<string, unknown>> {
  const nowSeconds = (options.now?.() ?? new Date()).getTime() / 1000;
  const cacheKey = `${options.secret}\n${token}`;
  const known = verified.get(cacheKey);
  if (known) {
    if (known.exp <= nowSeconds) {
      verified.delete(cacheKey);
      throw new SyncRunLogError('unauthorized', 'the token has expired');
    }
    return known.claims;
  }
  try {
    const { payload } = await jwtVerify(token, await verifyKey(options.secret), {
      algorithms: ['HS256'],
      requiredClaims: ['exp'],
      currentDate: options.now?.(),
    });
    const claims = Object.freeze({ ...payload }) as Record<string, unknown>;
    if (typeof payload.exp === 'number' && payload.nbf === undefined) {
      if (verified.size >= VERIFIED_CACHE_SIZE) verified.clear();
      verified.set(cacheKey, { claims, exp: payload.exp });
    }
    return claims;
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new SyncRunLogError('unauthorized', 'the token has expired');
    if (error instanceof joseErrors.JOSEAlgNotAllowed) {
      throw new SyncRunLogError('unauthorized', 'the token must be signed with HS256');
    }
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw new SyncRunLogError('unauthorized', 'the token signature is invalid');
    }
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      throw new SyncRunLogError('unauthorized', `the token is not valid: ${error.claim} claim`);
    }
    throw new SyncRunLogError('unauthorized', 'the token is malformed');
  }
}

/**
 * The caller of a request: 401 without a valid bearer JWT; 403 when the token is valid but its role may not use
 * the run log (anon, or a user who is not a coordinator or admin of an org).
 */
export async function authenticate(authorization: string | null, options: VerifyOptions): Promise<Caller> {
  const token = bearerToken(authorization);
  if (!token) throw new SyncRunLogError('unauthorized', 'an Authorization: Bearer <JWT> header is required');
  const claims = await verifyJwt(token, options);
  return callerFromClaims(claims);
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

export interface MintOptions {
  secret: string;
  /** Seconds until expiry (default 3600); negative mints an already expired token (tests). */
  expiresIn?: number;
  now?: () => Date;
}

/** A user's access token as Supabase Auth issues it, with the custom claims org_id and user_role. */
export function mintUserToken(
  claims: { orgId: string; userRole: string; sub?: string; extra?: Record<string, unknown> },
  options: MintOptions,
): Promise<string> {
  return mint(
    {
      role: 'authenticated',
      aud: 'authenticated',
      sub: claims.sub ?? '00000000-0000-4000-8000-000000000001',
      org_id: claims.orgId,
      user_role: claims.userRole,
      ...claims.extra,
    },
    options,
  );
}

/** A service role key as the Supabase CLI issues it (role service_role). */
export function mintServiceToken(options: MintOptions): Promise<string> {
  return mint({ role: 'service_role', iss: 'supabase-demo' }, options);
}

function mint(payload: Record<string, unknown>, { secret, expiresIn = 3600, now = () => new Date() }: MintOptions) {
  const iat = Math.floor(now().getTime() / 1000);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(iat)
    .setExpirationTime(iat + expiresIn)
    .sign(secretKey(secret));
}
