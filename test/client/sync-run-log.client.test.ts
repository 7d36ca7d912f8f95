// The app client with a mocked supabase-js client: what it sends through functions.invoke, what it returns, and how
// supabase-js's error classes become the typed error codes.
import { FunctionsFetchError, FunctionsHttpError, FunctionsRelayError } from '@supabase/supabase-js';
import { describe, expect, it, vi } from 'vitest';
import {
  createSyncRunLogClient,
  INTEGRATION_TYPES,
  PERIOD_OUTCOMES,
  type SyncRun,
  type SyncRunLogClient,
  SyncRunLogError,
} from '../../src/client/index.ts';
import { INTEGRATION_TYPES as SERVER_INTEGRATION_TYPES } from '../../supabase/functions/_shared/integrations/integration-types.ts';
import { PERIOD_OUTCOMES as SERVER_PERIOD_OUTCOMES } from '../../supabase/functions/_shared/schedule-periods.ts';

type Client = SyncRunLogClient;

const RUN: SyncRun = {
  id: '7b0c4d4e-8f0a-4a43-9d55-0f5e0e7a1a11',
  orgId: '11111111-1111-4111-8111-111111111111',
  integrationType: 'xledger',
  startedAt: '2026-11-28T10:00:00+00:00',
  endedAt: null,
  status: 'running',
  recordsProcessed: 0,
  recordsFailed: 0,
  errorMessage: null,
  triggeredBy: 'manual',
  scheduledFor: null,
  idempotencyKey: null,
  heartbeatAt: '2026-11-28T10:00:00+00:00',
  durationSeconds: null,
};

function mockSupabase(result: { data: unknown; error: unknown } | (() => never)) {
  const invoke = vi.fn(async () => (typeof result === 'function' ? result() : result));
  // biome-ignore lint/suspicious/noExplicitAny: a structural stand-in for SupabaseClient['functions']
  return { invoke, supabase: { functions: { invoke } } as any };
}

const httpError = (status: number, body: unknown) =>
  new FunctionsHttpError(
    new Response(typeof body === 'string' ? body : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    }),
  );

async function rejection(promise: Promise<unknown>): Promise<SyncRunLogError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SyncRunLogError);
    return error as SyncRunLogError;
  }
  throw new Error('expected a rejection');
}

describe('calls', () => {
  it('getLastRunPerIntegration: GET sync-run-log/runs/latest, returns the runs', async () => {
    const { invoke, supabase } = mockSupabase({ data: { runs: [RUN] }, error: null });
    await expect(createSyncRunLogClient(supabase).getLastRunPerIntegration()).resolves.toEqual([RUN]);
    expect(invoke).toHaveBeenCalledWith('sync-run-log/runs/latest', { method: 'GET', body: undefined });
  });

  it('getRunHistory: passes integrationType and limit (default 50)', async () => {
    const { invoke, supabase } = mockSupabase({ data: { runs: [RUN, RUN] }, error: null });
    const client = createSyncRunLogClient(supabase);
    await expect(client.getRunHistory('xledger', 2)).resolves.toHaveLength(2);
    expect(invoke).toHaveBeenLastCalledWith('sync-run-log/runs?integrationType=xledger&limit=2', {
      method: 'GET',
      body: undefined,
    });
    await client.getRunHistory('dynamics');
    expect(invoke).toHaveBeenLastCalledWith('sync-run-log/runs?integrationType=dynamics&limit=50', {
      method: 'GET',
      body: undefined,
    });
  });

  it('triggerManualSync: POST /runs with only the integration type (the org comes from the JWT)', async () => {
    const { invoke, supabase } = mockSupabase({ data: { run: RUN }, error: null });
    await expect(createSyncRunLogClient(supabase).triggerManualSync('xledger')).resolves.toEqual(RUN);
    expect(invoke).toHaveBeenCalledWith('sync-run-log/runs', { method: 'POST', body: { integrationType: 'xledger' } });
  });

  it('cancelRun: PATCH /runs/{id} with status cancelled; getRun: GET /runs/{id}', async () => {
    const { invoke, supabase } = mockSupabase({ data: { run: { ...RUN, status: 'cancelled' } }, error: null });
    const client = createSyncRunLogClient(supabase);
    await expect(client.cancelRun(RUN.id)).resolves.toMatchObject({ status: 'cancelled' });
    expect(invoke).toHaveBeenCalledWith(`sync-run-log/runs/${RUN.id}`, {
      method: 'PATCH',
      body: { status: 'cancelled' },
    });
    await client.getRun(RUN.id);
    expect(invoke).toHaveBeenLastCalledWith(`sync-run-log/runs/${RUN.id}`, { method: 'GET', body: undefined });
  });
});

