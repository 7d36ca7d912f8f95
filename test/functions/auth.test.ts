// Who is calling, as a hosted Supabase project says it in 2026: user tokens signed with asymmetric keys (checked
// against the JWKS, inline or fetched), the legacy HS256 secret where one is set, secret keys and the legacy
// service_role key for service callers. Real keys, real signatures, a real HTTP server for the remote JWKS.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  generateSigningKey,
  LOCAL_JWT_SECRET,
  type LocalSigningKey,
  mintServiceToken,
  mintUserToken,
} from '../../src/local/auth-keys.ts';
import {
  type Authenticator,
  createAuthenticator,
  JWKS_REFETCH_COOLDOWN_MS,
} from '../../supabase/functions/_shared/auth.ts';
import { authConfigFromEnv, parseJwks, requireServiceCallers } from '../../supabase/functions/_shared/auth-config.ts';
import { SyncRunLogError } from '../../supabase/functions/_shared/errors.ts';

// A project URL shaped like a hosted one, under a name that never resolves (.invalid): the inline-JWKS tests' unknown
// kids make the authenticator ask this project's Auth, and no such request may leave the machine.
const URL_ = 'https://abcdefghijklmnop.supabase.invalid';
const ORG = randomUUID();
const SECRET_KEY = `sb_secret_${randomBytes(20).toString('base64url')}`;
const PUBLISHABLE_KEY = `sb_publishable_${randomBytes(20).toString('base64url')}`;

let es: LocalSigningKey;
let rs: LocalSigningKey;

beforeAll(async () => {
  es = await generateSigningKey(URL_);
  const pair = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  rs = {
    kid,
    issuer: `${URL_}/auth/v1`,
    privateJwk: { ...(await exportJWK(pair.privateKey)), kid, alg: 'RS256' },
    publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256' },
  };
});

/** The environment a hosted function gets (plus what a test adds). */
function hosted(more: Record<string, string> = {}): Record<string, string> {
  return {
    SUPABASE_URL: URL_,
    SUPABASE_DB_URL: 'postgres://postgres:pw@db.abcdefghijklmnop.supabase.co:5432/postgres',
    SUPABASE_JWKS: JSON.stringify({ keys: [es.publicJwk, rs.publicJwk] }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: SECRET_KEY }),
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: PUBLISHABLE_KEY }),
    ...more,
  };
}

async function signWith(key: LocalSigningKey, alg: 'ES256' | 'RS256', claims: Record<string, unknown>) {
  const { importJWK } = await import('jose');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: 'authenticated', aud: 'authenticated', org_id: ORG, user_role: 'coordinator', ...claims })
    .setProtectedHeader({ alg, typ: 'JWT', kid: key.kid })
    .setIssuer(key.issuer)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(await importJWK(key.privateJwk, alg));
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SyncRunLogError);
  return error as SyncRunLogError;
}

const bearer = (token: string) => new Headers({ authorization: `Bearer ${token}` });

