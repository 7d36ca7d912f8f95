// docs/deploy.md's "Pushed first?": a project migrated before it enabled pg_cron and pg_net gets every job by the
// step that page gives (sync_private.schedule_missing_jobs), read from the page itself, so that the page cannot drift
// from the migrations. Debian's PostgreSQL 15 with the real pg_cron; pg_net is a stand-in of its net.http_post.
// Skipped (with the reason) where pg_cron is not installed, except under CI, where it must run: .ci/run installs it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLocalCompat, MIGRATIONS_DIR, migrate } from '../../src/local/migrate.ts';
import {
  PG_NET_STAND_IN,
  pgCronUnavailableReason,
  type SystemPostgres,
  startSystemPostgres,
} from '../helpers/system-postgres.ts';

const unavailable = pgCronUnavailableReason();
const inCi = Boolean(process.env.CI);

it.runIf(unavailable !== null && inCi)('pg_cron is installed (required under CI: .ci/run installs it)', () => {
  throw new Error(`CI must run the pg_cron tests, but ${unavailable}`);
});

/** The page's "Pushed first?" step: the SQL block after those words. */
function pushedFirstSql(): string {
  const page = readFileSync(path.resolve(import.meta.dirname, '../../docs/deploy.md'), 'utf8');
  const start = page.indexOf('Pushed first?');
  const section = page.slice(start, page.indexOf('\n## ', start));
  return /```sql\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
}

/** Every function of the schemas the migrations write, with a digest of its definition. */
function functionDigests(sql: Sql) {
  return sql<{ name: string; digest: string }[]>`
    select p.oid::regprocedure::text as name, md5(pg_get_functiondef(p.oid)) as digest
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname in ('public', 'sync_private') and p.prokind in ('f', 'p')
    order by 1`;
}

describe.skipIf(unavailable !== null)(`pushed before pg_cron${unavailable ? ` (${unavailable})` : ''}`, () => {
  let server: SystemPostgres;
  let sql: Sql;

  beforeAll(async () => {
    server = await startSystemPostgres({
      preload: ['pg_cron'],
      settings: { 'cron.database_name': 'postgres', 'cron.host': '127.0.0.1' },
    });
    sql = postgres(server.url, { max: 2, onnotice: () => {}, connection: { TimeZone: 'UTC' } });
    await applyLocalCompat(sql);
    await migrate(sql); // neither pg_cron nor pg_net yet: the job migrations do nothing
  }, 90_000);

  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await server?.stop();
  });

  it("the page's step registers the four jobs, each with its command of today, and changes no function", async () => {
    await sql`create extension pg_cron`;
    await sql.unsafe(PG_NET_STAND_IN); // what enabling pg_net gives the job migrations: net.http_post
    expect(await sql`select jobname from cron.job`).toEqual([]);

    const functions = await functionDigests(sql);
    const step = pushedFirstSql();
    expect(step).toContain('schedule_missing_jobs');
    const registered = await sql.unsafe(step);
    expect(registered.map((row) => Object.values(row)[0]).sort()).toEqual([
      'archive-sync-run-log',
      'clean-cron-job-run-details',
      'sync-scheduler-tick',
      'watch-sync-scheduler',
    ]);
    // The step replaces no function: running old migration files again did (20261201008000's watchdog over
    // 20261202006000's).
    expect(await functionDigests(sql)).toEqual(functions);

    const jobs = await sql<{ jobname: string; command: string }[]>`
      select jobname, command from cron.job order by jobname`;
    expect(jobs.map((job) => job.jobname)).toEqual([
      'archive-sync-run-log',
      'clean-cron-job-run-details',
      'sync-scheduler-tick',
      'watch-sync-scheduler',
    ]);
    const [archival] = await sql<{ command: string }[]>`select sync_private.archive_run_log_job_command() as command`;
    expect(jobs.find((job) => job.jobname === 'archive-sync-run-log')?.command).toBe(archival?.command);
    expect(jobs.find((job) => job.jobname === 'watch-sync-scheduler')?.command).toContain('watch_scheduler_pulse()');
    expect(jobs.find((job) => job.jobname === 'sync-scheduler-tick')?.command).toContain('net.http_post');
    // The tick's and the cleaning's commands are those their migrations register: applied again, they change none.
    for (const file of [
      '20261201000100_schedule_scheduler_tick_with_apikey.sql',
      '20261201000110_schedule_cron_history_cleanup.sql',
    ]) {
      await sql.unsafe(readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8'));
    }
    expect(await sql`select jobname, command from cron.job order by jobname`).toEqual(jobs);
  });

  it('run again, it registers nothing and leaves a job an operator changed as it is', async () => {
    await sql`select cron.alter_job((select jobid from cron.job where jobname = 'archive-sync-run-log'), '15 2 * * *')`;
    const before = await sql`select jobname, schedule, command from cron.job order by jobname`;
    expect(await sql.unsafe(pushedFirstSql())).toHaveLength(0);
    expect(await sql`select jobname, schedule, command from cron.job order by jobname`).toEqual(before);
    await sql`select cron.unschedule('watch-sync-scheduler')`;
    expect((await sql.unsafe(pushedFirstSql())).map((row) => Object.values(row)[0])).toEqual(['watch-sync-scheduler']);
  });
});
