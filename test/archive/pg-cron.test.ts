// The pg_cron path, for real: Debian's postgresql-15-cron on throwaway system PostgreSQL 15 servers, one in pg_cron's
// default mode (each job over a libpq connection) and one with cron.use_background_workers = on. The migrations
// register the daily job as a `do` block that commits after every batch; pg_cron itself then runs that command and
// the old runs move, one transaction per batch. Skipped (with the reason) where pg_cron is not installed, except
// under CI, where it must run: .ci/run installs it.
// The one place a test waits on the wall clock: pg_cron fires on its own schedule (every minute in pg_cron 1.4,
// whose schedules have no seconds), so the test polls with a bounded deadline; both servers wait at once.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLocalCompat, MIGRATIONS_DIR, migrate, ROLLBACKS_DIR } from '../../src/local/migrate.ts';
import { archiveIfDue } from '../../supabase/functions/_shared/archive/archive-due.ts';
import { PG_CRON_JOB_NAME } from '../../supabase/functions/_shared/archive/run-log-archive.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import { SERVICE, sqlstate } from '../helpers/db.ts';
import { pgCronUnavailableReason, type SystemPostgres, startSystemPostgres } from '../helpers/system-postgres.ts';
import { ORG_A, ORG_B, seedSeries } from './seed.ts';

const unavailable = pgCronUnavailableReason();
const inCi = Boolean(process.env.CI);
/** The archival job's migrations, oldest first: it is registered, then made a `do` block, then the procedure goes. */
const JOB_MIGRATIONS = [
  '20261128004600_schedule_run_log_archival.sql',
  '20261201000300_create_run_log_archival_job_command.sql',
  '20261201000310_schedule_run_log_archival_as_do_block.sql',
  '20261201000320_drop_archive_run_log_in_batches.sql',
];
const MODES = [
  { name: 'libpq connections (the default)', settings: {} },
  { name: 'background workers', settings: { 'cron.use_background_workers': 'on' } },
] as const;

if (unavailable && !inCi) {
  console.warn(`pg_cron tests skipped: ${unavailable}`);
}

it.runIf(unavailable !== null && inCi)('pg_cron is installed (required under CI: .ci/run installs it)', () => {
  throw new Error(`CI must run the pg_cron tests, but ${unavailable}`);
});