describe('the environment', () => {
  it('a function with no JWKS, no SUPABASE_URL and no secret says so in one line', () => {
    expect(() => authConfigFromEnv({ SUPABASE_DB_URL: 'postgres://x/y' })).toThrow(
      /^no way to verify callers: set SUPABASE_JWKS or SUPABASE_URL .*SUPABASE_JWT_SECRET \/ JWT_SECRET/,
    );
    expect(() => authConfigFromEnv({ SUPABASE_DB_URL: 'postgres://x/y' })).not.toThrow(/\n/);
  });

  it('a function only services call refuses to start when it could recognise none of them', () => {
    const { SUPABASE_SECRET_KEYS: _secret, SUPABASE_SERVICE_ROLE_KEY: _legacy, ...users } = hosted();
    expect(() => requireServiceCallers(authConfigFromEnv(users), 'sync-scheduler')).toThrow(
      /^sync-scheduler cannot recognise its callers: set SUPABASE_SECRET_KEYS .*JWT_SECRET$/,
    );
    expect(requireServiceCallers(authConfigFromEnv(hosted()), 'sync-scheduler').serviceKeys).toEqual([SECRET_KEY]);
    const legacy = { ...users, SUPABASE_JWT_SECRET: 'j'.repeat(40) }; // a service_role JWT can be checked
    expect(() => requireServiceCallers(authConfigFromEnv(legacy), 'sync-scheduler')).not.toThrow();
  });

  it('exactly the hosted default secrets are enough: no JWT secret, nothing user-set', () => {
    const config = authConfigFromEnv(hosted());
    expect(config).toMatchObject({
      jwtSecret: null,
      issuer: [`${URL_}/auth/v1`],
      jwksUrl: `${URL_}/auth/v1/.well-known/jwks.json`,
    });
    expect(config.serviceKeys).toEqual([SECRET_KEY]);
  });

  it('takes the JWKS as {"keys":[...]} or as a bare array, and refuses what is not one', () => {
    expect(parseJwks(JSON.stringify({ keys: [es.publicJwk] }))).toHaveLength(1);
    expect(parseJwks(JSON.stringify([es.publicJwk, rs.publicJwk]))).toHaveLength(2);
    expect(() => parseJwks('{nope')).toThrow(/SUPABASE_JWKS must be JSON/);
    expect(() => parseJwks('{"kid":"x"}')).toThrow(/\{"keys":\[\.\.\.\]\}/);
    expect(() => parseJwks(JSON.stringify([{ kid: 'x' }]))).toThrow(/not a JSON Web Key/);
    expect(() => parseJwks(JSON.stringify([es.privateJwk]))).toThrow(/private key/);
  });

  it('refuses malformed key objects, a short secret, and a JWKS without its issuer', () => {
    expect(() => authConfigFromEnv(hosted({ SUPABASE_SECRET_KEYS: '["sb_secret_x"]' }))).toThrow(
      /SUPABASE_SECRET_KEYS must be a JSON object/,
    );
    expect(() => authConfigFromEnv({ JWT_SECRET: 'short' })).toThrow(/at least 32 characters/);
    expect(() => authConfigFromEnv({ SUPABASE_JWKS: JSON.stringify([es.publicJwk]) })).toThrow(/needs SUPABASE_URL/);
  });

  it('without SUPABASE_JWKS, the key set is fetched from <SUPABASE_URL>/auth/v1/.well-known/jwks.json', () => {
    expect(authConfigFromEnv({ SUPABASE_URL: `${URL_}/` }).jwksUrl).toBe(`${URL_}/auth/v1/.well-known/jwks.json`);
  });

  it('SYNC_JWT_ISSUER replaces the issuer with one or more, and refuses what is not a list of URLs', () => {
    expect(authConfigFromEnv(hosted({ SYNC_JWT_ISSUER: ' https://auth.example.org/auth/v1 ' })).issuer).toEqual([
      'https://auth.example.org/auth/v1',
    ]);
    expect(
      authConfigFromEnv(hosted({ SYNC_JWT_ISSUER: `https://auth.example.org/auth/v1,${URL_}/auth/v1` })).issuer,
    ).toEqual(['https://auth.example.org/auth/v1', `${URL_}/auth/v1`]);
    for (const bad of ['auth.example.org', 'https://a.example/auth/v1,', 'https://a.example/x y']) {
      expect(() => authConfigFromEnv(hosted({ SYNC_JWT_ISSUER: bad }))).toThrow(
        `SYNC_JWT_ISSUER must be http(s) URLs separated by commas, got "${bad}"`,
      );
    }
  });
});

