// The app client through a real supabase-js client against the function under Deno: the whole path a phone takes.
import { createClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSyncRunLogClient, SyncRunLogError } from '../../src/client/index.ts';
import { type Harness, newOrg, startHarness, userToken } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

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

it('an unreachable function is unavailable', async () => {
  const supabase = createClient('http://127.0.0.1:9', 'k', { accessToken: async () => 'x' });
  const error = await createSyncRunLogClient(supabase)
    .getLastRunPerIntegration()
    .catch((e: unknown) => e);
  expect((error as SyncRunLogError).code).toBe('unavailable');
});
