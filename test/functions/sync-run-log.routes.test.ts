// The route table of sync-run-log, end to end: real Deno, real HTTP, real PostgreSQL, signed JWTs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectError, type Harness, newOrg, serviceToken, startHarness, userToken } from './harness.ts';
import { connect, recordRun } from './sync-run-log.setup.ts';

let h: Harness;
const orgA = newOrg();
const orgB = newOrg();
let service: string;
let coordinatorA: string;
let adminA: string;
const runs = (path: string) => h.url('sync-run-log', path);

beforeAll(async () => {
  h = await startHarness();
  service = await serviceToken();
  coordinatorA = await userToken(orgA, 'coordinator');
  adminA = await userToken(orgA, 'admin');
  await connect(h, orgA, ['xledger', 'dynamics']);
});
afterAll(async () => h?.stop());

describe('POST /runs', () => {
  it("a coordinator's Sync now queues a manual run of their own org: 201 { run } (pending) with a Location", async () => {
    const res = await call(runs('/runs'), {
      method: 'POST',
      token: coordinatorA,
      body: { integrationType: 'xledger' },
    });
    expect(res.status).toBe(201);
    expect(res.body.run).toMatchObject({
      orgId: orgA,
      integrationType: 'xledger',
      status: 'pending',
      triggeredBy: 'manual',
      scheduledFor: null,
      idempotencyKey: null,
      recordsProcessed: 0,
      endedAt: null,
    });
    expect(res.headers.get('location')).toBe(`/functions/v1/sync-run-log/runs/${res.body.run.id}`);
    const [row] = await h.db.sql`select org_id, triggered_by from public.sync_run_log where id = ${res.body.run.id}`;
    expect(row).toEqual({ org_id: orgA, triggered_by: 'manual' });
  });

  it('an admin may say triggeredBy manual explicitly', async () => {
    const res = await call(runs('/runs'), {
      method: 'POST',
      token: adminA,
      body: { integrationType: 'dynamics', triggeredBy: 'manual' },
    });
    expect(res.status).toBe(201);
    expect(res.body.run).toMatchObject({
      orgId: orgA,
      integrationType: 'dynamics',
      triggeredBy: 'manual',
      status: 'pending',
    });
  });

  it('the service role starts a scheduler run for any org, with its period and idempotency key', async () => {
    const res = await call(runs('/runs'), {
      method: 'POST',
      token: service,
      body: {
        orgId: orgB,
        integrationType: 'bufdir',
        triggeredBy: 'scheduler',
        scheduledFor: '2026-11-28T02:00:00Z',
        idempotencyKey: 'bufdir:2026-11-28T02:00:00.000Z',
      },
    });
    expect(res.status).toBe(201);
    expect(res.body.run).toMatchObject({
      orgId: orgB,
      triggeredBy: 'scheduler',
      idempotencyKey: 'bufdir:2026-11-28T02:00:00.000Z',
    });
    expect(new Date(res.body.run.scheduledFor).toISOString()).toBe('2026-11-28T02:00:00.000Z');
  });
});

describe('POST /runs by the service role: the period', () => {
  it('a scheduledFor over 5 minutes ahead is 400 and starts nothing; one a minute ahead is taken', async () => {
    const org = newOrg();
    const post = (scheduledFor: string) =>
      call(runs('/runs'), {
        method: 'POST',
        token: service,
        body: { orgId: org, integrationType: 'bufdir', triggeredBy: 'scheduler', scheduledFor },
      });
    for (const ahead of ['9999-12-31T00:00:00Z', new Date(Date.now() + 6 * 60_000).toISOString()]) {
      const res = await post(ahead);
      expectError(res, 400, 'invalid_argument');
      expect(res.body.error.message).toMatch(/scheduledFor: more than 5 minutes ahead/);
    }
    expect((await h.db.sql`select 1 from public.sync_run_log where org_id = ${org}`).length).toBe(0);
    expect((await post(new Date(Date.now() + 60_000).toISOString())).status).toBe(201);
  });

  it('where the integration has a schedule: one of its periods, and the due periods it overtakes are missed', async () => {
    const org = newOrg();
    const [{ now } = { now: new Date() }] = await h.db.sql<{ now: Date }[]>`select now() as now`;
    const minute = Math.floor(now.getTime() / 60_000) * 60_000;
    await h.db.sql`select public.upsert_sync_schedule(${org}, 'xledger', '* * * * *', 'UTC', true, 1800,
      ${new Date(minute - 3 * 60_000)})`;
    const post = (scheduledFor: Date) =>
      call(runs('/runs'), {
        method: 'POST',
        token: service,
        body: {
          orgId: org,
          integrationType: 'xledger',
          triggeredBy: 'scheduler',
          scheduledFor: scheduledFor.toISOString(),
        },
      });
    const between = await post(new Date(minute + 30_000));
    expectError(between, 400, 'invalid_argument');
    expect(between.body.error.message).toMatch(/is not a period of the xledger schedule \(\* \* \* \* \* in UTC\)/);

    // Two minutes ahead: the four periods due since the schedule began and the one after now will never run now.
    const ahead = await post(new Date(minute + 2 * 60_000));
    expect(ahead.status).toBe(201);
    const [alert] = await h.db.sql<{ run_id: string; details: { missed_count: number; missed_periods: string[] } }[]>`
      select run_id, details from public.sync_alerts where org_id = ${org} and kind = 'missed_periods'`;
    expect(alert?.run_id).toBe(ahead.body.run.id);
    expect(alert?.details.missed_count).toBe(5);
    expect(alert?.details.missed_periods.map((p) => Date.parse(p))).toEqual(
      [-3, -2, -1, 0, 1].map((m) => minute + m * 60_000),
    );
  });
});

