// Org isolation end to end: org A's coordinator never sees, cancels or learns of org B's runs, whatever they try.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Harness, newOrg, serviceToken, startHarness, userToken } from './harness.ts';

let h: Harness;
const orgA = newOrg();
const orgB = newOrg();
let coordinatorA: string;
let adminB: string;
let runB: { id: string };
const u = (path: string) => h.url('sync-run-log', path);

beforeAll(async () => {
  h = await startHarness();
  coordinatorA = await userToken(orgA, 'coordinator');
  adminB = await userToken(orgB, 'admin');
  const service = await serviceToken();
  await call(u('/runs'), { method: 'POST', token: coordinatorA, body: { integrationType: 'xledger' } });
  runB = (await call(u('/runs'), { method: 'POST', token: adminB, body: { integrationType: 'xledger' } })).body.run;
  await call(u('/runs'), {
    method: 'POST',
    token: service,
    body: { orgId: orgB, integrationType: 'secret_b', triggeredBy: 'manual' },
  });
});
afterAll(async () => h?.stop());

describe('org A against org B', () => {
  it('latest and history show only the caller org', async () => {
    const latestA = await call(u('/runs/latest'), { token: coordinatorA });
    expect(latestA.body.runs.map((r: { orgId: string }) => r.orgId)).toEqual([orgA]);
    const historyA = await call(u('/runs?integrationType=secret_b'), { token: coordinatorA });
    expect(historyA.body.runs).toEqual([]);
    const latestB = await call(u('/runs/latest'), { token: adminB });
    expect(latestB.body.runs.map((r: { integrationType: string }) => r.integrationType)).toEqual([
      'secret_b',
      'xledger',
    ]);
  });

  it("B's run by id is a 404 for A, exactly like an unknown id", async () => {
    const theirs = await call(u(`/runs/${runB.id}`), { token: coordinatorA });
    const unknown = await call(u(`/runs/${newOrg()}`), { token: coordinatorA });
    expect(theirs.status).toBe(404);
    expect(theirs.body).toEqual(unknown.body);
  });

  it("A cannot cancel B's run (404), and it stays running", async () => {
    const res = await call(u(`/runs/${runB.id}`), {
      method: 'PATCH',
      token: coordinatorA,
      body: { status: 'cancelled' },
    });
    expect(res.status).toBe(404);
    const [row] = await h.db.sql`select status from public.sync_run_log where id = ${runB.id}`;
    expect(row?.status).toBe('running');
  });

  it('A cannot ask for B by orgId, in the query or the body', async () => {
    expect((await call(u(`/runs/latest?orgId=${orgB}`), { token: coordinatorA })).status).toBe(403);
    expect((await call(u(`/runs?integrationType=xledger&orgId=${orgB}`), { token: coordinatorA })).status).toBe(403);
    expect((await call(u(`/runs/${runB.id}?orgId=${orgB}`), { token: coordinatorA })).status).toBe(403);
    expect((await call(u(`/health?orgId=${orgB}`), { token: coordinatorA })).status).toBe(403);
    const post = await call(u('/runs'), {
      method: 'POST',
      token: coordinatorA,
      body: { orgId: orgB, integrationType: 'sneaky' },
    });
    expect(post.status).toBe(403);
    const [counted] = await h.db
      .sql`select count(*)::int as count from public.sync_run_log where integration_type = 'sneaky'`;
    expect(counted?.count).toBe(0);
  });

  it("A starting the same integration as B's running one is not blocked by B (no cross-org signal)", async () => {
    const res = await call(u('/runs'), { method: 'POST', token: coordinatorA, body: { integrationType: 'secret_b' } });
    expect(res.status).toBe(201);
    expect(res.body.run.orgId).toBe(orgA);
  });

  it('extra claims in a token cannot widen what it sees', async () => {
    const { mintUserToken } = await import('../../src/local/auth-keys.ts');
    const { SECRET } = await import('./harness.ts');
    const sneaky = await mintUserToken(
      { orgId: orgA, userRole: 'coordinator', extra: { org_ids: [orgB], app_metadata: { org_id: orgB } } },
      { secret: SECRET },
    );
    const res = await call(u('/runs/latest'), { token: sneaky });
    expect(res.body.runs.every((r: { orgId: string }) => r.orgId === orgA)).toBe(true);
  });
});
