// A real supabase-js client passed to the repository as is, with PostgREST answered by a mocked fetch: the port's
// shape is supabase-js's own, the calls are PostgREST rpc calls, PostgREST's errors become the typed errors.
import { createClient } from '@supabase/supabase-js';
import { describe, expect, it } from 'vitest';
import { SyncRunLogError } from '../../supabase/functions/_shared/errors.ts';
import { SyncRunLogRepository } from '../../supabase/functions/_shared/run-log.repository.ts';

const ORG = '11111111-1111-4111-8111-111111111111';
const RUN_ID = '7b0c4d4e-8f0a-4a43-9d55-0f5e0e7a1a11';

interface Seen {
  url: string;
  method: string;
  body: unknown;
  headers: Headers;
}

function clientAnswering(status: number, body: unknown) {
  const seen: Seen[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    seen.push({ url: request.url, method: request.method, body: await request.json(), headers: request.headers });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
  const supabase = createClient('http://supabase.test', 'service-role-key', { global: { fetch } });
  return { seen, repo: new SyncRunLogRepository(supabase) };
}

describe('SyncRunLogRepository over supabase-js', () => {
  it('insertRunLog is POST /rest/v1/rpc/insert_run_log with the arguments as JSON', async () => {
    const { seen, repo } = clientAnswering(200, RUN_ID);
    await expect(repo.insertRunLog(ORG, 'xledger', 'manual')).resolves.toBe(RUN_ID);
    expect(seen[0]?.method).toBe('POST');
    expect(new URL(seen[0]?.url as string).pathname).toBe('/rest/v1/rpc/insert_run_log');
    expect(seen[0]?.body).toEqual({
      p_org_id: ORG,
      p_integration_type: 'xledger',
      p_triggered_by: 'manual',
      p_scheduled_for: null,
      p_idempotency_key: null,
    });
    expect(seen[0]?.headers.get('apikey')).toBe('service-role-key');
  });

  it('reads map PostgREST rows to runs', async () => {
    const row = {
      id: RUN_ID,
      org_id: ORG,
      integration_type: 'xledger',
      started_at: '2026-11-28T10:00:00+00:00',
      ended_at: '2026-11-28T10:01:00+00:00',
      status: 'completed',
      records_processed: 4,
      records_failed: 0,
      error_message: null,
      triggered_by: 'scheduler',
      scheduled_for: '2026-11-28T10:00:00+00:00',
      idempotency_key: 'xledger:2026-11-28T10:00:00.000Z',
      heartbeat_at: '2026-11-28T10:01:00+00:00',
      duration_seconds: 60,
    };
    const { seen, repo } = clientAnswering(200, [row]);
    const [run] = await repo.getRunHistory(ORG, 'xledger', 1);
    expect(new URL(seen[0]?.url as string).pathname).toBe('/rest/v1/rpc/get_run_history');
    expect(seen[0]?.body).toEqual({ p_org_id: ORG, p_integration_type: 'xledger', p_limit: 1 });
    expect(run).toMatchObject({
      id: RUN_ID,
      status: 'completed',
      durationSeconds: 60,
      idempotencyKey: row.idempotency_key,
    });
  });

  it.each([
    ['SR001', 409, 'already_running'],
    ['SR003', 404, 'not_found'],
    ['SR004', 409, 'not_running'],
    ['SR005', 400, 'invalid_argument'],
    ['42501', 500, 'internal'],
  ])('PostgREST error %s becomes %s', async (code, status, expected) => {
    const { repo } = clientAnswering(code === '42501' ? 403 : 400, {
      code,
      message: 'permission denied for function insert_run_log',
      details: null,
      hint: null,
    });
    const error = await repo.insertRunLog(ORG, 'xledger', 'manual').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncRunLogError);
    expect((error as SyncRunLogError).code).toBe(expected);
    expect((error as SyncRunLogError).status).toBe(status);
  });

  it('SR002 keeps the existing run id PostgREST sends in details', async () => {
    const { repo } = clientAnswering(400, { code: 'SR002', message: 'dup', details: RUN_ID, hint: null });
    const error = (await repo
      .insertRunLog(ORG, 'x1', 'scheduler', { idempotencyKey: 'k' })
      .catch((e) => e)) as SyncRunLogError;
    expect(error.code).toBe('duplicate_period');
    expect(error.details).toEqual({ existingRunId: RUN_ID });
  });
});
