// The watchdog reads what became of its alert POSTs (pg_net keeps each answer in net._http_response) and posts a
// failed one again, at most 3 attempts in all; a 2xx is delivered, the third failure is given up on with a WARNING.
// pg_net is a stand-in created after the migrations (the watchdog finds net.http_post and net._http_response at run
// time): net.http_post records each request in net.requests, and the test writes the answers pg_net would.
// Against the real database, as its owner: pg_cron runs the job as the role that scheduled it (postgres).
import { randomUUID } from 'node:crypto';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { PG_NET_STAND_IN } from '../helpers/system-postgres.ts';

const WEBHOOK_URL = 'https://hooks.example.org/sync-alerts?token=local-test-token';
let db: TestDatabase;
let sql: Sql;
const warnings: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql.unsafe(PG_NET_STAND_IN);
  await db.sql`create table net._http_response (
    id bigint primary key, status_code integer, timed_out boolean, error_msg text, created timestamptz default now())`;
  await db.sql`select vault.create_secret(${WEBHOOK_URL}, 'sync_alert_webhook_url')`;
  sql = postgres(db.url, { max: 1, onnotice: (notice) => void warnings.push(String(notice.message)) });
});
afterAll(async () => {
  await sql?.end();
  await db.drop();
});

const watch = () => sql`select public.watch_scheduler_pulse() as recorded`; // as pg_cron runs it: the owner
const silentFor = (minutes: number) =>
  db.sql`update sync_private.scheduler_pulse set last_tick_at = now() - make_interval(mins => ${minutes})`;
const answer = (requestId: string, status: number | null, timedOut = false) =>
  db.sql`insert into net._http_response (id, status_code, timed_out, error_msg)
         values (${requestId}, ${status}, ${timedOut}, ${status === null ? 'Could not resolve host: hooks.example.org' : null})`;

async function postOf(orgId: string) {
  const [post] = await db.sql<
    { alert_id: string; request_id: string; attempts: number; outcome: string | null; last_failure: string | null }[]
  >`select p.alert_id, p.request_id::text, p.attempts, p.outcome, p.last_failure
    from sync_private.watchdog_posts p join public.sync_alerts a on a.id = p.alert_id where a.org_id = ${orgId}`;
  return post;
}

const requestsFor = (alertId: string) =>
  db.sql<{ id: string; url: string; body: { alertId: string; kind: string } }[]>`
    select id::text, url, body from net.requests where body->>'alertId' = ${alertId} order by id`;

it('a 2xx is delivered; a failure is posted again to the same address, and the third is given up on', async () => {
  const [delivered, retried] = [randomUUID(), randomUUID()];
  for (const org of [delivered, retried]) {
    await db.sql`select 1 from public.upsert_sync_schedule(${org}, 'xledger', '*/15 * * * *', 'UTC', true, 1800,
      now() - interval '1 hour')`;
  }
  await silentFor(11);
  expect((await watch())[0]?.recorded).toBe(2);
  const first = { delivered: await postOf(delivered), retried: await postOf(retried) };
  expect(first.delivered).toMatchObject({ attempts: 1, outcome: null });
  expect(await requestsFor(first.delivered?.alert_id as string)).toEqual([
    expect.objectContaining({ id: first.delivered?.request_id, url: WEBHOOK_URL }),
  ]);

  // Not answered yet: nothing changes.
  expect((await watch())[0]?.recorded).toBe(0); // the same outage records nothing new
  expect(await postOf(delivered)).toEqual(first.delivered);

  // 200 for one, 503 for the other: delivered, and posted again.
  await answer(first.delivered?.request_id as string, 200);
  await answer(first.retried?.request_id as string, 503);
  await watch();
  expect(await postOf(delivered)).toMatchObject({ attempts: 1, outcome: 'delivered', last_failure: null });
  const second = await postOf(retried);
  expect(second).toMatchObject({ attempts: 2, outcome: null, last_failure: 'HTTP 503' });
  const requests = await requestsFor(second?.alert_id as string);
  expect(requests.map((r) => r.id)).toEqual([first.retried?.request_id, second?.request_id]);
  expect(requests[1]).toMatchObject({
    url: WEBHOOK_URL,
    body: { kind: 'scheduler_stalled', alertId: second?.alert_id },
  });
  expect(requests[1]?.body).toEqual(requests[0]?.body);

  // A timeout, then no answer at all: the third attempt was the last.
  await answer(second?.request_id as string, null, true);
  await watch();
  const third = await postOf(retried);
  expect(third).toMatchObject({ attempts: 3, outcome: null, last_failure: 'timed out' });
  await answer(third?.request_id as string, null);
  await watch();
  expect(await postOf(retried)).toMatchObject({ attempts: 3, outcome: 'gave_up', last_failure: 'no answer' });
  expect(await requestsFor(third?.alert_id as string)).toHaveLength(3);
  expect(warnings.some((w) => w.includes('was not delivered') && w.includes('after 3 attempts: no answer'))).toBe(true);
  expect(warnings.join('\n')).not.toContain('token'); // neither the address nor pg_net's error text
  expect(warnings.join('\n')).not.toContain('hooks.example.org');

  // Given up: never posted again.
  await watch();
  expect(await requestsFor(third?.alert_id as string)).toHaveLength(3);
  await silentFor(0);
});