describe('PATCH /runs/{id}', () => {
  it('the service role records progress, then completes the run; the error message is sanitised', async () => {
    const started = await call(runs('/runs'), {
      method: 'POST',
      token: service,
      body: { orgId: orgA, integrationType: 'patch_flow', triggeredBy: 'manual' },
    });
    const id = started.body.run.id;
    const progress = await call(runs(`/runs/${id}`), {
      method: 'PATCH',
      token: service,
      body: { status: 'running', recordsProcessed: 10, recordsFailed: 1 },
    });
    expect(progress.status).toBe(200);
    expect(progress.body.run).toMatchObject({ status: 'running', recordsProcessed: 10, recordsFailed: 1 });
    const done = await call(runs(`/runs/${id}`), {
      method: 'PATCH',
      token: service,
      body: {
        status: 'failed',
        recordsProcessed: 20,
        recordsFailed: 5,
        errorMessage: 'upstream said no: password=hunter2hunter2\n    at sync (file:///x.ts:1:2)',
      },
    });
    expect(done.status).toBe(200);
    expect(done.body.run).toMatchObject({ status: 'failed', recordsProcessed: 20, recordsFailed: 5 });
    expect(done.body.run.endedAt).not.toBeNull();
    expect(done.body.run.errorMessage).toContain('upstream said no');
    expect(done.body.run.errorMessage).not.toContain('hunter2');
    expect(done.body.run.errorMessage).not.toContain('file:///');
  });

  it('a coordinator cancels a running run of their org', async () => {
    const started = await recordRun(h, orgA, 'cancel_me');
    const res = await call(runs(`/runs/${started.id}`), {
      method: 'PATCH',
      token: coordinatorA,
      body: { status: 'cancelled' },
    });
    expect(res.status).toBe(200);
    expect(res.body.run).toMatchObject({ id: started.id, status: 'cancelled' });
  });

  it('a coordinator cancels a queued Sync now before the executor claims it', async () => {
    const org = newOrg();
    const coordinator = await userToken(org, 'coordinator');
    await connect(h, org, ['bufdir']);
    const queued = await call(runs('/runs'), {
      method: 'POST',
      token: coordinator,
      body: { integrationType: 'bufdir' },
    });
    expect(queued.body.run.status).toBe('pending');
    const res = await call(runs(`/runs/${queued.body.run.id}`), {
      method: 'PATCH',
      token: coordinator,
      body: { status: 'cancelled' },
    });
    expect(res.status).toBe(200);
    expect(res.body.run).toMatchObject({ id: queued.body.run.id, status: 'cancelled' });
    expect(res.body.run.endedAt).not.toBeNull();
  });
});

describe('query strings of the run routes', () => {
  const countRuns = async (org: string) =>
    Number((await h.db.sql`select count(*) from public.sync_run_log where org_id = ${org}`)[0]?.count);

  it("POST /runs takes no query: a user's orgId is 403, anything else 400, and nothing is queued", async () => {
    const org = newOrg();
    const other = newOrg();
    const coordinator = await userToken(org, 'coordinator');
    await connect(h, org, ['bufdir']);
    const post = (query: string, token: string, body: Record<string, unknown>) =>
      call(runs(`/runs${query}`), { method: 'POST', token, body });
    const forbidden = await post(`?orgId=${other}`, coordinator, { integrationType: 'bufdir' });
    expectError(forbidden, 403, 'forbidden');
    expect(forbidden.body.error.message).toMatch(/orgId/);
    expectError(await post('?bogus=1', coordinator, { integrationType: 'bufdir' }), 400, 'invalid_argument');
    const service = { orgId: org, integrationType: 'bufdir', triggeredBy: 'manual' };
    expectError(await post(`?orgId=${org}`, await serviceToken(), service), 400, 'invalid_argument');
    expect(await countRuns(org)).toBe(0);
    expect(await countRuns(other)).toBe(0);
    expect((await post('', coordinator, { integrationType: 'bufdir' })).status).toBe(201);
  });

  it("PATCH /runs/{id} takes no query: a user's orgId is 403, anything else 400, and the run is unchanged", async () => {
    const run = await recordRun(h, orgA, 'patch_query');
    const patch = (query: string, token: string) =>
      call(runs(`/runs/${run.id}${query}`), { method: 'PATCH', token, body: { status: 'cancelled' } });
    expectError(await patch(`?orgId=${orgB}`, coordinatorA), 403, 'forbidden');
    expectError(await patch('?bogus=1', coordinatorA), 400, 'invalid_argument');
    expectError(await patch(`?orgId=${orgA}`, service), 400, 'invalid_argument');
    const [row] = await h.db.sql`select status from public.sync_run_log where id = ${run.id}`;
    expect(row).toEqual({ status: 'running' });
  });

  it("GET /runs/{id}: the service role naming another org gets 404, naming the run's org gets the run", async () => {
    const run = await recordRun(h, orgA, 'by_org');
    expectError(await call(runs(`/runs/${run.id}?orgId=${orgB}`), { token: service }), 404, 'not_found');
    const named = await call(runs(`/runs/${run.id}?orgId=${orgA.toUpperCase()}`), { token: service });
    expect(named.status).toBe(200);
    expect(named.body.run.id).toBe(run.id);
    expect((await call(runs(`/runs/${run.id}`), { token: service })).body.run.id).toBe(run.id);
  });
});

