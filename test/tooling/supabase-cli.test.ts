// Supabase's own CLI accepts the project: `supabase db push` applies every migration to a Supabase-shaped
// PostgreSQL 15 (Debian's, with pg_cron preloaded and the roles Supabase has), records them where this project's
// runner looks (and the other way round), and `supabase db lint` (plpgsql_check) finds nothing in the project's
// schemas. Skipped (with the reason) where Debian's postgresql-15-cron or postgresql-15-plpgsql-check is missing,
// except under CI, where they must be: .ci/run installs them.

import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDatabase } from '../../src/local/embedded-db.ts';
import { applyLocalCompat, listMigrations, migrate } from '../../src/local/migrate.ts';
import { pgCronUnavailableReason, type SystemPostgres, startSystemPostgres } from '../helpers/system-postgres.ts';
import {
  cliDatabaseUrl,
  plpgsqlCheckUnavailableReason,
  type SupabaseWorkdir,
  supabaseWorkdir,
} from './supabase-cli.ts';

const inCi = Boolean(process.env.CI);
const noPgCron = pgCronUnavailableReason();
const noLint = noPgCron ?? plpgsqlCheckUnavailableReason();

if (noLint && !inCi) console.warn(`Supabase CLI tests skipped in part: ${noLint}`);

it.runIf(noLint !== null && inCi)(
  'PostgreSQL 15 with pg_cron and plpgsql_check is installed (required under CI: .ci/run installs it)',
  () => {
    throw new Error(`CI must run the Supabase CLI tests, but ${noLint}`);
  },
);

const UP_TO_DATE = 'Remote database is up to date.';

