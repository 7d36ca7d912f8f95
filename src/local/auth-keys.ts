// The local stand-in for Supabase Auth's keys, in both signing models:
//   HS256 (the default, as the Supabase CLI does locally): the CLI's public local secret signs every token;
//   ES256 (AUTH_SIGNING=es256, as a hosted project in 2026): a key pair made once and kept in the data directory,
//     its public half served as the JWKS, plus a local secret key (`sb_secret_...`) for service callers.
// Tokens are minted as Supabase Auth mints them: `kid` in the header, `iss` <url>/auth/v1, `aud` authenticated.
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';

/** Supabase CLI's local JWT secret: the HS256 default of the local stack (public: never for a hosted project). */
export const LOCAL_JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';

export type AuthSigning = 'hs256' | 'es256';

/** An ES256 signing key as the local Auth keeps it, and what the functions are told about it. */
export interface LocalSigningKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  /** `iss` of the tokens: <SUPABASE_URL>/auth/v1. */
  issuer: string;
}

export interface LocalAuth {
  signing: AuthSigning;
  /** HS256 only. */
  jwtSecret: string | null;
  /** ES256 only. */
  key: LocalSigningKey | null;
  /** The local secret key (`sb_secret_...`): ES256 mode only. */
  secretKey: string | null;
  /** The environment the functions get, as a hosted project gives it (or the CLI, for HS256). */
  functionsEnv: Record<string, string>;
}

export function authSigningFromEnv(env: NodeJS.ProcessEnv = process.env): AuthSigning {
  const raw = (env.AUTH_SIGNING ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'hs256') return 'hs256';
  if (raw === 'es256') return 'es256';
  throw new Error(`AUTH_SIGNING must be hs256 or es256, got "${env.AUTH_SIGNING}"`);
}

/** A new ES256 key pair with a random kid. */
export async function generateSigningKey(supabaseUrl: string): Promise<LocalSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomUUID();
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig', key_ops: ['verify'] };
  return { kid, privateJwk, publicJwk, issuer: `${supabaseUrl.replace(/\/+$/, '')}/auth/v1` };
}

interface StoredKeys {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  secretKey: string;
}

/**
 * The local Auth of `npm start` and `npm run token`. In ES256 mode the key pair and the secret key are made once and
 * kept in `<dataDir>/auth/keys.json` (mode 0600), so tokens minted earlier stay valid across restarts.
 */
export async function loadLocalAuth(options: {
  signing: AuthSigning;
  dataDir: string;
  supabaseUrl: string;
  jwtSecret?: string;
}): Promise<LocalAuth> {
  if (options.signing === 'hs256') {
    const jwtSecret = options.jwtSecret || LOCAL_JWT_SECRET;
    return {
      signing: 'hs256',
      jwtSecret,
      key: null,
      secretKey: null,
      functionsEnv: { SUPABASE_JWT_SECRET: jwtSecret },
    };
  }
  const file = path.join(options.dataDir, 'auth', 'keys.json');
  let stored: StoredKeys;
  if (existsSync(file)) {
    stored = JSON.parse(readFileSync(file, 'utf8')) as StoredKeys;
  } else {
    const key = await generateSigningKey(options.supabaseUrl);
    stored = {
      kid: key.kid,
      privateJwk: key.privateJwk,
      publicJwk: key.publicJwk,
      secretKey: `sb_secret_local_${randomBytes(24).toString('base64url')}`,
    };
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(`${file}.tmp`, JSON.stringify(stored, null, 2), { mode: 0o600 });
    renameSync(`${file}.tmp`, file); // whole or not at all
  }
  const url = options.supabaseUrl.replace(/\/+$/, '');
  const key: LocalSigningKey = { ...stored, issuer: `${url}/auth/v1` };
  return {
    signing: 'es256',
    jwtSecret: null,
    key,
    secretKey: stored.secretKey,
    functionsEnv: {
      SUPABASE_URL: url,
      SUPABASE_JWKS: JSON.stringify({ keys: [stored.publicJwk] }),
      SUPABASE_SECRET_KEYS: JSON.stringify({ default: stored.secretKey }),
    },
  };
}

export interface MintOptions {
  /** HS256 with this secret, unless `key` is given. */
  secret?: string;
  /** ES256 with this key (kid, iss and aud as Supabase Auth sets them). */
  key?: LocalSigningKey;
  /** Seconds until expiry (default 3600); negative mints an already expired token (tests). */
  expiresIn?: number;
  now?: () => Date;
}

/**
 * The local stack's user of a role (its `sub`): the coordinator and the admin of the printed links and of `npm run
 * token` are two users, so an acknowledgement says which of them it was.
 */
export function localUserSub(userRole: string): string {
  const n = { coordinator: 1, admin: 2 }[userRole] ?? 3;
  return `00000000-0000-4000-8000-00000000000${n}`;
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
      aal: 'aal1',
      is_anonymous: false,
      org_id: claims.orgId,
      user_role: claims.userRole,
      ...claims.extra,
    },
    options,
  );
}

/** A legacy service role key as the Supabase CLI issues it (an HS256 JWT, role service_role). */
export function mintServiceToken(options: MintOptions): Promise<string> {
  return mint({ role: 'service_role', iss: 'supabase-demo' }, options);
}

async function mint(payload: Record<string, unknown>, options: MintOptions): Promise<string> {
  const { expiresIn = 3600, now = () => new Date() } = options;
  const iat = Math.floor(now().getTime() / 1000);
  if (options.key) {
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: options.key.kid })
      .setIssuer(options.key.issuer)
      .setIssuedAt(iat)
      .setExpirationTime(iat + expiresIn)
      .sign(await importJWK(options.key.privateJwk, 'ES256'));
  }
  const secret = options.secret ?? LOCAL_JWT_SECRET;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(iat)
    .setExpirationTime(iat + expiresIn)
    .sign(new TextEncoder().encode(secret));
}