describe('GET /runs/latest, GET /runs, GET /runs/{id}', () => {
  it('latest: one run per integration of the caller org, ordered by integration', async () => {
    const res = await call(runs('/runs/latest'), { token: coordinatorA });
    expect(res.status).toBe(200);
    const types = res.body.runs.map((r: { integrationType: string }) => r.integrationType);
    expect(types).toEqual([...new Set(types)].sort());
    expect(types).toEqual(expect.arrayContaining(['cancel_me', 'dynamics', 'patch_flow', 'xledger']));
    expect(res.body.runs.every((r: { orgId: string }) => r.orgId === orgA)).toBe(true);
  });

  it('latest for the service role needs ?orgId=', async () => {
    const res = await call(runs(`/runs/latest?orgId=${orgB}`), { token: service });
    expect(res.status).toBe(200);
    expect(res.body.runs.map((r: { integrationType: string }) => r.integrationType)).toEqual(['bufdir']);
  });

  it('history: newest first, limit respected, default 50', async () => {
    for (let i = 0; i < 3; i++) {
      const s = await call(runs('/runs'), {
        method: 'POST',
        token: service,
        body: { orgId: orgA, integrationType: 'hist', triggeredBy: 'manual' },
      });
      await call(runs(`/runs/${s.body.run.id}`), { method: 'PATCH', token: service, body: { status: 'completed' } });
    }
    const two = await call(runs('/runs?integrationType=hist&limit=2'), { token: coordinatorA });
    expect(two.status).toBe(200);
    expect(two.body.runs).toHaveLength(2);
    expect(Date.parse(two.body.runs[0].startedAt)).toBeGreaterThanOrEqual(Date.parse(two.body.runs[1].startedAt));
    expect(two.body.nextCursor).toEqual(expect.any(String));
    const rest = await call(runs(`/runs?integrationType=hist&limit=2&before=${two.body.nextCursor}`), {
      token: coordinatorA,
    });
    expect(rest.body).toMatchObject({ nextCursor: null });
    expect(rest.body.runs).toHaveLength(1);
    const elsewhere = await call(runs(`/alerts?before=${two.body.nextCursor}`), { token: coordinatorA });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.error.message).toMatch(/not a nextCursor of alerts/);
    const all = await call(runs('/runs?integrationType=hist'), { token: adminA });
    expect(all.body.runs).toHaveLength(3);
    expect(all.body.nextCursor).toBeNull();
    expect(new Set([...two.body.runs, ...rest.body.runs].map((r) => r.id))).toEqual(
      new Set(all.body.runs.map((r: { id: string }) => r.id)),
    );
    const svc = await call(runs(`/runs?integrationType=hist&limit=1000&orgId=${orgA}`), { token: service });
    expect(svc.body.runs).toHaveLength(3);
  });

  it('one run by id', async () => {
    const run = await recordRun(h, orgA, 'by_id');
    const res = await call(runs(`/runs/${run.id}`), { token: coordinatorA });
    expect(res.status).toBe(200);
    expect(res.body.run).toEqual(run);
  });
});

describe('HTTP conventions', () => {
  it('answers a CORS preflight without a token', async () => {
    const res = await fetch(runs('/runs'), {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      expect(res.headers.get('access-control-allow-methods')).toContain(method);
    }
    expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
  });

  it('every response carries a request id, echoed when the caller sent one, and the log line has it', async () => {
    const res = await call(runs('/runs/latest'), { token: coordinatorA, headers: { 'x-request-id': 'trace-42' } });
    expect(res.headers.get('x-request-id')).toBe('trace-42');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const fresh = await call(runs('/nope'), {});
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const lines = h.logs.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const line = lines.find((l) => l.requestId === 'trace-42');
    expect(line).toMatchObject({ level: 'info', msg: 'request', status: 200, caller: 'coordinator', orgId: orgA });
    expect(lines.filter((l) => l.msg === 'request').every((l) => typeof l.requestId === 'string')).toBe(true);
  });
});
