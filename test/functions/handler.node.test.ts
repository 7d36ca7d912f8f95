// The sync-run-log handler in-process (Node, no Deno): the same module the function serves, called with Requests,
// with an injected clock and a captured log. Fast checks of the building blocks in _shared.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_JWT_SECRET, mintServiceToken, mintUserToken } from '../../src/local/auth-keys.ts';
import {
  bearerToken,
  callerFromClaims,
  createAuthenticator,
  requireServiceRole,
} from '../../supabase/functions/_shared/auth.ts';
import { authConfigFromEnv } from '../../supabase/functions/_shared/auth-config.ts';
import { connectDatabase, databaseUrl, sqlPorts } from '../../supabase/functions/_shared/database.ts';
import { SyncRunLogError } from '../../supabase/functions/_shared/errors.ts';
import { createFunctionHandler, functionPath } from '../../supabase/functions/_shared/function-handler.ts';
import { readJsonBody, requestIdOf } from '../../supabase/functions/_shared/http.ts';
import { jsonLogger, silentLogger } from '../../supabase/functions/_shared/log.ts';
import { parseInput, queryObject } from '../../supabase/functions/_shared/validation.ts';
import { createSyncRunLogHandler } from '../../supabase/functions/sync-run-log/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

let db: TestDatabase;
let handler: (request: Request) => Promise<Response>;
const lines: string[] = [];
let clock = new Date();
const org = randomUUID();
const BASE = 'http://local/functions/v1/sync-run-log';

beforeAll(async () => {
  db = await createTestDatabase();
  handler = createSyncRunLogHandler({
    auth: createAuthenticator(authConfigFromEnv({ SUPABASE_JWT_SECRET: LOCAL_JWT_SECRET }), { now: () => clock }),
    db: sqlPorts(db.sql),
    log: jsonLogger(
      (line) => lines.push(line),
      () => clock,
    ),
  });
});
afterAll(async () => db?.drop());

async function send(path: string, init: RequestInit & { token?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  const response = await handler(new Request(`${BASE}${path}`, { ...init, headers }));
  return {
    status: response.status,
    headers: response.headers,
    body: response.status === 204 ? null : await response.json(),
  };
}

/** An enabled connection for the org, through the service role's PUT (as an admin would). */
async function connectInProcess(orgId: string, type: string): Promise<void> {
  const token = await mintServiceToken({ secret: LOCAL_JWT_SECRET, now: () => clock });
  const res = await send(`/integrations/${type}/connection?orgId=${orgId}`, {
    method: 'PUT',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ credentials: { apiToken: 'local-xledger-token' } }),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

describe('the handler in-process', () => {
  it('serves the route table for a coordinator', async () => {
    const token = await mintUserToken(
      { orgId: org, userRole: 'coordinator' },
      { secret: LOCAL_JWT_SECRET, now: () => clock },
    );
    await connectInProcess(org, 'xledger');
    const started = await send('/runs', {
      method: 'POST',
      token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ integrationType: 'xledger' }),
    });
    expect(started.status).toBe(201);
    expect(started.body.run.status).toBe('pending');
    expect((await send('/runs/latest', { token })).body.runs).toHaveLength(1);
    expect((await send('/runs?integrationType=xledger', { token })).body.runs).toHaveLength(1);
    expect((await send(`/runs/${started.body.run.id}`, { token })).body.run.id).toBe(started.body.run.id);
    const cancelled = await send(`/runs/${started.body.run.id}`, {
      method: 'PATCH',
      token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'cancelled' }),
    });
    expect(cancelled.body.run.status).toBe('cancelled');
  });

  it('the service role: PATCH transitions, reads with orgId', async () => {
    const token = await mintServiceToken({ secret: LOCAL_JWT_SECRET, now: () => clock });
    const json = { 'content-type': 'application/json' };
    const started = await send('/runs', {
      method: 'POST',
      token,
      headers: json,
      body: JSON.stringify({
        orgId: org,
        integrationType: 'svc',
        triggeredBy: 'scheduler',
        scheduledFor: '2026-11-28T00:00:00Z',
        idempotencyKey: 'svc:1',
      }),
    });
    expect(started.status).toBe(201);
    const done = await send(`/runs/${started.body.run.id}`, {
      method: 'PATCH',
      token,
      headers: json,
      body: JSON.stringify({ status: 'completed', recordsProcessed: 3, recordsFailed: 0, errorMessage: null }),
    });
    expect(done.body.run).toMatchObject({ status: 'completed', recordsProcessed: 3 });
    expect((await send(`/runs/latest?orgId=${org}`, { token })).body.runs.length).toBeGreaterThan(0);
    expect((await send(`/runs/${started.body.run.id}?orgId=${org}`, { token })).status).toBe(200);
  });

  it('token expiry follows the injected clock', async () => {
    const token = await mintUserToken(
      { orgId: org, userRole: 'admin' },
      { secret: LOCAL_JWT_SECRET, expiresIn: 60, now: () => clock },
    );
    expect((await send('/runs/latest', { token })).status).toBe(200);
    const saved = clock;
    clock = new Date(saved.getTime() + 61_000);
    try {
      const res = await send('/runs/latest', { token });
      expect(res.status).toBe(401);
      expect(res.body.error.message).toMatch(/expired/);
    } finally {
      clock = saved;
    }
  });

  it('GET /health asks get_integration_health for the caller org and camelCases the rows', async () => {
    const token = await mintUserToken(
      { orgId: org, userRole: 'coordinator' },
      { secret: LOCAL_JWT_SECRET, now: () => clock },
    );
    const res = await send('/health', { token });
    // The RPC belongs to the health monitor's migration; whatever it returns, the answer is { health: [...] } or a typed error.
    if (res.status === 200) expect(Array.isArray(res.body.health)).toBe(true);
    else expect(res.body.error.code).toEqual(expect.any(String));
  });

  it('logs one JSON line per request with its request id, status and caller', async () => {
    const token = await mintUserToken(
      { orgId: org, userRole: 'coordinator' },
      { secret: LOCAL_JWT_SECRET, now: () => clock },
    );
    await send('/runs/latest', { token, headers: { 'x-request-id': 'node-req-1' } });
    const line = lines.map((l) => JSON.parse(l)).find((l) => l.requestId === 'node-req-1');
    expect(line).toMatchObject({
      time: clock.toISOString(),
      level: 'info',
      status: 200,
      caller: 'coordinator',
      orgId: org,
    });
  });
});

