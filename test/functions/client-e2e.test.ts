// The app client through a real supabase-js client against the function under Deno: the whole path a phone takes,
// in both signing models: HS256 with the legacy secret (the local default) and ES256 against the project's JWKS with
// a secret key for service callers (a hosted project in 2026).
import { createClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSyncRunLogClient, SyncRunLogError } from '../../src/client/index.ts';
import { call, type Harness, newOrg, startHarness } from './harness.ts';

describe.each(['hs256', 'es256'] as const)('signed with %s', (signing) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({}, { signing });
  });
  afterAll(async () => h?.stop());
  const userToken = (orgId: string, role: string, options?: { expiresIn?: number }) =>
    h.userToken(orgId, role, options);

  function appClient(token: string) {
    const supabaseUrl = h.host.url.replace(/\/functions\/v1$/, '');
    const supabase = createClient(supabaseUrl, 'local-anon-key', { accessToken: async () => token });
    return createSyncRunLogClient(supabase);
  }

  it('triggers, lists, cancels; typed errors for a second trigger and for another org', async () => {
    const orgA = newOrg();
    const a = appClient(await userToken(orgA, 'coordinator'));
    const b = appClient(await userToken(newOrg(), 'admin'));

    const run = await a.triggerManualSync('xledger');
    expect(run).toMatchObject({ orgId: orgA, integrationType: 'xledger', status: 'running', triggeredBy: 'manual' });
    const again = await a.triggerManualSync('xledger').catch((e: unknown) => e);
    expect(again).toBeInstanceOf(SyncRunLogError);
    expect((again as SyncRunLogError).code).toBe('already_running');

    expect((await a.getLastRunPerIntegration()).map((r) => r.id)).toEqual([run.id]);
    expect(await b.getLastRunPerIntegration()).toEqual([]);
    const theirs = await b.cancelRun(run.id).catch((e: unknown) => e);
    expect((theirs as SyncRunLogError).code).toBe('not_found');

    expect((await a.cancelRun(run.id)).status).toBe('cancelled');
    const history = await a.getRunHistory('xledger', 10);
    expect(history.map((r) => [r.id, r.status])).toEqual([[run.id, 'cancelled']]);
    const twice = await a.cancelRun(run.id).catch((e: unknown) => e);
    expect((twice as SyncRunLogError).code).toBe('not_running');
  });

  it('an expired session is unauthorized', async () => {
    const client = appClient(await userToken(newOrg(), 'coordinator', { expiresIn: -5 }));
    const error = await client.getLastRunPerIntegration().catch((e: unknown) => e);
    expect((error as SyncRunLogError).code).toBe('unauthorized');
  });

  it('the service caller reads any org (a secret key in apikey with ES256, a service_role JWT with HS256)', async () => {
    const org = newOrg();
    await appClient(await userToken(org, 'admin')).triggerManualSync('bufdir');
    const credential = await h.serviceCredential();
    const headers: Record<string, string> =
      signing === 'es256' ? { apikey: credential } : { authorization: `Bearer ${credential}` };
    const res = await call(h.url('sync-run-log', `/runs/latest?orgId=${org}`), { headers });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.runs.map((r: { integrationType: string }) => r.integrationType)).toEqual(['bufdir']);
  });
});

it('an unreachable function is unavailable', async () => {
  const supabase = createClient('http://127.0.0.1:9', 'k', { accessToken: async () => 'x' });
  const error = await createSyncRunLogClient(supabase)
    .getLastRunPerIntegration()
    .catch((e: unknown) => e);
  expect((error as SyncRunLogError).code).toBe('unavailable');
});
