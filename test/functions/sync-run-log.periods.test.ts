// GET /integrations/{type}/periods end to end: an hourly schedule's periods of a day ago, each with what came of it
// (runs written straight into the run log with the start times a real scheduler would have had), future periods as
// upcoming, and the range rules. Every response is checked against the OpenAPI document (harness.ts's call()).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectError, type Harness, newOrg, serviceToken, startHarness, userToken } from './harness.ts';

let h: Harness;
const org = newOrg();
let coordinator: string;
const HOUR = 3_600_000;
const now = Date.now();
const P0 = Math.floor(now / HOUR) * HOUR - 24 * HOUR; // an hour boundary a day ago
const period = (i: number) => new Date(P0 + i * HOUR).toISOString();
const u = (path: string) => h.url('sync-run-log', path);
const periods = (from: string, to: string, token = coordinator, type = 'xledger') =>
  call(u(`/integrations/${type}/periods?from=${from}&to=${to}`), { token });

/** A scheduler run of period i that started `driftSeconds` after it and ended as `status`. */
async function run(i: number, status: string, driftSeconds: number, recordsFailed = 0): Promise<string> {
  const startedAt = new Date(P0 + i * HOUR + driftSeconds * 1000);
  const endedAt = status === 'running' ? null : new Date(startedAt.getTime() + 30_000);
  const [row] = await h.db.sql<{ id: string }[]>`
    insert into public.sync_run_log (org_id, integration_type, status, started_at, ended_at, heartbeat_at,
      records_processed, records_failed, triggered_by, scheduled_for, idempotency_key)
    values (${org}, 'xledger', ${status}, ${startedAt}, ${endedAt}, ${startedAt}, 10, ${recordsFailed}, 'scheduler',
      ${period(i)}, ${`xledger:${period(i)}`})
    returning id`;
  return row?.id as string;
}

const ids: Record<string, string> = {};
beforeAll(async () => {
  h = await startHarness();
  coordinator = await userToken(org);
  await h.db.sql`select public.upsert_sync_schedule(${org}::uuid, 'xledger', '0 * * * *', 'UTC', true, 1800,
    ${new Date(P0 - HOUR)}::timestamptz)`;
  ids.completed = await run(0, 'completed', 60);
  ids.late = await run(1, 'completed', 600);
  ids.partly = await run(2, 'completed', 30, 3);
  ids.failed = await run(3, 'failed', 20);
  ids.cancelled = await run(4, 'cancelled', 20);
  ids.running = await run(6, 'running', 45);
});
afterAll(async () => h?.stop());

describe('GET /integrations/{type}/periods', () => {
  it('each period of [from, to) with its outcome, run and drift, oldest first', async () => {
    const res = await periods(period(0), period(7));
    expect(res.status).toBe(200);
    expect(
      res.body.periods.map(
        (p: { scheduledFor: string; outcome: string; runId: string | null; driftSeconds: number | null }) => [
          p.scheduledFor,
          p.outcome,
          p.runId,
          p.driftSeconds,
        ],
      ),
    ).toEqual([
      [period(0), 'completed', ids.completed, 60],
      [period(1), 'late', ids.late, 600],
      [period(2), 'completed_with_failures', ids.partly, 30],
      [period(3), 'failed', ids.failed, 20],
      [period(4), 'cancelled', ids.cancelled, 20],
      [period(5), 'missed', null, null],
      [period(6), 'running', ids.running, 45],
    ]);
    expect(res.body.periods[2]).toMatchObject({ status: 'completed', recordsProcessed: 10, recordsFailed: 3 });
  });

  it('periods still to come are upcoming; the service role and an admin see the same', async () => {
    const next = Math.floor(now / HOUR) * HOUR + HOUR;
    const from = new Date(next).toISOString();
    const to = new Date(next + 2 * HOUR).toISOString();
    const res = await periods(from, to);
    expect(res.body.periods.map((p: { outcome: string }) => p.outcome)).toEqual(['upcoming', 'upcoming']);
    const admin = await periods(from, to, await userToken(org, 'admin'));
    const service = await call(u(`/integrations/xledger/periods?from=${from}&to=${to}&orgId=${org}`), {
      token: await serviceToken(),
    });
    expect(admin.body).toEqual(res.body);
    expect(service.body).toEqual(res.body);
  });

  it('offsets other than Z are instants too (an encoded +)', async () => {
    const asPlusOne = `${new Date(P0 + HOUR).toISOString().slice(0, 19)}+01:00`; // the instant of period 0
    const res = await periods(encodeURIComponent(asPlusOne), period(2));
    expect(res.body.periods.map((p: { scheduledFor: string }) => p.scheduledFor)).toEqual([period(0), period(1)]);
  });

  it.each([
    ['from not before to', () => [period(3), period(3)], /from must be before/],
    ['more than 1000 periods', () => [period(-1100), period(0)], /more than 1000 periods/],
    ['a date without a time zone', () => ['2026-01-01T00:00:00', period(0)], /ISO 8601 instant with Z or an offset/],
    ['an offset whose + was not encoded', () => ['2026-01-01T00:00:00 01:00', period(0)], /%2B/],
    ['not a date', () => ['yesterday', period(0)], /query\.from/],
  ])('400 for %s', async (_name, range, message) => {
    const [from, to] = range();
    const res = await periods(from as string, to as string);
    expectError(res, 400, 'invalid_argument');
    expect(res.body.error.message).toMatch(message);
  });

  it('400 without to; 404 for an integration without a schedule or unknown; the service role needs orgId', async () => {
    expectError(
      await call(u(`/integrations/xledger/periods?from=${period(0)}`), { token: coordinator }),
      400,
      'invalid_argument',
    );
    expectError(await periods(period(0), period(2), coordinator, 'dynamics'), 404, 'not_found');
    expectError(await periods(period(0), period(2), coordinator, 'sharepoint'), 404, 'not_found');
    expectError(await periods(period(0), period(2), await serviceToken()), 400, 'invalid_argument');
  });
});
