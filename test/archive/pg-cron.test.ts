// The pg_cron path, for real: Debian's postgresql-15-cron on a throwaway system PostgreSQL 15. The migrations
// register the daily job; pg_cron itself then runs the same command and the old runs move. Skipped (with the
// reason) where pg_cron is not installed, except under CI, where it must run: .ci/run installs it.
// The one place a test waits on the wall clock: pg_cron fires on its own schedule (every minute in pg_cron 1.4,
// whose schedules have no seconds), so the test polls with a bounded deadline.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLocalCompat, migrate, ROLLBACKS_DIR } from '../../src/local/migrate.ts';
import { archiveIfDue } from '../../supabase/functions/_shared/archive/archive-due.ts';
import { PG_CRON_JOB_NAME } from '../../supabase/functions/_shared/archive/run-log-archive.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import { SERVICE } from '../helpers/db.ts';
import { pgCronUnavailableReason, type SystemPostgres, startSystemPostgres } from '../helpers/system-postgres.ts';
import { ORG_A, ORG_B, seedSeries } from './seed.ts';

const unavailable = pgCronUnavailableReason();
const inCi = Boolean(process.env.CI);
const SCHEDULE_MIGRATION = '20261128004600_schedule_run_log_archival.sql';

if (unavailable && !inCi) {
  console.warn(`pg_cron tests skipped: ${unavailable}`);
}

it.runIf(unavailable !== null && inCi)('pg_cron is installed (required under CI: .ci/run installs it)', () => {
  throw new Error(`CI must run the pg_cron tests, but ${unavailable}`);
});

describe.skipIf(unavailable !== null)(`pg_cron archival${unavailable ? ` (${unavailable})` : ''}`, () => {
  let server: SystemPostgres | undefined;
  let sql: Sql;

  beforeAll(async () => {
    server = await startSystemPostgres({
      preload: ['pg_cron'],
      settings: { 'cron.database_name': 'postgres', 'cron.host': '127.0.0.1' },
    });
    sql = postgres(server.url, { max: 5, onnotice: () => {}, connection: { TimeZone: 'UTC' } });
    await sql`create extension if not exists pg_cron`;
    await applyLocalCompat(sql);
    await migrate(sql);
  }, 60_000);

  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await server?.stop();
  });

  it('the migration registers the daily archival job once, and its rollback removes it', async () => {
    const jobs = () => sql`select schedule, command, active from cron.job where jobname = ${PG_CRON_JOB_NAME}`;
    expect(await jobs()).toEqual([
      {
        schedule: '30 3 * * *',
        command: `call public.archive_run_log_in_batches(interval '90 days', 1000, 'pg_cron')`,
        active: true,
      },
    ]);
    const migration = readFileSync(
      path.resolve(import.meta.dirname, '../../supabase/migrations', SCHEDULE_MIGRATION),
      'utf8',
    );
    await sql.begin((tx) => tx.unsafe(migration));
    expect(await jobs()).toHaveLength(1);

    const rollback = readFileSync(path.join(ROLLBACKS_DIR, SCHEDULE_MIGRATION), 'utf8');
    await sql.begin((tx) => tx.unsafe(rollback));
    expect(await jobs()).toHaveLength(0);
    await sql.begin((tx) => tx.unsafe(migration));
    expect(await jobs()).toHaveLength(1);
  });

  it('the local ticker stands aside where pg_cron archives', async () => {
    const outcome = await archiveIfDue(createSqlRpc(sql, SERVICE), new Date());
    expect(outcome).toMatchObject({ ran: false, reason: 'pg_cron_scheduled', lastRunAt: null });
  });

  it('pg_cron runs the archival command and the old runs move', async () => {
    await seedSeries(sql, ORG_A, 'xledger', 40, 200); // 39 movable, the newest stays
    await seedSeries(sql, ORG_B, 'dynamics', 21, 150); // 20 movable
    const [daily] = await sql<{ command: string }[]>`select command from cron.job where jobname = ${PG_CRON_JOB_NAME}`;
    const command = daily?.command as string;

    // The daily job's own command, on a schedule that comes soon: every 2 seconds where pg_cron supports
    // seconds (1.5+), else every minute.
    const testJob = `${PG_CRON_JOB_NAME}-now`;
    let everyMs = 2_000;
    try {
      await sql`select cron.schedule(${testJob}, '2 seconds', ${command})`;
    } catch {
      everyMs = 60_000;
      await sql`select cron.schedule(${testJob}, '* * * * *', ${command})`;
    }

    const deadline = Date.now() + everyMs + 30_000;
    let pass: { rows_moved: string } | undefined;
    let succeeded = false;
    while (Date.now() < deadline && !(pass && succeeded)) {
      [pass] = await sql<{ rows_moved: string }[]>`
        select rows_moved from sync_private.run_log_archival
        where source = 'pg_cron' and finished_at is not null order by id limit 1`;
      const [done] = await sql`
        select 1 from cron.job_run_details d join cron.job j using (jobid)
        where j.jobname = ${testJob} and d.status = 'succeeded' limit 1`;
      succeeded = done !== undefined;
      if (!(pass && succeeded)) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await sql`select cron.unschedule(${testJob})`;
    if (!pass || !succeeded) {
      throw new Error(
        `pg_cron did not run the archival within ${everyMs + 30_000} ms. Server output:\n${server?.output()}`,
      );
    }

    expect(Number(pass.rows_moved)).toBe(59);
    const [hot] = await sql`select count(*)::int as n from public.sync_run_log`;
    const [archived] = await sql`select count(*)::int as n from public.sync_run_log_archive`;
    expect([hot?.n, archived?.n]).toEqual([2, 59]);
  }, 120_000);
});
