// Authentication and roles end to end: 401 for missing, malformed, forged, expired, alg:none and other-algorithm
// tokens; 403 for roles that may not use the run log or fields they may not set.
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintUserToken } from '../../src/local/auth-keys.ts';
import { call, expectError, type Harness, newOrg, SECRET, startHarness, userToken } from './harness.ts';
import { recordRun } from './sync-run-log.setup.ts';

let h: Harness;
const org = newOrg();
let coordinator: string;
const u = (path: string) => h.url('sync-run-log', path);

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

beforeAll(async () => {
  h = await startHarness();
  coordinator = await userToken(org);
});
afterAll(async () => h?.stop());

describe('401 missing, invalid or expired token', () => {
  const payload = {
    role: 'authenticated',
    org_id: org,
    user_role: 'coordinator',
    exp: Math.floor(Date.now() / 1000) + 600,
  };

  it.each([
    ['no header', null],
    ['not a JWT', 'not-a-jwt'],
    ['garbage segments', 'aaa.bbb.ccc'],
  ])('%s', async (_name, token) => {
    expectError(await call(u('/runs/latest'), { token }), 401, 'unauthorized');
  });

  it('a Basic header', async () => {
    expectError(
      await call(u('/runs/latest'), { headers: { authorization: 'Basic dXNlcjpwYXNz' } }),
      401,
      'unauthorized',
    );
  });

  it('an expired token', async () => {
    const expired = await mintUserToken({ orgId: org, userRole: 'coordinator' }, { secret: SECRET, expiresIn: -60 });
    const res = await call(u('/runs/latest'), { token: expired });
    expectError(res, 401, 'unauthorized');
    expect(res.body.error.message).toMatch(/expired/);
  });

  it('a token signed with another secret', async () => {
    const forged = await mintUserToken(
      { orgId: org, userRole: 'coordinator' },
      { secret: 'another-secret-that-is-at-least-32-characters' },
    );
    expectError(await call(u('/runs/latest'), { token: forged }), 401, 'unauthorized');
  });

  it('alg: none, with and without a signature', async () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
    expectError(await call(u('/runs/latest'), { token: unsigned }), 401, 'unauthorized');
    const serviceNone = `${b64({ alg: 'none' })}.${b64({ role: 'service_role', exp: payload.exp })}.`;
    expectError(await call(u(`/runs/latest?orgId=${org}`), { token: serviceNone }), 401, 'unauthorized');
  });

  it('another algorithm (HS512) even with the right secret', async () => {
    const hs512 = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS512' })
      .sign(new TextEncoder().encode(SECRET));
    expectError(await call(u('/runs/latest'), { token: hs512 }), 401, 'unauthorized');
  });

  it('a token without exp', async () => {
    const { exp: _exp, ...noExp } = payload;
    const token = await new SignJWT(noExp).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    expectError(await call(u('/runs/latest'), { token }), 401, 'unauthorized');
  });

  it('a token header claiming the service role does not make one', async () => {
    expectError(
      await call(u('/runs/latest'), { headers: { 'x-role': 'service_role', apikey: 'service_role' } }),
      401,
      'unauthorized',
    );
  });
});

describe('403 role not allowed', () => {
  it('anon, other app roles, users without an org', async () => {
    const anon = await new SignJWT({ role: 'anon' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));
    const volunteer = await userToken(org, 'volunteer');
    const noOrg = await mintUserToken({ orgId: 'not-a-uuid', userRole: 'admin' }, { secret: SECRET });
    for (const token of [anon, volunteer, noOrg])
      expectError(await call(u('/runs/latest'), { token }), 403, 'forbidden');
  });

  it('a user may not choose the org, a scheduler trigger, a period or a key', async () => {
    for (const body of [
      { integrationType: 'xledger', orgId: newOrg() },
      { integrationType: 'xledger', triggeredBy: 'scheduler' },
      { integrationType: 'xledger', idempotencyKey: 'k' },
    ]) {
      expectError(await call(u('/runs'), { method: 'POST', token: coordinator, body }), 403, 'forbidden');
    }
    expectError(await call(u(`/runs/latest?orgId=${newOrg()}`), { token: coordinator }), 403, 'forbidden');
    const [counted] = await h.db
      .sql`select count(*)::int as count from public.sync_run_log where integration_type = 'xledger'`;
    expect(counted?.count).toBe(0);
  });

  it('a user may only cancel', async () => {
    const started = await recordRun(h, org, 'only_cancel');
    const res = await call(u(`/runs/${started.id}`), {
      method: 'PATCH',
      token: coordinator,
      body: { status: 'completed' },
    });
    expectError(res, 403, 'forbidden');
  });

  it.each([
    ['recordsProcessed', { status: 'cancelled', recordsProcessed: 5 }],
    ['recordsFailed', { status: 'cancelled', recordsFailed: 1 }],
    ['errorMessage', { status: 'cancelled', errorMessage: 'x' }],
  ])('a user may not set %s on a run (403, and the run is unchanged)', async (field, body) => {
    const started = await recordRun(h, org, `f_${field.toLowerCase()}`);
    const res = await call(u(`/runs/${started.id}`), { method: 'PATCH', token: coordinator, body });
    expectError(res, 403, 'forbidden');
    expect(res.body.error.message).toContain(field);
    const [run] = await h.db.sql`select status from public.sync_run_log where id = ${started.id}`;
    expect(run?.status).toBe('running');
  });

  it('an unknown field is still 400', async () => {
    const started = await recordRun(h, org, 'unknown_field');
    const res = await call(u(`/runs/${started.id}`), {
      method: 'PATCH',
      token: coordinator,
      body: { status: 'cancelled', bogus: 1 },
    });
    expectError(res, 400, 'invalid_argument');
  });
});
