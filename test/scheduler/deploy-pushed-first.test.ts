// docs/deploy.md's "Pushed first?": a project migrated before it enabled pg_cron and pg_net gets every job by the
// steps that page gives, read from the page itself (the files it names, then its SQL), so that the page cannot drift
// from the migrations. Debian's PostgreSQL 15 with the real pg_cron; pg_net is a stand-in of its net.http_post.
// Skipped (with the reason) where pg_cron is not installed, except under CI, where it must run: .ci/run installs it.
import { readdirSync, readFileSync } from 'node:fs';
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

/** The page's "Pushed first?" steps: the migration files it names (in its order) and the SQL block after them. */
function pushedFirstSteps(): { files: string[]; sql: string } {
  const page = readFileSync(path.resolve(import.meta.dirname, '../../docs/deploy.md'), 'utf8');
  const start = page.indexOf('Pushed first?');
  const section = page.slice(start, page.indexOf('\n## ', start));
  const migrations = readdirSync(MIGRATIONS_DIR);
  const files = [...section.matchAll(/`…_([a-z0-9_]+\.sql)`/g)].map(([, suffix]) => {
    const found = migrations.filter((file) => file.endsWith(`_${suffix}`));
    if (found.length !== 1) throw new Error(`docs/deploy.md names …_${suffix}: ${found.length} migrations match`);
    return found[0] as string;
  });
  const sql = /```sql\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return { files, sql };
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

  it("the page's steps register the four jobs, each with its command of today", async () => {
    await sql`create extension pg_cron`;
    await sql.unsafe(PG_NET_STAND_IN); // what enabling pg_net gives the job migrations: net.http_post
    expect(await sql`select jobname from cron.job`).toEqual([]);

    const steps = pushedFirstSteps();
    expect(steps.files.length).toBeGreaterThan(0);
    for (const file of steps.files) {
      await sql.begin((tx) => tx.unsafe(readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8')));
    }
    await sql.unsafe(steps.sql);

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
  });
});