async function schemaNames(sql: Sql): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select nspname as name from pg_catalog.pg_namespace
    where nspname not like 'pg\\_%' and nspname <> 'information_schema' order by nspname`;
  return rows.map((row) => row.name);
}

async function historyColumns(sql: Sql): Promise<string[]> {
  const rows = await sql<{ line: string }[]>`
    select a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod) || case when a.attnotnull
      then ' not null' else '' end as line
    from pg_catalog.pg_attribute a
    where a.attrelid = 'supabase_migrations.schema_migrations'::regclass and a.attnum > 0 and not a.attisdropped
    order by a.attnum`;
  const [key] = await sql<{ def: string }[]>`
    select pg_catalog.pg_get_constraintdef(oid) as def from pg_catalog.pg_constraint
    where conrelid = 'supabase_migrations.schema_migrations'::regclass and contype = 'p'`;
  return [...rows.map((row) => row.line), `key ${key?.def}`];
}

describe.skipIf(noPgCron !== null)(
  `the Supabase CLI on a Supabase-shaped PostgreSQL 15${noPgCron ? ` (${noPgCron})` : ''}`,
  () => {
    let server: SystemPostgres | undefined;
    let sql: Sql;
    let cli: SupabaseWorkdir;
    let url: string;
    let schemasBefore: string[];

    beforeAll(async () => {
      server = await startSystemPostgres({ preload: ['pg_cron'], settings: { 'cron.database_name': 'postgres' } });
      url = cliDatabaseUrl(server.url);
      sql = postgres(server.url, { max: 2, onnotice: () => {}, connection: { TimeZone: 'UTC' } });
      await sql`create extension if not exists pg_cron`;
      await applyLocalCompat(sql); // what Supabase already has: the API roles and auth.jwt()
      schemasBefore = await schemaNames(sql);
      cli = supabaseWorkdir();
    }, 60_000);

    afterAll(async () => {
      await sql?.end({ timeout: 5 });
      await server?.stop();
      cli?.remove();
    });

    it('`supabase db push` applies every migration and records each version and name', async () => {
      const migrations = listMigrations();
      const pushed = await cli.run(['db', 'push', '--db-url', url, '--yes']);
      const output = pushed.stdout + pushed.stderr;
      expect(pushed.code, output).toBe(0);
      for (const migration of migrations) {
        expect(output).toContain(`Applying migration ${migration.version}_${migration.name}.sql`);
      }
      const recorded = await sql<{ version: string; name: string }[]>`
      select version, name from supabase_migrations.schema_migrations order by version`;
      expect(recorded).toEqual(migrations.map(({ version, name }) => ({ version, name })));
      const [archival] = await sql`select to_regprocedure('public.archive_run_log(interval, integer, text)') as f`;
      expect(archival?.f).not.toBeNull();
    }, 120_000);

    it('a second push finds the remote up to date, and the project runner (npm run db:migrate) finds nothing', async () => {
      const again = await cli.run(['db', 'push', '--db-url', url, '--yes']);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(again.stdout + again.stderr).toContain(UP_TO_DATE);
      expect(again.stdout + again.stderr).not.toContain('Applying migration');
      expect(await migrate(sql)).toEqual([]);
    }, 120_000);

    it('the project runner records migrations in the same table shape, and the CLI then finds nothing to push', async () => {
      await sql`create database runner_made`;
      const runner = postgres(withDatabase(server?.url as string, 'runner_made'), { max: 1, onnotice: () => {} });
      try {
        await applyLocalCompat(runner);
        expect(await migrate(runner)).toEqual(listMigrations().map((m) => m.version));
        expect(await historyColumns(runner)).toEqual(await historyColumns(sql));
        expect(await historyColumns(sql)).toEqual([
          'version text not null',
          'statements text[]',
          'name text',
          'key PRIMARY KEY (version)',
        ]);

        const pushed = await cli.run([
          'db',
          'push',
          '--db-url',
          cliDatabaseUrl(withDatabase(server?.url as string, 'runner_made')),
          '--yes',
        ]);
        expect(pushed.code, pushed.stdout + pushed.stderr).toBe(0);
        expect(pushed.stdout + pushed.stderr).toContain(UP_TO_DATE);
      } finally {
        await runner.end({ timeout: 5 });
        await sql`drop database if exists runner_made with (force)`;
      }
    }, 120_000);

    describe.skipIf(noLint !== null)(`supabase db lint${noLint ? ` (${noLint})` : ''}`, () => {
      /** The schemas the migrations created (the CLI's own history schema aside), and public. */
      async function projectSchemas(): Promise<string[]> {
        const created = (await schemaNames(sql)).filter(
          (name) => !schemasBefore.includes(name) && name !== 'supabase_migrations',
        );
        return ['public', ...created];
      }

      async function lint(schemas: string[]) {
        const result = await cli.run([
          'db',
          'lint',
          '--db-url',
          url,
          '--level',
          'warning',
          '--fail-on',
          'warning',
          '--schema',
          schemas.join(','),
        ]);
        const text = result.stdout.trim();
        const issues = text === '' ? [] : (JSON.parse(text) as { function: string; issues: { message: string }[] }[]);
        return { ...result, issues };
      }

      it("reports no warning in any of the project's schemas", async () => {
        const schemas = await projectSchemas();
        expect(schemas).toEqual(expect.arrayContaining(['public', 'sync_private']));
        const result = await lint(schemas);
        expect(result.issues).toEqual([]);
        expect(result.code, result.stderr).toBe(0);
        for (const schema of schemas) expect(result.stderr).toContain(`Linting schema: ${schema}`);
        expect(result.stderr).toContain('No schema errors found');
      }, 120_000);

      it('does report a function with an unused variable (the lint runs and can fail)', async () => {
        await sql`
        create function public.lint_probe() returns integer language plpgsql set search_path = '' as $$
        declare
          v_unused integer;
        begin
          return 1;
        end
        $$`;
        try {
          const result = await lint(['public']);
          expect(result.code).not.toBe(0);
          expect(result.issues).toEqual([
            {
              function: 'public.lint_probe',
              issues: [expect.objectContaining({ message: 'unused variable "v_unused"' })],
            },
          ]);
        } finally {
          await sql`drop function public.lint_probe()`;
        }
      }, 120_000);
    });
  },
);
