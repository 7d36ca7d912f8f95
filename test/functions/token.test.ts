// `npm run token`: the tokens it prints verify with the functions' own check, with the claims asked for.

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalAuth, loadLocalAuth } from '../../src/local/auth-keys.ts';
import { tokenFromArgs } from '../../src/local/token.ts';
import { callerFromClaims, createAuthenticator } from '../../supabase/functions/_shared/auth.ts';
import { authConfigFromEnv } from '../../supabase/functions/_shared/auth-config.ts';

const ORG = '11111111-1111-4111-8111-111111111111';
const URL_ = 'http://127.0.0.1:54321';
const dataDir = mkdtempSync(path.join(tmpdir(), 'token-test-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const hs256 = (): Promise<LocalAuth> => loadLocalAuth({ signing: 'hs256', dataDir, supabaseUrl: URL_ });
const es256 = (): Promise<LocalAuth> => loadLocalAuth({ signing: 'es256', dataDir, supabaseUrl: URL_ });
/** The functions' own check, configured with what `npm start` gives them. */
const verifierOf = (auth: LocalAuth) => createAuthenticator(authConfigFromEnv(auth.functionsEnv));

describe('npm run token', () => {
  it('a coordinator of an org', async () => {
    const auth = await hs256();
    const token = await tokenFromArgs(['--org', ORG, '--role', 'coordinator'], auth);
    const claims = await verifierOf(auth).verifyJwt(token);
    expect(claims).toMatchObject({
      role: 'authenticated',
      aud: 'authenticated',
      org_id: ORG,
      user_role: 'coordinator',
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
    expect(callerFromClaims(claims)).toMatchObject({ kind: 'user', orgId: ORG, userRole: 'coordinator' });
  });

  it('the service role, with a chosen lifetime', async () => {
    const auth = await hs256();
    const token = await tokenFromArgs(['--role', 'service_role', '--expires-in', '60'], auth);
    const claims = await verifierOf(auth).verifyJwt(token);
    expect(claims.role).toBe('service_role');
    expect((claims.exp as number) - (claims.iat as number)).toBe(60);
  });

  it.each([
    [['--role', 'coordinator'], /--org <uuid> is required/],
    [['--org', 'nope', '--role', 'admin'], /--org must be a uuid, got "nope"/],
    [['--org', ORG, '--role', 'Admin!'], /--role must be/],
    [['--role', 'service_role', '--org', ORG], /has no org/],
    [['--org', ORG, '--expires-in', '0'], /--expires-in/],
    [['--org', ORG, '--sub', 'x'], /--sub must be a uuid/],
    [['--bogus'], /Unknown option '--bogus'[\s\S]*usage: npm run token/],
  ])('refuses %j', async (args, message) => {
    await expect(tokenFromArgs(args, await hs256())).rejects.toThrow(message);
  });

  it('--help (or -h) is the usage with every option, not a token', async () => {
    for (const flag of ['--help', '-h']) {
      const text = await tokenFromArgs([flag], await hs256());
      expect(text).toMatch(/^usage: npm run token/);
      for (const option of ['--role', '--org', '--sub', '--expires-in']) expect(text).toContain(option);
    }
  });

  it('a coordinator and an admin are two users (their own sub), unless --sub says otherwise', async () => {
    const auth = await hs256();
    const sub = async (args: string[]) => (await verifierOf(auth).verifyJwt(await tokenFromArgs(args, auth))).sub;
    const coordinator = await sub(['--org', ORG, '--role', 'coordinator']);
    const admin = await sub(['--org', ORG, '--role', 'admin']);
    expect(coordinator).not.toBe(admin);
    expect(await sub(['--org', ORG, '--role', 'admin', '--sub', coordinator as string])).toBe(coordinator);
  });
});

describe('npm run token with AUTH_SIGNING=es256', () => {
  it('mints ES256 tokens with kid, iss and aud as Supabase Auth does, from a key made once and kept', async () => {
    const auth = await es256();
    const again = await es256();
    expect(again.key?.kid).toBe(auth.key?.kid); // kept in the data directory, not made anew
    expect(statSync(path.join(dataDir, 'auth', 'keys.json')).mode & 0o077).toBe(0); // private to its owner
    const token = await tokenFromArgs(['--org', ORG, '--role', 'admin'], auth);
    const header = JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString());
    expect(header).toEqual({ alg: 'ES256', typ: 'JWT', kid: auth.key?.kid });
    expect(auth.functionsEnv.SUPABASE_JWT_SECRET).toBeUndefined();
    const claims = await verifierOf(auth).verifyJwt(token);
    expect(claims).toMatchObject({ iss: `${URL_}/auth/v1`, aud: 'authenticated', role: 'authenticated', org_id: ORG });
    expect(callerFromClaims(claims)).toMatchObject({ kind: 'user', orgId: ORG, userRole: 'admin' });
  });

  it('--role service_role prints the local secret key, which the functions take as the service role', async () => {
    const auth = await es256();
    const key = await tokenFromArgs(['--role', 'service_role'], auth);
    expect(key).toMatch(/^sb_secret_/);
    const caller = await verifierOf(auth).authenticate(new Headers({ apikey: key }));
    expect(caller.kind).toBe('service');
  });
});
