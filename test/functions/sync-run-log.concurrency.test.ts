// 200 concurrent manual triggers of one integration: exactly one run starts (201), every other caller gets 409.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, type Harness, newOrg, startHarness, userToken } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

it('200 concurrent manual triggers give exactly one 201 and 199 409 already_running', async () => {
  const org = newOrg();
  const tokens = await Promise.all(
    Array.from({ length: 200 }, (_, i) => userToken(org, i % 2 === 0 ? 'coordinator' : 'admin')),
  );
  const results = await Promise.all(
    tokens.map((token) =>
      call(h.url('sync-run-log', '/runs'), { method: 'POST', token, body: { integrationType: 'xledger' } }),
    ),
  );
  const statuses = results.map((r) => r.status);
  expect(statuses.filter((s) => s === 201)).toHaveLength(1);
  expect(statuses.filter((s) => s === 409)).toHaveLength(199);
  expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'already_running')).toBe(true);
  const rows = await h.db.sql`select status, triggered_by from public.sync_run_log where org_id = ${org}`;
  expect(rows).toEqual([{ status: 'running', triggered_by: 'manual' }]);
});
