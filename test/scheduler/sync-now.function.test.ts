// "Sync now" on a hosted project's path: the sync-scheduler Edge Function under real Deno, called as a hosted
// project calls it (ES256 user tokens, a secret key in the apikey header). POST /runs/claim is for the service role
// only; handOffToScheduler (what the sync-run-log function calls right after queueing) makes it claim the queued run,
// which then syncs in the background with the org's connection against the simulated API, into the run log. The
// hand-off never throws: an unreachable, refusing or hanging scheduler is a result, and the run stays queued for the
// tick.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrationsRepository } from '../../supabase/functions/_shared/integrations.repository.ts';
import {
  CLAIM_PATH,
  handOffTargetFromEnv,
  handOffToScheduler,
} from '../../supabase/functions/_shared/scheduler/hand-off.ts';
import { call, type Harness, newOrg, startHarness } from '../functions/harness.ts';
import { LOCAL_CREDENTIALS, type SimulatedApis, startApis } from '../integrations/simulated.ts';
import { connect, repositories } from './helpers.ts';

let apis: SimulatedApis;
let h: Harness;
let hanging: Server;

beforeAll(async () => {
  apis = await startApis();
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(apis.env)) if (value !== undefined) env[key] = value;
  h = await startHarness(env, { signing: 'es256' });
  hanging = createServer(() => {}); // accepts, never answers
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
}, 180_000);
afterAll(async () => {
  hanging?.closeAllConnections();
  await new Promise((resolve) => hanging?.close(resolve));
  await h?.stop();
  await apis?.stop();
});

const claimUrl = () => h.url('sync-scheduler', '/runs/claim');

async function queue(orgId: string) {
  const { port } = repositories(h.db.sql);
  await connect(port, orgId, 'xledger', LOCAL_CREDENTIALS.xledger);
  return new IntegrationsRepository(port).queueManualRun(orgId, 'xledger');
}

describe('POST /functions/v1/sync-scheduler/runs/claim', () => {
  it('is for the service role only', async () => {
    expect((await call(claimUrl(), { method: 'POST' })).status).toBe(401);
    const admin = await call(claimUrl(), { method: 'POST', token: await h.userToken(newOrg(), 'admin') });
    expect(admin.status).toBe(403);
    expect(admin.body.error.code).toBe('forbidden');
    const wrongKey = await call(claimUrl(), { method: 'POST', headers: { apikey: 'sb_secret_not-the-key-0000000' } });
    expect(wrongKey.status).toBe(401);
    expect((await call(claimUrl(), { method: 'GET', headers: { apikey: await h.serviceCredential() } })).status).toBe(
      405,
    );
  });

  it('the hand-off makes it claim the queued run at once, and the run syncs with the org credentials', async () => {
    const org = newOrg();
    const run = await queue(org);
    const target = handOffTargetFromEnv({
      SUPABASE_URL: new URL(h.host.url).origin,
      SUPABASE_SECRET_KEYS: JSON.stringify({ default: await h.serviceCredential() }),
    });
    expect(target?.url).toBe(claimUrl());
    const result = await handOffToScheduler(target?.url as string, target?.secretKey as string);
    expect(result).toEqual({ ok: true, status: 200, claimed: 1, error: null });

    // The sync goes on after the answer: wait for the run log to say it ended (bounded).
    await expect
      .poll(
        async () => {
          const [row] = await h.db.sql<{ status: string; records_processed: number }[]>`
            select status, records_processed from public.sync_run_log where id = ${run.id}`;
          return row;
        },
        { timeout: 30_000, interval: 100 },
      )
      .toEqual({ status: 'completed', records_processed: 1000 });
    expect(apis.xledger.control.credentialsSeen()).toEqual([LOCAL_CREDENTIALS.xledger.apiToken]);
    expect(h.logs.some((line) => line.includes('"event":"run_claimed"'))).toBe(true);

    // Nothing queued any more: a second hand-off claims nothing.
    expect(await handOffToScheduler(target?.url as string, target?.secretKey as string)).toMatchObject({
      ok: true,
      claimed: 0,
    });
  }, 60_000);
});