const apply = (sql: Sql, file: string) =>
  sql.begin((tx) => tx.unsafe(readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8')));
const undo = (sql: Sql, file: string) =>
  sql.begin((tx) => tx.unsafe(readFileSync(path.join(ROLLBACKS_DIR, file), 'utf8')));

describe.skipIf(unavailable !== null)(`pg_cron archival${unavailable ? ` (${unavailable})` : ''}`, () => {
  const servers: { mode: (typeof MODES)[number]; server: SystemPostgres; sql: Sql }[] = [];
  const libpq = () => servers[0]?.sql as Sql;

  beforeAll(async () => {
    await Promise.all(
      MODES.map(async (mode, i) => {
        const server = await startSystemPostgres({
          preload: ['pg_cron'],
          settings: { 'cron.database_name': 'postgres', 'cron.host': '127.0.0.1', ...mode.settings },
        });
        const sql = postgres(server.url, { max: 5, onnotice: () => {}, connection: { TimeZone: 'UTC' } });
        servers[i] = { mode, server, sql };
        await sql`create extension if not exists pg_cron`;
        await applyLocalCompat(sql);
        await migrate(sql);
      }),
    );
  }, 90_000);

  afterAll(async () => {
    await Promise.all(
      servers.map(async ({ server, sql }) => {
        await sql.end({ timeout: 5 });
        await server.stop();
      }),
    );
  });

  const jobs = () => libpq()`select schedule, command, active from cron.job where jobname = ${PG_CRON_JOB_NAME}`;
  const command = async (retention = '90 days', batchSize = 1000) => {
    const [row] = await libpq()<{ command: string }[]>`
      select sync_private.archive_run_log_job_command(${retention}::interval, ${batchSize}) as command`;
    return row?.command as string;
  };
  const procedureExists = async () => {
    const [row] =
      await libpq()`select to_regprocedure('public.archive_run_log_in_batches(interval, integer, text, bigint)') is not null as found`;
    return row?.found as boolean;
  };

  it('the migrations register the daily job once, as the do block; the procedure is gone', async () => {
    const daily = await command();
    expect(daily).toMatch(/^do \$archival\$/);
    expect(daily).not.toContain('archive_run_log_in_batches');
    expect(await jobs()).toEqual([{ schedule: '30 3 * * *', command: daily, active: true }]);
    expect(await procedureExists()).toBe(false);

    for (const file of JOB_MIGRATIONS) await apply(libpq(), file); // again: nothing changes
    expect(await jobs()).toEqual([{ schedule: '30 3 * * *', command: daily, active: true }]);
  });

  it('rolled back, the job calls the procedure again with its own arguments, schedule and flag; and forward again', async () => {
    const sql = libpq();
    // An operator's job: another hour, retention and batch size, switched off.
    await sql`select cron.schedule(${PG_CRON_JOB_NAME}, '15 2 * * *', ${await command('180 days', 500)})`;
    await sql`select cron.alter_job(jobid, active => false) from cron.job where jobname = ${PG_CRON_JOB_NAME}`;

    for (const file of [...JOB_MIGRATIONS].reverse().slice(0, 3)) await undo(sql, file);
    expect(await jobs()).toEqual([
      {
        schedule: '15 2 * * *',
        command: `call public.archive_run_log_in_batches(interval '180 days', 500, 'pg_cron')`,
        active: false,
      },
    ]);
    expect(await procedureExists()).toBe(true);

    for (const file of JOB_MIGRATIONS.slice(1)) await apply(sql, file);
    expect(await jobs()).toEqual([{ schedule: '15 2 * * *', command: await command('180 days', 500), active: false }]);
    expect(await procedureExists()).toBe(false);

    // All the way back: 004600's rollback removes the job, and the migrations register the default one again.
    for (const file of [...JOB_MIGRATIONS].reverse()) await undo(sql, file);
    expect(await jobs()).toEqual([]);
    for (const file of JOB_MIGRATIONS) await apply(sql, file);
    expect(await jobs()).toEqual([{ schedule: '30 3 * * *', command: await command(), active: true }]);
  });

  it('a job command of another shape stops the migration instead of being guessed at', async () => {
    const sql = libpq();
    const [job] = await sql<{ jobid: number }[]>`select jobid from cron.job where jobname = ${PG_CRON_JOB_NAME}`;
    const jobid = job?.jobid as number;
    await sql`select cron.alter_job(${jobid}, command => 'select 1')`;
    try {
      expect(await sqlstate(apply(sql, JOB_MIGRATIONS[2] as string))).toBe('SR005');
      expect(await sqlstate(undo(sql, JOB_MIGRATIONS[2] as string))).toBe('SR005');
      expect((await jobs())[0]?.command).toBe('select 1');
    } finally {
      await sql`select cron.alter_job(${jobid}, command => ${await command()})`;
    }
  });

  it('the local ticker stands aside where pg_cron archives', async () => {
    const outcome = await archiveIfDue(createSqlRpc(libpq(), SERVICE), new Date());
    expect(outcome).toMatchObject({ ran: false, reason: 'pg_cron_scheduled', lastRunAt: null });
  });

  it.concurrent.each(MODES.map((mode, i) => ({ ...mode, i })))(
    'pg_cron runs the daily command with $name: the old runs move, a commit after every batch',
    async ({ i }) => {
      const { sql, server } = servers[i] as (typeof servers)[number];
      const [setting] = await sql`select current_setting('cron.use_background_workers') as on`;
      expect(setting?.on).toBe(i === 0 ? 'off' : 'on');
      await seedSeries(sql, ORG_A, 'xledger', 2001, 200, 60); // hourly, 200 to 117 days ago: 2,000 movable
      await seedSeries(sql, ORG_B, 'dynamics', 21, 150); // 20 movable
      // The daily job is switched off meanwhile, so its own 03:30 run cannot race the test's.
      const [daily] = await sql<{ jobid: number; command: string }[]>`
        select jobid, command from cron.job where jobname = ${PG_CRON_JOB_NAME}`;
      await sql`select cron.alter_job(${daily?.jobid as number}, active => false)`;

      // The daily job's own command, on a schedule that comes soon: every 2 seconds where pg_cron supports
      // seconds (1.5+), else every minute.
      const testJob = `${PG_CRON_JOB_NAME}-now`;
      let everyMs = 2_000;
      try {
        await sql`select cron.schedule(${testJob}, '2 seconds', ${daily?.command as string})`;
      } catch {
        everyMs = 60_000;
        await sql`select cron.schedule(${testJob}, '* * * * *', ${daily?.command as string})`;
      }

      const deadline = Date.now() + everyMs + 30_000;
      let pass: { rows_moved: string; batches: number } | undefined;
      let run: { status: string; return_message: string } | undefined;
      while (Date.now() < deadline && !(pass && run)) {
        [pass] = await sql<{ rows_moved: string; batches: number }[]>`
          select rows_moved, batches from sync_private.run_log_archival
          where source = 'pg_cron' and finished_at is not null order by id limit 1`;
        [run] = await sql<{ status: string; return_message: string }[]>`
          select d.status, d.return_message from cron.job_run_details d join cron.job j using (jobid)
          where j.jobname = ${testJob} and d.status in ('succeeded', 'failed') order by d.runid limit 1`;
        if (!(pass && run)) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      await sql`select cron.unschedule(${testJob})`;
      await sql`select cron.alter_job(${daily?.jobid as number}, active => true)`;
      if (!pass || !run) {
        throw new Error(
          `pg_cron did not run the archival within ${everyMs + 30_000} ms (${JSON.stringify(run)}). Server output:\n${server.output()}`,
        );
      }

      expect(run).toEqual({ status: 'succeeded', return_message: expect.stringMatching(/^DO/) });
      expect([Number(pass.rows_moved), pass.batches]).toEqual([2020, 3]); // 1,000 + 1,000 + 20
      const [hot] = await sql`select count(*)::int as n from public.sync_run_log`;
      const [archived] = await sql`
        select count(*)::int as n, count(distinct xmin::text)::int as transactions from public.sync_run_log_archive`;
      expect([hot?.n, archived?.n]).toEqual([2, 2020]);
      // Each batch was its own transaction: the archived rows were written by three.
      expect(archived?.transactions).toBe(3);
    },
    150_000,
  );
});