describe('bad input is refused before any call', () => {
  it.each([
    ['getRunHistory bad type', (c: ReturnType<typeof createSyncRunLogClient>) => c.getRunHistory('Bad Type', 5)],
    ['getRunHistory limit 0', (c: ReturnType<typeof createSyncRunLogClient>) => c.getRunHistory('xledger', 0)],
    ['getRunHistory limit 1001', (c: ReturnType<typeof createSyncRunLogClient>) => c.getRunHistory('xledger', 1001)],
    ['getRunHistory limit 2.5', (c: ReturnType<typeof createSyncRunLogClient>) => c.getRunHistory('xledger', 2.5)],
    ['triggerManualSync', (c: ReturnType<typeof createSyncRunLogClient>) => c.triggerManualSync('../x')],
    ['cancelRun', (c: ReturnType<typeof createSyncRunLogClient>) => c.cancelRun('1; drop table')],
    ['getRun', (c: ReturnType<typeof createSyncRunLogClient>) => c.getRun('')],
  ])('%s', async (_name, act) => {
    const { invoke, supabase } = mockSupabase({ data: null, error: null });
    const error = await rejection(act(createSyncRunLogClient(supabase)));
    expect(error.code).toBe('invalid_argument');
    expect(invoke).not.toHaveBeenCalled();
  });
});

describe('errors', () => {
  it.each([
    [409, 'already_running'],
    [409, 'duplicate_period'],
    [409, 'not_running'],
    [404, 'not_found'],
    [403, 'forbidden'],
    [401, 'unauthorized'],
    [400, 'invalid_argument'],
    [413, 'payload_too_large'],
    [415, 'unsupported_media_type'],
    [500, 'internal'],
  ] as const)('FunctionsHttpError %i %s keeps the code, message and status', async (status, code) => {
    const { supabase } = mockSupabase({
      data: null,
      error: httpError(status, { error: { code, message: `msg ${code}` } }),
    });
    const error = await rejection(createSyncRunLogClient(supabase).triggerManualSync('xledger'));
    expect(error.code).toBe(code);
    expect(error.message).toBe(`msg ${code}`);
    expect(error.status).toBe(status);
    expect(error.details.httpStatus).toBe(status);
  });

  it('keeps safe details (the existing run of a duplicate period)', async () => {
    const body = { error: { code: 'duplicate_period', message: 'dup', details: { existingRunId: RUN.id } } };
    const { supabase } = mockSupabase({ data: null, error: httpError(409, body) });
    const error = await rejection(createSyncRunLogClient(supabase).triggerManualSync('xledger'));
    expect(error.details).toMatchObject({ existingRunId: RUN.id });
  });

  it("reads a response of a custom fetch's own class (not the global Response) the same way", async () => {
    const foreign = {
      status: 409,
      headers: new Headers({ 'content-type': 'application/json' }),
      json: async () => ({ error: { code: 'already_running', message: 'running already' } }),
    };
    const { supabase } = mockSupabase({ data: null, error: new FunctionsHttpError(foreign) });
    const error = await rejection(createSyncRunLogClient(supabase).triggerManualSync('xledger'));
    expect(error).toMatchObject({ code: 'already_running', message: 'running already', status: 409 });
  });

  it('an HTTP error without our JSON shape is classified by status', async () => {
    const cases: [number, string][] = [
      [401, 'unauthorized'],
      [404, 'not_found'],
      [503, 'unavailable'],
      [502, 'internal'],
    ];
    for (const [status, code] of cases) {
      const { supabase } = mockSupabase({ data: null, error: httpError(status, '<html>gateway</html>') });
      expect((await rejection(createSyncRunLogClient(supabase).getLastRunPerIntegration())).code).toBe(code);
    }
    const { supabase } = mockSupabase({
      data: null,
      error: httpError(418, { error: { code: 'teapot', message: 'x' } }),
    });
    expect((await rejection(createSyncRunLogClient(supabase).getLastRunPerIntegration())).code).toBe('internal');
  });

  it('FunctionsFetchError and FunctionsRelayError are unavailable', async () => {
    for (const error of [
      new FunctionsFetchError(new TypeError('fetch failed')),
      new FunctionsRelayError(new Response('', { status: 502, headers: { 'x-relay-error': 'true' } })),
    ]) {
      const { supabase } = mockSupabase({ data: null, error });
      const thrown = await rejection(createSyncRunLogClient(supabase).getLastRunPerIntegration());
      expect(thrown.code).toBe('unavailable');
      expect(thrown.status).toBe(503);
    }
  });

  it('an invoke that throws is unavailable too', async () => {
    const { supabase } = mockSupabase(() => {
      throw new Error('boom');
    });
    expect((await rejection(createSyncRunLogClient(supabase).getLastRunPerIntegration())).code).toBe('unavailable');
  });

  it('an answer of the wrong shape is internal', async () => {
    for (const data of [null, 'text', { runs: 'x' }, { runs: [{ id: 1 }] }]) {
      const { supabase } = mockSupabase({ data, error: null });
      expect((await rejection(createSyncRunLogClient(supabase).getLastRunPerIntegration())).code).toBe('internal');
    }
    const { supabase } = mockSupabase({ data: { run: null }, error: null });
    expect((await rejection(createSyncRunLogClient(supabase).triggerManualSync('xledger'))).code).toBe('internal');
  });
});