describe('handOffToScheduler', () => {
  it('never throws: a refused key, no server and a server that never answers are results; the run stays queued', async () => {
    const org = newOrg();
    const run = await queue(org);
    expect(await handOffToScheduler(claimUrl(), 'sb_secret_not-the-key-0000000')).toEqual({
      ok: false,
      status: 401,
      claimed: 0,
      error: 'HTTP 401',
    });
    expect(await handOffToScheduler('http://127.0.0.1:9/functions/v1/sync-scheduler/runs/claim', 'k')).toEqual({
      ok: false,
      status: null,
      claimed: 0,
      error: 'unreachable',
    });
    const { port } = hanging.address() as AddressInfo;
    expect(await handOffToScheduler(`http://127.0.0.1:${port}${CLAIM_PATH}`, 'k', { timeoutMs: 100 })).toEqual({
      ok: false,
      status: null,
      claimed: 0,
      error: 'timeout',
    });
    const [row] = await h.db.sql<{ status: string }[]>`select status from public.sync_run_log where id = ${run.id}`;
    expect(row?.status).toBe('pending');
    // Leave nothing queued for other tests of this database.
    await h.db.sql`update public.sync_run_log set status = 'cancelled', ended_at = now() where id = ${run.id}`;
  });

  it('sends a secret key in apikey only, and a legacy JWT key as a bearer token too', async () => {
    const seen: Array<Record<string, string>> = [];
    const fetchStub: typeof fetch = async (_url, init) => {
      seen.push({ ...(init?.headers as Record<string, string>) });
      return new Response(JSON.stringify({ claimed: [] }), { status: 200 });
    };
    await handOffToScheduler('https://p.supabase.co/x', 'sb_secret_abcdefghijklmnop', { fetch: fetchStub });
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2ln';
    await handOffToScheduler('https://p.supabase.co/x', jwt, { fetch: fetchStub });
    expect(seen[0]).toEqual({ 'content-type': 'application/json', apikey: 'sb_secret_abcdefghijklmnop' });
    expect(seen[1]).toEqual({ 'content-type': 'application/json', apikey: jwt, authorization: `Bearer ${jwt}` });
  });

  it('finds its target in the environment a hosted project (or the local host) gives the function', () => {
    const url = `https://ref.supabase.co${CLAIM_PATH}`;
    expect(
      handOffTargetFromEnv({
        SUPABASE_URL: 'https://ref.supabase.co/',
        SUPABASE_SECRET_KEYS: '{"ops":"sb_secret_ops","default":"sb_secret_default"}',
      }),
    ).toEqual({ url, secretKey: 'sb_secret_default' });
    expect(
      handOffTargetFromEnv({
        SUPABASE_URL: 'https://ref.supabase.co',
        SUPABASE_SECRET_KEYS: '{"ops":"sb_secret_ops"}',
      }),
    ).toEqual({ url, secretKey: 'sb_secret_ops' });
    expect(
      handOffTargetFromEnv({ SUPABASE_URL: 'https://ref.supabase.co', SUPABASE_SERVICE_ROLE_KEY: 'eyJ.legacy' }),
    ).toEqual({ url, secretKey: 'eyJ.legacy' });
    expect(handOffTargetFromEnv({ FUNCTIONS_PORT: '54321', SUPABASE_SERVICE_ROLE_KEY: 'k' })).toEqual({
      url: `http://127.0.0.1:54321${CLAIM_PATH}`,
      secretKey: 'k',
    });
    expect(handOffTargetFromEnv({ SUPABASE_URL: 'https://ref.supabase.co' })).toBeNull();
    expect(handOffTargetFromEnv({ SUPABASE_SECRET_KEYS: '{"default":"sb_secret_x"}' })).toBeNull();
  });
});
