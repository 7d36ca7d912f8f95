// Concurrent "Sync now" clicks of one integration: exactly one run is queued (201), every other click gets 409
// already_running naming that run, and the database holds one pending run. 20 clicks as the issue counts them, and
// 200 to make the race wide.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, type Harness, newOrg, startHarness, userToken } from './harness.ts';
import { connect } from './sync-run-log.setup.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

it.each([20, 200])('%i concurrent Sync now clicks: one 201, the rest 409 already_running with its id', async (n) => {
  const org = newOrg();
  await connect(h, org, ['xledger']);
  const tokens = await Promise.all(
    Array.from({ length: n }, (_, i) => userToken(org, i % 2 === 0 ? 'coordinator' : 'admin')),
  );
  const results = await Promise.all(
    tokens.map((token) =>
      call(h.url('sync-run-log', '/runs'), { method: 'POST', token, body: { integrationType: 'xledger' } }),
    ),
  );
  const created = results.filter((r) => r.status === 201);
  const refused = results.filter((r) => r.status === 409);
  expect(created).toHaveLength(1);
  expect(refused).toHaveLength(n - 1);
  const runId = created[0]?.body.run.id;
  for (const res of refused) {
    expect(res.body.error).toMatchObject({ code: 'already_running', details: { existingRunId: runId } });
  }
  const rows = await h.db.sql`select id, status, triggered_by from public.sync_run_log where org_id = ${org}`;
  expect(rows).toEqual([{ id: runId, status: 'pending', triggered_by: 'manual' }]);
});
