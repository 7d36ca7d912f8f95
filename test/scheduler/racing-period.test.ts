// Two tickers starting the same period at the same moment: the second waits for the schedule row, then is told
// duplicate_period with the first run's id (not already_running, which would promise a retry of a period that ran).
// And a period another ticker did start is not counted as missed by the run that ran instead.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { newOrg } from './helpers.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ max: 4 });
});
afterAll(() => db.drop());

it('the ticker that waited for the schedule row gets SR002 with the run the other one started', async () => {
  const org = newOrg();
  const period = '2026-11-28T10:00:00Z';
  const key = 'xledger:2026-11-28T10:00:00.000Z';
  await db.sql`select public.upsert_sync_schedule(${org}::uuid, 'xledger', '0 * * * *', 'UTC')`;
  const start = (sql: typeof db.sql) =>
    sql`select public.insert_run_log(${org}::uuid, 'xledger', 'scheduler', ${period}::timestamptz, ${key}) as id`;

  let second: Promise<unknown> = Promise.resolve();
  const [first] = await db.sql.begin(async (tx) => {
    const rows = await start(tx as unknown as typeof db.sql);
    second = start(db.sql).then(
      () => null,
      (error: { code?: string; detail?: string }) => error,
    );
    // Holding the schedule row: wait until the second insert is blocked on it, then commit.
    for (let i = 0; i < 200; i++) {
      const [waiting] = await db.sql`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and query like '%insert_run_log%'`;
      if ((waiting as { n: number }).n > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return rows;
  });

  const error = (await second) as { code?: string; detail?: string } | null;
  expect(error?.code).toBe('SR002');
  expect(error?.detail).toBe((first as { id: string }).id);
  const runs = await db.sql`select count(*)::int as n from public.sync_run_log where org_id = ${org}::uuid`;
  expect((runs[0] as { n: number }).n).toBe(1);
});

it('a listed period another ticker did start is neither listed nor counted as missed', async () => {
  const org = newOrg();
  await db.sql`select public.upsert_sync_schedule(${org}::uuid, 'xledger', '* * * * *', 'UTC')`;
  const start = (minute: string) =>
    db.sql`select public.insert_run_log(${org}::uuid, 'xledger', 'scheduler',
      ${`2026-11-28T10:${minute}:00Z`}::timestamptz, ${`xledger:2026-11-28T10:${minute}:00.000Z`}) as id`;
  const [other] = await start('01'); // the other ticker's run, finished
  await db.sql`select public.update_run_log_status(${(other as { id: string }).id}::uuid, 'completed', 1, 0, null)`;
  const [ran] = await start('02');
  const listed = ['2026-11-28T09:59:00Z', '2026-11-28T10:00:00Z', '2026-11-28T10:01:00Z'];
  const [alert] = await db.sql`
    select details from public.record_missed_periods(${(ran as { id: string }).id}::uuid, ${listed}::timestamptz[], 3)`;
  const details = (alert as { details: { missed_count: number; missed_periods: string[] } }).details;
  expect(details.missed_periods.map((p) => Date.parse(p))).toEqual(listed.slice(0, 2).map((p) => Date.parse(p)));
  expect(details.missed_count).toBe(2);
});