describe('the routes of an org’s integrations and alerts', () => {
  const ORG = RUN.orgId;
  const CONNECTION = {
    id: RUN.id,
    orgId: ORG,
    integrationType: 'xledger',
    settings: {},
    enabled: true,
    credentialsSetAt: RUN.startedAt,
    createdAt: RUN.startedAt,
    updatedAt: RUN.startedAt,
  };
  const SCHEDULE = { id: RUN.id, orgId: ORG, integrationType: 'xledger', cronExpression: '0 * * * *', nextPeriods: [] };
  const ALERT = { id: RUN.id, orgId: ORG, kind: 'stuck_run', acknowledgedAt: null };

  it.each([
    [
      'getRunHistoryPage',
      (c: Client) =>
        c.getRunHistoryPage('xledger', { limit: 10, status: 'failed', triggeredBy: 'manual', before: 'abc_-1' }),
      'sync-run-log/runs?integrationType=xledger&limit=10&status=failed&triggeredBy=manual&before=abc_-1',
      'GET',
      undefined,
      { runs: [RUN], nextCursor: 'next' },
      { runs: [RUN], nextCursor: 'next' },
    ],
    [
      'getHealth',
      (c: Client) => c.getHealth(),
      'sync-run-log/health',
      'GET',
      undefined,
      { health: [{ integrationType: 'xledger' }] },
      [{ integrationType: 'xledger' }],
    ],
    [
      'listIntegrations',
      (c: Client) => c.listIntegrations(),
      'sync-run-log/integrations',
      'GET',
      undefined,
      { integrations: [{ integrationType: 'xledger' }] },
      [{ integrationType: 'xledger' }],
    ],
    [
      'putConnection',
      (c: Client) => c.putConnection('xledger', { credentials: { apiToken: 't' }, settings: { companyId: 1 } }),
      'sync-run-log/integrations/xledger/connection',
      'PUT',
      { credentials: { apiToken: 't' }, settings: { companyId: 1 } },
      { connection: CONNECTION },
      CONNECTION,
    ],
    [
      'deleteConnection',
      (c: Client) => c.deleteConnection('dynamics'),
      'sync-run-log/integrations/dynamics/connection',
      'DELETE',
      undefined,
      '',
      undefined,
    ],
    [
      'putSchedule',
      (c: Client) => c.putSchedule('bufdir', { cronExpression: '0 2 * * *', timeZone: 'UTC' }),
      'sync-run-log/integrations/bufdir/schedule',
      'PUT',
      { cronExpression: '0 2 * * *', timeZone: 'UTC' },
      { schedule: SCHEDULE },
      SCHEDULE,
    ],
    [
      'deleteSchedule',
      (c: Client) => c.deleteSchedule('bufdir'),
      'sync-run-log/integrations/bufdir/schedule',
      'DELETE',
      undefined,
      '',
      undefined,
    ],
    [
      'listPeriods',
      (c: Client) =>
        c.listPeriods('xledger', { from: new Date('2026-12-01T00:00:00Z'), to: '2026-12-02T01:00:00+01:00' }),
      'sync-run-log/integrations/xledger/periods?from=2026-12-01T00%3A00%3A00.000Z&to=2026-12-02T00%3A00%3A00.000Z',
      'GET',
      undefined,
      { periods: [{ scheduledFor: RUN.startedAt }] },
      [{ scheduledFor: RUN.startedAt }],
    ],
    [
      'listAlerts',
      (c: Client) => c.listAlerts({ limit: 5, before: 'cursor' }),
      'sync-run-log/alerts?limit=5&before=cursor',
      'GET',
      undefined,
      { alerts: [ALERT], nextCursor: null },
      { alerts: [ALERT], nextCursor: null },
    ],
    [
      'acknowledgeAlert',
      (c: Client) => c.acknowledgeAlert(RUN.id),
      `sync-run-log/alerts/${RUN.id}/acknowledge`,
      'POST',
      undefined,
      { alert: ALERT },
      ALERT,
    ],
    [
      'acknowledgeAlert with the failures seen',
      (c: Client) => c.acknowledgeAlert(RUN.id, { failedCount: 3 }),
      `sync-run-log/alerts/${RUN.id}/acknowledge`,
      'POST',
      { failedCount: 3 },
      { alert: ALERT },
      ALERT,
    ],
    [
      'acknowledgeAlert with no count given',
      (c: Client) => c.acknowledgeAlert(RUN.id, {}),
      `sync-run-log/alerts/${RUN.id}/acknowledge`,
      'POST',
      undefined,
      { alert: ALERT },
      ALERT,
    ],
  ] as const)('%s', async (_name, act, path, method, body, data, expected) => {
    const { invoke, supabase } = mockSupabase({ data, error: null });
    await expect(act(createSyncRunLogClient(supabase))).resolves.toEqual(expected);
    expect(invoke).toHaveBeenCalledWith(path, { method, body });
  });

  it.each([
    ['getRunHistoryPage bad status', (c: Client) => c.getRunHistoryPage('xledger', { status: 'queued' as never })],
    ['getRunHistoryPage bad cursor', (c: Client) => c.getRunHistoryPage('xledger', { before: 'a b' })],
    ['putConnection bad type', (c: Client) => c.putConnection('../x' as 'xledger', { credentials: { apiToken: 't' } })],
    ['putConnection no credentials', (c: Client) => c.putConnection('xledger', {} as never)],
    ['putSchedule no cron', (c: Client) => c.putSchedule('xledger', {} as never)],
    ['listPeriods bad date', (c: Client) => c.listPeriods('xledger', { from: 'soon', to: new Date() })],
    // Read in this machine's zone, they would ask for another range elsewhere.
    [
      'listPeriods time without offset',
      (c: Client) => c.listPeriods('xledger', { from: '2026-12-01T00:00:00', to: new Date() }),
    ],
    ['listPeriods date only', (c: Client) => c.listPeriods('xledger', { from: '2026-12-01', to: new Date() })],
    ['listPeriods words', (c: Client) => c.listPeriods('xledger', { from: new Date(), to: 'Dec 1 2026' })],
    ['listAlerts limit 0', (c: Client) => c.listAlerts({ limit: 0 })],
    ['acknowledgeAlert bad id', (c: Client) => c.acknowledgeAlert('42')],
    ['acknowledgeAlert failedCount 0', (c: Client) => c.acknowledgeAlert(RUN.id, { failedCount: 0 })],
    ['acknowledgeAlert failedCount 1.5', (c: Client) => c.acknowledgeAlert(RUN.id, { failedCount: 1.5 })],
    ['acknowledgeAlert failedCount "3"', (c: Client) => c.acknowledgeAlert(RUN.id, { failedCount: '3' as never })],
    ['deleteSchedule bad type', (c: Client) => c.deleteSchedule('')],
  ])('%s is refused before any call', async (_name, act) => {
    const { invoke, supabase } = mockSupabase({ data: null, error: null });
    expect((await rejection(act(createSyncRunLogClient(supabase)))).code).toBe('invalid_argument');
    expect(invoke).not.toHaveBeenCalled();
  });

  // Plain JavaScript may pass null where the types say "leave it out".
  it.each([
    ['getRunHistoryPage', 'before', (c: Client) => c.getRunHistoryPage('xledger', { before: null as never })],
    ['getRunHistoryPage', 'limit', (c: Client) => c.getRunHistoryPage('xledger', { limit: null as never })],
    ['getRunHistoryPage', 'status', (c: Client) => c.getRunHistoryPage('xledger', { status: null as never })],
    ['getRunHistoryPage', 'triggeredBy', (c: Client) => c.getRunHistoryPage('xledger', { triggeredBy: null as never })],
    ['listAlerts', 'before', (c: Client) => c.listAlerts({ before: null as never })],
    ['acknowledgeAlert', 'failedCount', (c: Client) => c.acknowledgeAlert(RUN.id, { failedCount: null as never })],
  ])('%s with %s null says to leave it out, before any call', async (_name, option, act) => {
    const { invoke, supabase } = mockSupabase({ data: null, error: null });
    const error = await rejection(act(createSyncRunLogClient(supabase)));
    expect(error).toMatchObject({ code: 'invalid_argument' });
    expect(error.message).toMatch(new RegExp(`^${option} is null: leave it out instead`));
    if (option === 'before') expect(error.message).toMatch(/null nextCursor means there is no next page/);
    expect(invoke).not.toHaveBeenCalled();
  });

  it('not_configured and already_running come back typed, with the run in the way', async () => {
    const { supabase } = mockSupabase({
      data: null,
      error: httpError(409, { error: { code: 'not_configured', message: 'xledger is not configured' } }),
    });
    expect(await rejection(createSyncRunLogClient(supabase).triggerManualSync('xledger'))).toMatchObject({
      code: 'not_configured',
      status: 409,
    });
    const busy = mockSupabase({
      data: null,
      error: httpError(409, {
        error: { code: 'already_running', message: 'busy', details: { existingRunId: RUN.id } },
      }),
    });
    const error = await rejection(createSyncRunLogClient(busy.supabase).triggerManualSync('xledger'));
    expect(error.details).toMatchObject({ existingRunId: RUN.id });
  });

  it('alert_changed comes back typed, with the failures the alert counts now', async () => {
    const { supabase } = mockSupabase({
      data: null,
      error: httpError(409, {
        error: {
          code: 'alert_changed',
          message: 'the alert has changed: 4 failures now, 3 seen',
          details: { failedCount: 4 },
        },
      }),
    });
    expect(
      await rejection(createSyncRunLogClient(supabase).acknowledgeAlert(RUN.id, { failedCount: 3 })),
    ).toMatchObject({ code: 'alert_changed', status: 409, details: { failedCount: 4, httpStatus: 409 } });
  });

  it('answers of the wrong shape are internal', async () => {
    for (const [act, data] of [
      [(c: Client) => c.listIntegrations(), { integrations: [{}] }],
      [(c: Client) => c.getRunHistoryPage('xledger'), { runs: [RUN], nextCursor: 5 }],
      [(c: Client) => c.putConnection('xledger', { credentials: { apiToken: 't' } }), { connection: null }],
      [(c: Client) => c.listAlerts(), { alerts: 'none' }],
    ] as const) {
      const { supabase } = mockSupabase({ data, error: null });
      expect((await rejection(act(createSyncRunLogClient(supabase)))).code).toBe('internal');
    }
  });

  it("its lists of integrations and outcomes are the server's", () => {
    expect(INTEGRATION_TYPES).toEqual(SERVER_INTEGRATION_TYPES);
    expect(PERIOD_OUTCOMES).toEqual(SERVER_PERIOD_OUTCOMES);
  });
});
