// The input, route, conflict, size and internal error statuses of sync-run-log, end to end, each with the JSON
// shape { error: { code, message } } (401 and 403: sync-run-log.auth.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectError, type Harness, newOrg, serviceToken, startHarness, userToken } from './harness.ts';
import { connect, recordRun } from './sync-run-log.setup.ts';

let h: Harness;
const org = newOrg();
let service: string;
let coordinator: string;
const u = (path: string) => h.url('sync-run-log', path);

beforeAll(async () => {
  h = await startHarness();
  service = await serviceToken();
  coordinator = await userToken(org);
});
afterAll(async () => h?.stop());

describe('400 invalid input', () => {
  it.each([
    ['missing integrationType', {}],
    ['bad integrationType', { integrationType: 'Xledger!' }],
    ['unknown field', { integrationType: 'xledger', extra: 1 }],
    ['not an object', [1, 2]],
    ['a string', 'hello'],
  ])('POST /runs by a user: %s', async (_name, body) => {
    expectError(await call(u('/runs'), { method: 'POST', token: coordinator, body }), 400, 'invalid_argument');
  });

  it.each([
    [
      'manual with scheduledFor',
      { orgId: org, integrationType: 'x1', triggeredBy: 'manual', scheduledFor: '2026-01-01T00:00:00Z' },
    ],
    ['no orgId', { integrationType: 'x1', triggeredBy: 'scheduler' }],
    ['bad triggeredBy', { orgId: org, integrationType: 'x1', triggeredBy: 'cron' }],
    ['bad scheduledFor', { orgId: org, integrationType: 'x1', triggeredBy: 'scheduler', scheduledFor: 'tomorrow' }],
    ['empty idempotencyKey', { orgId: org, integrationType: 'x1', triggeredBy: 'scheduler', idempotencyKey: '' }],
  ])('POST /runs by the service role: %s', async (_name, body) => {
    expectError(await call(u('/runs'), { method: 'POST', token: service, body }), 400, 'invalid_argument');
  });

  it('invalid JSON and an empty body', async () => {
    expectError(
      await call(u('/runs'), { method: 'POST', token: coordinator, body: '{"integrationType":' }),
      400,
      'invalid_argument',
    );
    expectError(
      await call(u('/runs'), {
        method: 'POST',
        token: coordinator,
        body: '',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'invalid_argument',
    );
  });

  it.each([
    '/runs?integrationType=xledger&limit=0',
    '/runs?integrationType=xledger&limit=1001',
    '/runs?integrationType=xledger&limit=ten',
    '/runs?limit=5',
    '/runs?integrationType=xledger&integrationType=dynamics',
    '/runs/latest?foo=bar',
  ])('GET %s', async (path) => {
    expectError(await call(u(path), { token: coordinator }), 400, 'invalid_argument');
  });

  it('names a missing query parameter as required', async () => {
    const res = await call(u('/runs?limit=5'), { token: coordinator });
    expectError(res, 400, 'invalid_argument');
    expect(res.body.error.message).toBe('query.integrationType: is required');
  });

  it('the service role must name the org of a read', async () => {
    expectError(await call(u('/runs/latest'), { token: service }), 400, 'invalid_argument');
    expectError(await call(u('/runs/latest?orgId=nope'), { token: service }), 400, 'invalid_argument');
  });

  it('PATCH by the service role: bad status, negative counts, unknown fields', async () => {
    const started = await recordRun(h, org, 'patch400');
    const path = `/runs/${started.id}`;
    for (const body of [
      { status: 'pending' },
      { status: 'running', recordsProcessed: -1 },
      { status: 'running', x: 1 },
      {},
    ]) {
      expectError(await call(u(path), { method: 'PATCH', token: service, body }), 400, 'invalid_argument');
    }
    const [row] = await h.db.sql`select status, records_processed from public.sync_run_log where id = ${started.id}`;
    expect(row).toEqual({ status: 'running', records_processed: 0 });
  });
});

describe('404, 405', () => {
  it('unknown routes and functions', async () => {
    expectError(await call(u('/nothing'), { token: coordinator }), 404, 'not_found');
    expectError(await call(`${h.host.url}/no-such-function/runs`, { token: coordinator }), 404, 'not_found');
  });

  it('unknown runs, malformed ids', async () => {
    expectError(await call(u(`/runs/${newOrg()}`), { token: coordinator }), 404, 'not_found');
    expectError(await call(u('/runs/not-a-uuid'), { token: coordinator }), 404, 'not_found');
    expectError(
      await call(u(`/runs/${newOrg()}`), { method: 'PATCH', token: service, body: { status: 'completed' } }),
      404,
      'not_found',
    );
    expectError(
      await call(u(`/runs/${newOrg()}`), { method: 'PATCH', token: coordinator, body: { status: 'cancelled' } }),
      404,
      'not_found',
    );
  });

  it('405 with Allow for a known path and another method', async () => {
    const res = await call(u('/runs'), { method: 'DELETE', token: coordinator });
    expectError(res, 405, 'method_not_allowed');
    expect(res.headers.get('allow')).toContain('POST');
    // /runs/latest is its own path, not a run whose id is "latest": only GET is allowed there.
    for (const method of ['POST', 'PATCH'] as const) {
      const latest = await call(u('/runs/latest'), { method, token: coordinator, body: { status: 'cancelled' } });
      expectError(latest, 405, 'method_not_allowed');
      expect(latest.headers.get('allow')).toBe('GET, OPTIONS');
    }
    expectError(
      await call(u(`/runs/${newOrg()}`), { method: 'PUT', token: coordinator, body: {} }),
      405,
      'method_not_allowed',
    );
  });
});

describe('409 conflicts', () => {
  it('Sync now while one is queued: already_running, with the queued run in the way', async () => {
    await connect(h, org, ['xledger']);
    const first = await call(u('/runs'), { method: 'POST', token: coordinator, body: { integrationType: 'xledger' } });
    expect(first.status).toBe(201);
    const res = await call(u('/runs'), { method: 'POST', token: coordinator, body: { integrationType: 'xledger' } });
    expectError(res, 409, 'already_running');
    expect(res.body.error.details).toEqual({ existingRunId: first.body.run.id });
  });

  it('not running (a finished run), with its status', async () => {
    const started = await recordRun(h, org, 'finished');
    const path = `/runs/${started.id}`;
    await call(u(path), { method: 'PATCH', token: service, body: { status: 'completed' } });
    const res = await call(u(path), { method: 'PATCH', token: coordinator, body: { status: 'cancelled' } });
    expectError(res, 409, 'not_running');
    expect(res.body.error.details).toEqual({ status: 'completed' });
    expectError(
      await call(u(path), { method: 'PATCH', token: service, body: { status: 'running' } }),
      409,
      'not_running',
    );
  });

  it('duplicate period, with the existing run id', async () => {
    const body = {
      orgId: org,
      integrationType: 'period',
      triggeredBy: 'scheduler',
      scheduledFor: '2026-11-28T01:00:00Z',
      idempotencyKey: 'period:2026-11-28T01:00:00.000Z',
    };
    const first = await call(u('/runs'), { method: 'POST', token: service, body });
    await call(u(`/runs/${first.body.run.id}`), { method: 'PATCH', token: service, body: { status: 'completed' } });
    const res = await call(u('/runs'), { method: 'POST', token: service, body });
    expectError(res, 409, 'duplicate_period');
    expect(res.body.error.details).toEqual({ existingRunId: first.body.run.id });
  });

  it('already running, with the id of the run in the way', async () => {
    const body = { orgId: org, integrationType: 'in_the_way', triggeredBy: 'manual' };
    const first = await call(u('/runs'), { method: 'POST', token: service, body });
    expect(first.status).toBe(201);
    const res = await call(u('/runs'), { method: 'POST', token: service, body });
    expectError(res, 409, 'already_running');
    expect(res.body.error.details).toEqual({ existingRunId: first.body.run.id });
  });

  it('a period older than the newest started one of its schedule, with that newest period', async () => {
    await h.db.sql`select public.upsert_sync_schedule(${org}::uuid, 'scheduled', '0 * * * *', 'UTC')`;
    const run = (hour: string) => ({
      orgId: org,
      integrationType: 'scheduled',
      triggeredBy: 'scheduler',
      scheduledFor: `2026-11-28T${hour}:00:00Z`,
      idempotencyKey: `period:2026-11-28T${hour}:00:00.000Z`,
    });
    const newer = await call(u('/runs'), { method: 'POST', token: service, body: run('06') });
    expect(newer.status).toBe(201);
    await call(u(`/runs/${newer.body.run.id}`), { method: 'PATCH', token: service, body: { status: 'completed' } });
    const res = await call(u('/runs'), { method: 'POST', token: service, body: run('05') });
    expectError(res, 409, 'period_superseded');
    expect(Date.parse(res.body.error.details.newestPeriod)).toBe(Date.parse('2026-11-28T06:00:00Z'));
  });
});

describe('413, 415', () => {
  it('413 over 16 KiB, declared or streamed', async () => {
    const big = JSON.stringify({ integrationType: 'big', pad: 'x'.repeat(17 * 1024) });
    expectError(await call(u('/runs'), { method: 'POST', token: coordinator, body: big }), 413, 'payload_too_large');
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(1024)));
        controller.close();
      },
    });
    const res = await fetch(u('/runs'), {
      method: 'POST',
      headers: { authorization: `Bearer ${coordinator}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('payload_too_large');
  });

  it('415 without a JSON content type', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await call(u('/runs'), {
        method: 'POST',
        token: coordinator,
        body: '{"integrationType":"ct"}',
        headers: { 'content-type': type },
      });
      expectError(res, 415, 'unsupported_media_type');
    }
    const res = await fetch(u('/runs'), {
      method: 'POST',
      headers: { authorization: `Bearer ${coordinator}` },
      body: new Uint8Array([123, 125]),
    });
    expect(res.status).toBe(415);
  });
});

describe('500 without internals', () => {
  it('a database failure answers a bare internal error: no SQL, no stack, no secret', async () => {
    await h.db
      .sql`revoke execute on function public.get_run_history_page(uuid, text, integer, text, text, timestamptz, uuid) from authenticated`;
    try {
      const res = await call(u('/runs?integrationType=xledger'), { token: coordinator });
      expectError(res, 500, 'internal');
      const text = JSON.stringify(res.body);
      expect(text).not.toMatch(/permission|function|get_run_history|select|postgres|\bat\b/i);
      const logged = h.logs.find((line) => line.includes(res.headers.get('x-request-id') as string));
      expect(logged).toContain('"status":500');
    } finally {
      await h.db
        .sql`grant execute on function public.get_run_history_page(uuid, text, integer, text, text, timestamptz, uuid) to authenticated`;
    }
  });
});
