// `npm run db:migrate` and `npm run db:rollback` as commands: their output and exit codes against DATABASE_URL,
// and a bad command or target refused with exit code 1 and nothing changed.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { appliedVersions, listMigrations } from '../../src/local/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

let db: TestDatabase | undefined;
afterAll(async () => db?.drop());

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/local/cli-migrate.ts', ...args],
      { env: { ...process.env, DATABASE_URL: db?.url } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

it('applies, reports an up-to-date schema, rolls back, and refuses bad commands without a change', async () => {
  db = await createTestDatabase({ template: null });
  const all = listMigrations().map((m) => m.version);

  const up = await cli('up');
  expect(up.code).toBe(0);
  expect(up.stdout).toContain(`${all.length} migration(s) applied`);
  expect(await appliedVersions(db.sql)).toEqual(all);
  expect((await cli('up')).stdout).toContain('nothing to apply: schema up to date');

  const down = await cli('down');
  expect(down.code).toBe(0);
  expect(down.stdout).toContain('1 migration(s) rolled back');
  expect(await appliedVersions(db.sql)).toEqual(all.slice(0, -1));

  const typo = await cli('down', '2026112800010');
  expect(typo.code).toBe(1);
  expect(typo.stderr).toContain('rollback target 2026112800010 is not a migration version');
  const usage = await cli('sideways');
  expect(usage.code).toBe(1);
  expect(usage.stderr).toContain('usage: cli-migrate.ts up | down [version]');
  expect(await appliedVersions(db.sql)).toEqual(all.slice(0, -1));

  const none = await cli('down', '0');
  expect(none.stdout).toContain(`${all.length - 1} migration(s) rolled back`);
  expect(await appliedVersions(db.sql)).toEqual([]);
}, 120_000);