describe('user tokens on a hosted project (asymmetric keys)', () => {
  let auth: Authenticator;
  beforeAll(() => {
    auth = createAuthenticator(authConfigFromEnv(hosted()));
  });

  it.each(['ES256', 'RS256'] as const)('a %s token of a coordinator is a user of its org', async (alg) => {
    const token = await signWith(alg === 'ES256' ? es : rs, alg, {});
    expect(await auth.authenticate(bearer(token))).toMatchObject({ kind: 'user', orgId: ORG, userRole: 'coordinator' });
  });

  it('a token seen before is answered from the cache: no signature check, no key hashed; refused once expired', async () => {
    let clock = new Date();
    const cached = createAuthenticator(authConfigFromEnv(hosted()), { now: () => clock });
    const token = await signWith(es, 'ES256', {});
    const digest = vi.spyOn(crypto.subtle, 'digest');
    const verify = vi.spyOn(crypto.subtle, 'verify');
    try {
      const first = await cached.authenticate(bearer(token));
      expect(digest).toHaveBeenCalled(); // the token against the secret and publishable keys
      expect(verify).toHaveBeenCalled(); // its signature
      digest.mockClear();
      verify.mockClear();
      expect(await cached.authenticate(bearer(token))).toEqual(first);
      expect(digest).not.toHaveBeenCalled();
      expect(verify).not.toHaveBeenCalled();
      // Not even hashed once the key matchers have forgotten it (64 other apikey values later): the verified token
      // is answered before the key checks.
      for (let i = 0; i < 64; i++) {
        const other = new Headers({ apikey: `sb_publishable_other_${i}` }); // no user: refused, remembered as no key
        await expect(cached.authenticate(other)).rejects.toMatchObject({ code: 'unauthorized' });
      }
      digest.mockClear();
      expect(await cached.authenticate(bearer(token))).toEqual(first);
      expect(digest).not.toHaveBeenCalled();
      // As supabase-js sends it: the publishable key in apikey with every request, hashed on the first only.
      const app = new Headers({ authorization: `Bearer ${token}`, apikey: PUBLISHABLE_KEY });
      expect(await cached.authenticate(app)).toEqual(first);
      expect(digest).toHaveBeenCalledTimes(1);
      expect(await cached.authenticate(app)).toEqual(first);
      expect(digest).toHaveBeenCalledTimes(1);
      // A service key in apikey still wins over the cached user, as it did on the first call.
      expect(
        await cached.authenticate(new Headers({ authorization: `Bearer ${token}`, apikey: SECRET_KEY })),
      ).toMatchObject({ kind: 'service' });
      // A key itself is never remembered (a secret is no Map key): hashed on every call.
      digest.mockClear();
      for (let i = 0; i < 2; i++) {
        expect(await cached.authenticate(new Headers({ apikey: SECRET_KEY }))).toMatchObject({ kind: 'service' });
      }
      expect(digest).toHaveBeenCalledTimes(2);
      clock = new Date(Date.now() + 2 * 3600_000);
      await expect(cached.authenticate(bearer(token))).rejects.toMatchObject({
        code: 'unauthorized',
        message: 'the token has expired',
      });
    } finally {
      digest.mockRestore();
      verify.mockRestore();
    }
  });

  it('iss must be <SUPABASE_URL>/auth/v1 and aud must contain authenticated', async () => {
    const otherProject = await signWith({ ...es, issuer: 'https://other.supabase.co/auth/v1' }, 'ES256', {});
    expect(await failure(auth.authenticate(bearer(otherProject)))).toMatchObject({
      code: 'unauthorized',
      message: expect.stringMatching(/iss/),
    });
    const anonAudience = await signWith(es, 'ES256', { aud: 'anon' });
    expect((await failure(auth.authenticate(bearer(anonAudience)))).message).toMatch(/aud/);
    const both = await signWith(es, 'ES256', { aud: ['web', 'authenticated'] });
    expect((await auth.authenticate(bearer(both))).kind).toBe('user');
  });

  it("refuses an HS256 token signed with the Supabase CLI's public local secret (no JWT secret is set)", async () => {
    const forged = await mintUserToken({ orgId: ORG, userRole: 'admin' }, { secret: LOCAL_JWT_SECRET });
    expect(await failure(auth.authenticate(bearer(forged)))).toMatchObject({
      code: 'unauthorized',
      message: expect.stringMatching(/HS256 tokens are not accepted/),
    });
  });

  it('refuses alg none, a key that signs under another kid and an expired token; an unknown kid waits for Auth', async () => {
    const payload = Buffer.from(JSON.stringify({ role: 'authenticated', org_id: ORG, user_role: 'admin' }));
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload.toString('base64url')}.`;
    expect((await failure(auth.authenticate(bearer(none)))).code).toBe('unauthorized');

    // An unknown kid is asked of Auth, which cannot be reached here: 503, as nobody can tell yet (Auth without that
    // key makes it 401: "the remote JWKS" below).
    const stranger = await generateSigningKey(URL_);
    expect(await failure(auth.authenticate(bearer(await signWith(stranger, 'ES256', {}))))).toMatchObject({
      code: 'unavailable',
    });
    const impostor = await signWith({ ...stranger, kid: es.kid }, 'ES256', {});
    expect((await failure(auth.authenticate(bearer(impostor)))).message).toMatch(/signature/);

    const expired = await mintUserToken({ orgId: ORG, userRole: 'admin' }, { key: es, expiresIn: -10 });
    expect((await failure(auth.authenticate(bearer(expired)))).message).toMatch(/expired/);
  });

  it("with SYNC_JWT_ISSUER, tokens carry one of its issuers: the project's own is refused unless listed", async () => {
    const custom = createAuthenticator(
      authConfigFromEnv(hosted({ SYNC_JWT_ISSUER: 'https://auth.example.org/auth/v1' })),
    );
    const fromCustom = await signWith({ ...es, issuer: 'https://auth.example.org/auth/v1' }, 'ES256', {});
    expect((await custom.authenticate(bearer(fromCustom))).kind).toBe('user');
    const fromProject = await signWith(es, 'ES256', {});
    expect((await failure(custom.authenticate(bearer(fromProject)))).message).toMatch(/iss/);
  });

  it('no algorithm confusion: an HS256 token keyed with the public key is refused, even where HS256 is allowed', async () => {
    const both = createAuthenticator(authConfigFromEnv(hosted({ JWT_SECRET: LOCAL_JWT_SECRET })));
    const publicKeyBytes = new TextEncoder().encode(JSON.stringify(es.publicJwk));
    const confused = await new SignJWT({ role: 'authenticated', org_id: ORG, user_role: 'admin' })
      .setProtectedHeader({ alg: 'HS256', kid: es.kid })
      .setExpirationTime('10m')
      .sign(publicKeyBytes);
    expect((await failure(both.authenticate(bearer(confused)))).message).toMatch(/signature/);
    // and the legacy HS256 token of that project (its issuer, as Auth sets it) is still a user
    const legacy = await mintUserToken(
      { orgId: ORG, userRole: 'admin', extra: { iss: `${URL_}/auth/v1` } },
      { secret: LOCAL_JWT_SECRET },
    );
    expect((await both.authenticate(bearer(legacy))).kind).toBe('user');
  });

  it('an ES256 token whose header claims HS256 is refused (the header decides nothing)', async () => {
    const token = await signWith(es, 'ES256', {});
    const [, payload, signature] = token.split('.');
    const relabelled = `${Buffer.from(JSON.stringify({ alg: 'HS256', kid: es.kid })).toString('base64url')}.${payload}.${signature}`;
    const both = createAuthenticator(authConfigFromEnv(hosted({ JWT_SECRET: LOCAL_JWT_SECRET })));
    expect((await failure(both.authenticate(bearer(relabelled)))).code).toBe('unauthorized');
  });
});

describe('service callers', () => {
  const auth = () =>
    createAuthenticator(authConfigFromEnv(hosted({ SUPABASE_SERVICE_ROLE_KEY: 'legacy.service.jwt-key' })));

  it('a secret key in the apikey header, or as the bearer, is the service role', async () => {
    expect((await auth().authenticate(new Headers({ apikey: SECRET_KEY }))).kind).toBe('service');
    expect((await auth().authenticate(bearer(SECRET_KEY))).kind).toBe('service');
    expect((await auth().authenticate(bearer('legacy.service.jwt-key'))).kind).toBe('service');
  });

  it('a wrong secret key is 401, a publishable key is never a service caller', async () => {
    const wrong = `${SECRET_KEY.slice(0, -1)}${SECRET_KEY.endsWith('A') ? 'B' : 'A'}`;
    expect(await failure(auth().authenticate(new Headers({ apikey: wrong })))).toMatchObject({ code: 'unauthorized' });
    expect(await failure(auth().authenticate(bearer(wrong)))).toMatchObject({ code: 'unauthorized' });
    expect(await failure(auth().authenticate(bearer(PUBLISHABLE_KEY)))).toMatchObject({ code: 'forbidden' });
    expect(await failure(auth().authenticate(new Headers({ apikey: PUBLISHABLE_KEY })))).toMatchObject({
      code: 'unauthorized',
      message: expect.stringMatching(/not a secret key/),
    });
  });

  it("the app's publishable key in apikey beside a user's token: the user", async () => {
    const token = await signWith(es, 'ES256', {});
    const headers = new Headers({ apikey: PUBLISHABLE_KEY, authorization: `Bearer ${token}` });
    expect((await auth().authenticate(headers)).kind).toBe('user');
  });

  it("an HS256 user token is checked as Auth issues it: aud authenticated, and the project's issuer", async () => {
    const secret = randomBytes(32).toString('base64url');
    const legacy = createAuthenticator(authConfigFromEnv(hosted({ JWT_SECRET: secret })));
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT({ role: 'authenticated', org_id: ORG, user_role: 'admin', ...claims })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(secret));
    const issuer = `${URL_}/auth/v1`;
    expect(await legacy.authenticate(bearer(await sign({ aud: 'authenticated', iss: issuer })))).toMatchObject({
      kind: 'user',
      orgId: ORG,
    });
    // Signed with the project's secret, but for another audience or by another issuer: not a user's access token.
    for (const [claims, claim] of [
      [{ aud: 'some-other-service', iss: issuer }, 'aud'],
      [{ iss: issuer }, 'aud'],
      [{ aud: 'authenticated', iss: 'https://elsewhere.example' }, 'iss'],
      [{ aud: 'authenticated' }, 'iss'],
    ] as const) {
      const refused = await failure(legacy.authenticate(bearer(await sign(claims))));
      expect(refused, JSON.stringify(claims)).toMatchObject({
        code: 'unauthorized',
        message: expect.stringMatching(claim),
      });
    }
    // The legacy service_role key carries neither (iss "supabase"): still the service role.
    expect((await legacy.authenticate(bearer(await mintServiceToken({ secret })))).kind).toBe('service');
  });

  it('a verified JWT with role service_role is the service role (legacy HS256 projects)', async () => {
    const legacy = createAuthenticator(authConfigFromEnv({ SUPABASE_JWT_SECRET: LOCAL_JWT_SECRET }));
    const token = await mintServiceToken({ secret: LOCAL_JWT_SECRET });
    expect((await legacy.authenticate(bearer(token))).kind).toBe('service');
  });
});

describe("the remote JWKS (Auth's own: without SUPABASE_JWKS, or for a kid it lacks)", () => {
  let server: Server;
  let served: JWK[] = [];
  let fetches = 0;
  let broken = false;
  let url: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url !== '/auth/v1/.well-known/jwks.json') {
        response.writeHead(404).end();
        return;
      }
      fetches++;
      if (broken) response.writeHead(502).end('bad gateway');
      else response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: served }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fetches once, caches, refetches once for a new kid after the cooldown, and a flood of kids fetches nothing', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-30T12:00:00Z') });
    const keyA = await generateSigningKey(url);
    const keyB = await generateSigningKey(url);
    served = [keyA.publicJwk];
    fetches = 0;
    const auth = createAuthenticator(authConfigFromEnv({ SUPABASE_URL: url }));
    const tokenA = await mintUserToken({ orgId: ORG, userRole: 'admin' }, { key: keyA });
    expect((await auth.authenticate(bearer(tokenA))).kind).toBe('user');
    const tokenA2 = await mintUserToken({ orgId: ORG, userRole: 'coordinator' }, { key: keyA });
    expect((await auth.authenticate(bearer(tokenA2))).kind).toBe('user');
    expect(fetches).toBe(1);

    // Auth rotates in key B. A flood of tokens with random kids inside the cooldown costs Auth nothing.
    served = [keyA.publicJwk, keyB.publicJwk];
    for (let i = 0; i < 25; i++) {
      const random = await mintUserToken({ orgId: ORG, userRole: 'admin' }, { key: { ...keyB, kid: randomUUID() } });
      expect((await failure(auth.authenticate(bearer(random)))).code).toBe('unauthorized');
    }
    expect(fetches).toBe(1);

    vi.setSystemTime(Date.now() + JWKS_REFETCH_COOLDOWN_MS + 1_000);
    const tokenB = await mintUserToken({ orgId: ORG, userRole: 'admin' }, { key: keyB });
    expect((await auth.authenticate(bearer(tokenB))).kind).toBe('user');
    expect(fetches).toBe(2);
    for (let i = 0; i < 10; i++) {
      const random = await mintUserToken({ orgId: ORG, userRole: 'admin' }, { key: { ...keyB, kid: randomUUID() } });
      await failure(auth.authenticate(bearer(random)));
    }
    expect(fetches).toBe(2);
  });

  it("SUPABASE_JWKS lacks a key Auth rotated in since the function started: the token's kid is asked of Auth", async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-30T12:00:00Z') });
    const current = await generateSigningKey(url);
    const rotatedIn = await generateSigningKey(url);
    served = [current.publicJwk, rotatedIn.publicJwk];
    fetches = 0;
    const auth = createAuthenticator(
      authConfigFromEnv({ SUPABASE_URL: url, SUPABASE_JWKS: JSON.stringify([current.publicJwk]) }),
    );
    // The inline key set answers for its own keys: Auth is not asked.
    const usual = await mintUserToken({ orgId: ORG, userRole: 'admin' }, { key: current });
    expect((await auth.authenticate(bearer(usual))).kind).toBe('user');
    expect(fetches).toBe(0);
    const rotated = await mintUserToken({ orgId: ORG, userRole: 'coordinator' }, { key: rotatedIn });
    expect(await auth.authenticate(bearer(rotated))).toMatchObject({ kind: 'user', userRole: 'coordinator' });
    expect(fetches).toBe(1);
    // A kid neither knows is the token's fault (401), and a flood of them costs Auth nothing within the cooldown.
    for (let i = 0; i < 20; i++) {
      const stranger = await mintUserToken(
        { orgId: ORG, userRole: 'admin' },
        { key: { ...rotatedIn, kid: randomUUID() } },
      );
      expect(await failure(auth.authenticate(bearer(stranger)))).toMatchObject({ code: 'unauthorized' });
    }
    expect(fetches).toBe(1);
  });

  it('SUPABASE_JWKS and Auth unreachable: an unknown kid is 503 (nobody can tell yet), Auth asked at most once per cooldown', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-30T12:00:00Z') });
    const current = await generateSigningKey(url);
    broken = true;
    fetches = 0;
    try {
      const auth = createAuthenticator(
        authConfigFromEnv({ SUPABASE_URL: url, SUPABASE_JWKS: JSON.stringify([current.publicJwk]) }),
      );
      for (let i = 0; i < 10; i++) {
        const stranger = await mintUserToken(
          { orgId: ORG, userRole: 'admin' },
          { key: { ...current, kid: randomUUID() } },
        );
        expect(await failure(auth.authenticate(bearer(stranger)))).toMatchObject({
          code: 'unavailable',
          message: "the project's signing keys could not be fetched",
        });
      }
      expect(fetches).toBe(1);
      vi.setSystemTime(Date.now() + JWKS_REFETCH_COOLDOWN_MS + 1_000);
      const later = await mintUserToken({ orgId: ORG, userRole: 'admin' }, { key: { ...current, kid: randomUUID() } });
      expect(await failure(auth.authenticate(bearer(later)))).toMatchObject({ code: 'unavailable' });
      expect(fetches).toBe(2);
      // Auth back, and without that kid: the token's fault.
      broken = false;
      served = [current.publicJwk];
      vi.setSystemTime(Date.now() + JWKS_REFETCH_COOLDOWN_MS + 1_000);
      const unknown = await mintUserToken(
        { orgId: ORG, userRole: 'admin' },
        { key: { ...current, kid: randomUUID() } },
      );
      expect(await failure(auth.authenticate(bearer(unknown)))).toMatchObject({
        code: 'unauthorized',
        message: expect.stringMatching(/kid/),
      });
      expect(fetches).toBe(3);
      // The keys it holds still work, Auth or not.
      const usual = await mintUserToken({ orgId: ORG, userRole: 'admin' }, { key: current });
      expect((await auth.authenticate(bearer(usual))).kind).toBe('user');
    } finally {
      broken = false;
    }
  });

  it('Auth answering garbage is 503 unavailable, not a 401 blaming the token', async () => {
    const key = await generateSigningKey(url);
    broken = true;
    try {
      const auth = createAuthenticator(authConfigFromEnv({ SUPABASE_URL: url }));
      const token = await mintUserToken({ orgId: ORG, userRole: 'admin' }, { key });
      expect(await failure(auth.authenticate(bearer(token)))).toMatchObject({ code: 'unavailable' });
    } finally {
      broken = false;
    }
  });
});