describe('_shared building blocks', () => {
  it('bearerToken and callerFromClaims', () => {
    expect(bearerToken(null)).toBeNull();
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken('bearer  abc.def ')).toBe('abc.def');
    expect(callerFromClaims({ role: 'service_role' }).kind).toBe('service');
    const user = callerFromClaims({ role: 'authenticated', org_id: org.toUpperCase(), user_role: 'admin', sub: 'u1' });
    expect(user).toMatchObject({ kind: 'user', orgId: org, userRole: 'admin', userId: 'u1' });
    for (const claims of [
      { role: 'anon' },
      { role: 'authenticated', user_role: 'admin' },
      { role: 'authenticated', org_id: org, user_role: 'member' },
    ]) {
      expect(() => callerFromClaims(claims)).toThrow(SyncRunLogError);
    }
    expect(() => requireServiceRole(user)).toThrow(/service role/);
    expect(() => requireServiceRole({ kind: 'service', claims: {} })).not.toThrow();
  });

  it('a verified token is remembered per verifier only, and still expires', async () => {
    let now = new Date('2026-11-28T12:00:00Z');
    const auth = (secret: string) => createAuthenticator(authConfigFromEnv({ JWT_SECRET: secret }), { now: () => now });
    const local = auth(LOCAL_JWT_SECRET);
    const token = await mintServiceToken({ secret: LOCAL_JWT_SECRET, expiresIn: 30, now: () => now });
    await expect(local.verifyJwt(token)).resolves.toMatchObject({ role: 'service_role' });
    const other = auth('another-secret-that-is-at-least-32-characters');
    await expect(other.verifyJwt(token)).rejects.toThrow(/signature/);
    const tampered = `${token.slice(0, -2)}${token.endsWith('A') ? 'BB' : 'AA'}`;
    await expect(local.verifyJwt(tampered)).rejects.toThrow(SyncRunLogError);
    now = new Date(now.getTime() + 31_000);
    await expect(local.verifyJwt(token)).rejects.toThrow(/expired/);
  });

  it('functionPath strips the gateway prefix and the function name', () => {
    expect(functionPath('/functions/v1/sync-run-log/runs/', 'sync-run-log')).toBe('/runs');
    expect(functionPath('/sync-run-log', 'sync-run-log')).toBe('/');
    expect(functionPath('/sync-run-logx/runs', 'sync-run-log')).toBeNull();
  });

  it('an unexpected exception in a route is a bare 500, logged', async () => {
    const logged: string[] = [];
    const h = createFunctionHandler({
      name: 'boom',
      log: jsonLogger((l) => logged.push(l)),
      routes: [
        {
          method: 'GET',
          path: '/x',
          handle: () => {
            throw new TypeError('secret=abc at /srv/x.ts');
          },
        },
        { method: 'GET', path: '/y/:id', handle: (c) => new Response(c.params.id) },
        {
          method: 'GET',
          path: '/z',
          handle: () => {
            throw new SyncRunLogError('unavailable', 'down');
          },
        },
        {
          method: 'GET',
          path: '/i',
          handle: () => {
            throw new SyncRunLogError('internal', 'db text here', { databaseCode: 'XX000' });
          },
        },
      ],
    });
    const res = await h(new Request('http://l/boom/x'));
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect(logged.join('\n')).not.toContain('abc');
    expect((await h(new Request('http://l/boom/y/%E0%A4%A'))).status).toBe(404);
    expect(await (await h(new Request('http://l/boom/y/a%20b'))).text()).toBe('a b');
    expect((await h(new Request('http://l/boom/z'))).status).toBe(503);
    const internal = await h(new Request('http://l/boom/i'));
    expect(await internal.json()).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect((await h(new Request('http://l/other'))).status).toBe(404);
  });

  it('readJsonBody: declared size, invalid UTF-8, vendor JSON types', async () => {
    const req = (body: BodyInit, headers: Record<string, string>) =>
      new Request('http://l/', { method: 'POST', body, headers });
    const err = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: SyncRunLogError) => e.code,
      );
    expect(await err(readJsonBody(req('{}', { 'content-type': 'application/json', 'content-length': '99999' })))).toBe(
      'payload_too_large',
    );
    expect(await err(readJsonBody(req(new Uint8Array([0xff, 0xfe]), { 'content-type': 'application/json' })))).toBe(
      'invalid_argument',
    );
    expect(await readJsonBody(req('{"a":1}', { 'content-type': 'application/vnd.api+json' }))).toEqual({ a: 1 });
    expect(
      await err(
        readJsonBody(new Request('http://l/', { method: 'POST', headers: { 'content-type': 'application/json' } })),
      ),
    ).toBe('invalid_argument');
  });

  it('requestIdOf keeps sane ids only', () => {
    expect(requestIdOf(new Request('http://l/', { headers: { 'x-request-id': 'abc-1' } }))).toBe('abc-1');
    expect(requestIdOf(new Request('http://l/', { headers: { 'x-request-id': 'bad id<script>' } }))).not.toContain('<');
  });

  it('queryObject refuses repeats; parseInput names the path', async () => {
    expect(() => queryObject(new URLSearchParams('a=1&a=2'))).toThrow(/twice/);
    const { z } = await import('zod');
    expect(() => parseInput(z.strictObject({ n: z.number() }), { n: 'x' }, 'body')).toThrow(/body\.n/);
    expect(() => parseInput(z.number(), 'x', 'body')).toThrow(/^body: /);
  });

  it('parseInput says in its own words what is missing or of the wrong type', async () => {
    const { z } = await import('zod');
    const schema = z.strictObject({
      name: z.string(),
      on: z.boolean().optional(),
      tags: z.array(z.string()).optional(),
      count: z.number().int().optional(),
    });
    /** The 400 message of `value` against `against` (a value it accepts fails the test). */
    const problemIn = (against: Parameters<typeof parseInput>[0]) => (value: unknown) => {
      try {
        parseInput(against, value, 'body');
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('parsed');
    };
    const problem = problemIn(schema);
    expect(problem({})).toBe('body.name: is required');
    expect(problem({ name: 'x', on: 'yes' })).toBe('body.on: must be a boolean');
    expect(problem({ name: 'x', tags: 'a' })).toBe('body.tags: must be an array');
    expect(problem({ name: 'x', count: 1.5 })).toBe('body.count: must be a whole number');
    expect(problem([])).toBe('body: must be a JSON object');
    expect(problem({ name: null })).toBe('body.name: must be a string');
    // Unknown fields, values outside a list and bounds, in our words too.
    expect(problem({ name: 'x', extra: 1 })).toBe('body: has a field it does not know: "extra"');
    expect(problem({ name: 'x', extra: 1, more: 2 })).toBe('body: has fields it does not know: "extra", "more"');
    const bounded = z.strictObject({
      status: z.enum(['running', 'completed']).optional(),
      by: z.literal('manual').optional(),
      count: z.number().int().min(0).max(10).optional(),
      share: z.number().gt(0).optional(),
      text: z.string().max(3).optional(),
      list: z.array(z.string()).min(1).optional(),
      code: z
        .string()
        .regex(/^[a-z]+$/, 'must be lowercase letters')
        .optional(),
      pin: z.string().length(4).optional(),
      big: z.literal(10n).optional(),
    });
    const bound = problemIn(bounded);
    expect(bound({ status: 'done' })).toBe('body.status: must be one of "running", "completed"');
    expect(bound({ by: 'cron' })).toBe('body.by: must be "manual"');
    expect(bound({ count: -1 })).toBe('body.count: must be at least 0');
    expect(bound({ count: 11 })).toBe('body.count: must be at most 10');
    expect(bound({ share: 0 })).toBe('body.share: must be more than 0');
    expect(bound({ text: 'abcd' })).toBe('body.text: must be at most 3 characters long');
    expect(bound({ list: [] })).toBe('body.list: must have at least 1 item');
    expect(bound({ pin: '123' })).toBe('body.pin: must be exactly 4 characters long');
    expect(bound({ pin: '12345' })).toBe('body.pin: must be exactly 4 characters long');
    expect(bound({ big: 1 })).toBe('body.big: must be 10');
    // A schema's own message is kept as it is.
    expect(bound({ code: 'ABC' })).toBe('body.code: must be lowercase letters');
  });

  it('databaseUrl prefers SUPABASE_DB_URL; connectDatabase opens lazily and ends', async () => {
    expect(databaseUrl({ SUPABASE_DB_URL: 'postgres://a', DATABASE_URL: 'postgres://b' })).toBe('postgres://a');
    expect(() => databaseUrl({})).toThrow(/SUPABASE_DB_URL or DATABASE_URL/);
    const ports = connectDatabase({ DATABASE_URL: db.url, DB_POOL_MAX: '2' });
    const result = await ports.asService().rpc('get_run', { p_run_id: randomUUID() });
    expect(result).toEqual({ data: [], error: null });
    await ports.end();
    silentLogger.log('info', 'nothing');
  });

  it('a database that cannot be reached is 503 unavailable, without the address', async () => {
    const down = connectDatabase({ DATABASE_URL: 'postgres://nobody:pw@127.0.0.1:9/none' });
    const logged: string[] = [];
    const offline = createSyncRunLogHandler({
      auth: createAuthenticator(authConfigFromEnv({ SUPABASE_JWT_SECRET: LOCAL_JWT_SECRET })),
      db: down,
      log: jsonLogger((l) => logged.push(l)),
    });
    const token = await mintUserToken({ orgId: org, userRole: 'coordinator' }, { secret: LOCAL_JWT_SECRET });
    try {
      const response = await offline(
        new Request(`${BASE}/runs/latest`, { headers: { authorization: `Bearer ${token}` } }),
      );
      expect(response.status).toBe(503);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('unavailable');
      expect(JSON.stringify(body)).not.toContain('127.0.0.1');
      expect(logged.join('\n')).not.toContain('pw@');
    } finally {
      await down.end();
    }
  });

  it('connectDatabase refuses a malformed pool size or statement timeout, naming it; a valid timeout applies', async () => {
    const url = db.url;
    expect(() => connectDatabase({ DATABASE_URL: url, DB_POOL_MAX: 'ten' })).toThrow(
      'DB_POOL_MAX must be a whole number between 1 and 100, got "ten"',
    );
    expect(() => connectDatabase({ DATABASE_URL: url, DB_POOL_MAX: '0' })).toThrow(/DB_POOL_MAX/);
    expect(() => connectDatabase({ DATABASE_URL: url, DB_STATEMENT_TIMEOUT_MS: '2.5' })).toThrow(
      'DB_STATEMENT_TIMEOUT_MS must be a whole number between 100 and 600000, got "2.5"',
    );
    await db.sql`create function public.test_sleep() returns void language sql as 'select pg_sleep(0.5)'`;
    await db.sql`grant execute on function public.test_sleep() to service_role`;
    const ports = connectDatabase({ DATABASE_URL: url, DB_POOL_MAX: ' ', DB_STATEMENT_TIMEOUT_MS: '100' });
    const slow = await ports.asService().rpc('test_sleep');
    expect(slow.error?.code).toBe('57014'); // canceled by statement_timeout
    await ports.end();
  });
});
