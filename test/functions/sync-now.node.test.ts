// The "Sync now" hand-off in process (Node, no Deno): the handler is given onRunQueued, calls it once with the run
// it queued, never waits for it and never fails the click because of it (against the real database); and the
// hand-off handler.ts gives it, from the environment, with an injected fetch. End to end: sync-now.e2e.test.ts.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_JWT_SECRET, mintServiceToken, mintUserToken } from '../../src/local/auth-keys.ts';
import { createAuthenticator } from '../../supabase/functions/_shared/auth.ts';
import { authConfigFromEnv } from '../../supabase/functions/_shared/auth-config.ts';
import { sqlPorts } from '../../supabase/functions/_shared/database.ts';
import { jsonLogger, silentLogger } from '../../supabase/functions/_shared/log.ts';
import type { SyncRun } from '../../supabase/functions/_shared/run-log.types.ts';
import { createSyncRunLogHandler, type SyncRunLogDeps } from '../../supabase/functions/sync-run-log/app.ts';
import { syncNowHandOff } from '../../supabase/functions/sync-run-log/sync-now-hand-off.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

let db: TestDatabase;
const lines: string[] = [];
const BASE = 'http://local/functions/v1/sync-run-log';
const json = { 'content-type': 'application/json' };

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

function handlerWith(onRunQueued: SyncRunLogDeps['onRunQueued']) {
  return createSyncRunLogHandler({
    auth: createAuthenticator(authConfigFromEnv({ SUPABASE_JWT_SECRET: LOCAL_JWT_SECRET })),
    db: sqlPorts(db.sql),
    log: jsonLogger((line) => lines.push(line)),
    onRunQueued,
  });
}

async function send(handler: (r: Request) => Promise<Response>, path: string, token: string, body?: unknown) {
  const response = await handler(
    new Request(`${BASE}${path}`, {
      method: body === undefined ? 'GET' : path.includes('/connection') ? 'PUT' : 'POST',
      headers: { authorization: `Bearer ${token}`, ...json },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  return { status: response.status, body: await response.json() };
}

/** An org with an enabled xledger connection, and a coordinator's token. */
async function orgWithConnection(handler: (r: Request) => Promise<Response>) {
  const org = randomUUID();
  const service = await mintServiceToken({ secret: LOCAL_JWT_SECRET });
  const put = await send(handler, `/integrations/xledger/connection?orgId=${org}`, service, {
    credentials: { apiToken: 'local-xledger-token' },
  });
  expect(put.status).toBe(200);
  return {
    org,
    coordinator: await mintUserToken({ orgId: org, userRole: 'coordinator' }, { secret: LOCAL_JWT_SECRET }),
  };
}

describe('onRunQueued', () => {
  it('is called once with the queued run, and the 201 does not wait for it', async () => {
    const handed: SyncRun[] = [];
    const handler = handlerWith((run) => {
      handed.push(run);
      return new Promise(() => {}); // a hand-off that never answers
    });
    const { org, coordinator } = await orgWithConnection(handler);
    const res = await send(handler, '/runs', coordinator, { integrationType: 'xledger' });
    expect(res.status).toBe(201);
    expect(handed).toEqual([res.body.run]);
    expect(handed[0]).toMatchObject({ orgId: org, status: 'pending', triggeredBy: 'manual' });
  });

  it('a hand-off that throws or rejects leaves the 201 and logs a warning', async () => {
    for (const hook of [
      () => {
        throw new Error('scheduler unreachable');
      },
      () => Promise.reject(new Error('scheduler said 503')),
    ]) {
      const handler = handlerWith(hook);
      const { coordinator } = await orgWithConnection(handler);
      const res = await send(handler, '/runs', coordinator, { integrationType: 'xledger' });
      expect(res.status).toBe(201);
      await new Promise((resolve) => setImmediate(resolve)); // the rejection is handled in a microtask
      const warning = lines.map((l) => JSON.parse(l)).find((l) => l.level === 'warn' && l.runId === res.body.run.id);
      expect(warning?.msg).toMatch(/not handed on: scheduler (unreachable|said 503)/);
    }
  });

  it('is not called for a refused click (409) or for the service role recording its own run', async () => {
    const handed: SyncRun[] = [];
    const handler = handlerWith((run) => {
      handed.push(run);
    });
    const { org, coordinator } = await orgWithConnection(handler);
    expect((await send(handler, '/runs', coordinator, { integrationType: 'xledger' })).status).toBe(201);
    const again = await send(handler, '/runs', coordinator, { integrationType: 'xledger' });
    expect(again.body.error).toMatchObject({ code: 'already_running', details: { existingRunId: handed[0]?.id } });
    const notConfigured = await send(handler, '/runs', coordinator, { integrationType: 'bufdir' });
    expect(notConfigured.body.error.code).toBe('not_configured');
    const service = await mintServiceToken({ secret: LOCAL_JWT_SECRET });
    const own = await send(handler, '/runs', service, {
      orgId: org,
      integrationType: 'dynamics',
      triggeredBy: 'manual',
    });
    expect(own.body.run.status).toBe('running');
    expect(handed).toHaveLength(1);
  });
});

describe('syncNowHandOff (handler.ts wires it from the environment)', () => {
  const KEY = 'sb_secret_hand-off-test-key-000000';
  const env = { SUPABASE_URL: 'https://project.supabase.co', SUPABASE_SECRET_KEYS: JSON.stringify({ default: KEY }) };
  const run = { id: randomUUID() } as SyncRun;

  it('none without a target or with SYNC_NOW_HAND_OFF=off; a bad setting stops the function at start', () => {
    expect(syncNowHandOff({}, silentLogger)).toBeUndefined();
    expect(syncNowHandOff({ SUPABASE_URL: 'https://project.supabase.co' }, silentLogger)).toBeUndefined();
    expect(syncNowHandOff({ ...env, SYNC_NOW_HAND_OFF: 'off' }, silentLogger)).toBeUndefined();
    expect(syncNowHandOff({ ...env, SYNC_NOW_HAND_OFF: 'on' }, silentLogger)).toBeTypeOf('function');
    expect(() => syncNowHandOff({ ...env, SYNC_NOW_HAND_OFF: 'maybe' }, silentLogger)).toThrow(/SYNC_NOW_HAND_OFF/);
  });

  it("POSTs the scheduler's claim route with the key, kept alive after the response, and logs the outcome without it", async () => {
    const logged: string[] = [];
    const kept: Promise<unknown>[] = [];
    const sent: Request[] = [];
    const answers = [Response.json({ claimed: [{ runId: run.id }] }), new Response('no', { status: 503 })];
    const handOff = syncNowHandOff(
      env,
      jsonLogger((line) => logged.push(line)),
      {
        keepAlive: (promise) => kept.push(promise),
        fetch: async (input, init) => {
          sent.push(new Request(input, init));
          return answers.shift() as Response;
        },
      },
    );
    await handOff?.(run);
    await handOff?.(run);
    expect(kept).toHaveLength(2);
    expect(sent.map((r) => [r.method, r.url, r.headers.get('apikey')])).toEqual([
      ['POST', 'https://project.supabase.co/functions/v1/sync-scheduler/runs/claim', KEY],
      ['POST', 'https://project.supabase.co/functions/v1/sync-scheduler/runs/claim', KEY],
    ]);
    const lines = logged.map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.level, l.msg, l.runId])).toEqual([
      ['info', 'run handed to sync-scheduler', run.id],
      ['warn', 'run not handed to sync-scheduler (HTTP 503): the tick will start it', run.id],
    ]);
    expect(logged.join('\n')).not.toContain(KEY);
  });
});
