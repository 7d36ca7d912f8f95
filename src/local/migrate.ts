// The migration runner: plain SQL files from supabase/migrations, applied in order, each in its own transaction
// and recorded in supabase_migrations.schema_migrations as the Supabase CLI records them. An advisory lock taken in
// every transaction makes concurrent runners harmless: the second one finds the version recorded and skips it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Sql } from 'postgres';

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../supabase/migrations');
export const ROLLBACKS_DIR = path.resolve(import.meta.dirname, '../../supabase/rollbacks');
export const LOCAL_COMPAT_SQL = path.resolve(import.meta.dirname, '../../supabase/local/supabase_compat.sql');

const LOCK_KEY = 7_261_128; // any constant shared by every runner of this project
const FILE_NAME = /^(\d{14})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  version: string;
  name: string;
  file: string;
}

export interface MigrateOptions {
  dir?: string;
  log?: (line: string) => void;
}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = FILE_NAME.exec(file);
      if (!match) throw new Error(`migration file name ${file} is not <14-digit UTC timestamp>_<snake_name>.sql`);
      return { version: match[1] as string, name: match[2] as string, file: path.join(dir, file) };
    })
    .sort((a, b) => a.version.localeCompare(b.version));
}

/**
 * What a plain PostgreSQL lacks and Supabase has (roles, auth schema, and a local stand-in for Vault in
 * supabase/local/vault_compat.sql). A no-op on Supabase.
 */
export async function applyLocalCompat(sql: Sql): Promise<void> {
  const vaultCompatSql = path.resolve(path.dirname(LOCAL_COMPAT_SQL), 'vault_compat.sql');
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
    await tx.unsafe(readFileSync(LOCAL_COMPAT_SQL, 'utf8'));
    await tx.unsafe(readFileSync(vaultCompatSql, 'utf8'));
  });
}

async function ensureHistoryTable(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
    await tx.unsafe(`
      create schema if not exists supabase_migrations;
      create table if not exists supabase_migrations.schema_migrations (
        version text primary key,
        statements text[],
        name text
      );`);
  });
}

export async function appliedVersions(sql: Sql): Promise<string[]> {
  await ensureHistoryTable(sql);
  const rows = await sql<
    { version: string }[]
  >`select version from supabase_migrations.schema_migrations order by version`;
  return rows.map((row) => row.version);
}

/** Applies every pending migration; returns the versions it applied. */
export async function migrate(
  sql: Sql,
  { dir = MIGRATIONS_DIR, log = () => {} }: MigrateOptions = {},
): Promise<string[]> {
  await ensureHistoryTable(sql);
  const applied: string[] = [];
  for (const migration of listMigrations(dir)) {
    const text = readFileSync(migration.file, 'utf8');
    const done = await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
      const [recorded] =
        await tx`select 1 from supabase_migrations.schema_migrations where version = ${migration.version}`;
      if (recorded) return false;
      await tx.unsafe(text);
      await tx`insert into supabase_migrations.schema_migrations (version, name, statements)
               values (${migration.version}, ${migration.name}, ${[text]})`;
      return true;
    });
    if (done) {
      applied.push(migration.version);
      log(`applied ${migration.version}_${migration.name}`);
    }
  }
  return applied;
}

/**
 * Undoes applied migrations, newest first, with the file of the same name in supabase/rollbacks:
 * only the newest one, or every one newer than `to` (`to: '0'` undoes all).
 */
export async function rollback(
  sql: Sql,
  {
    to,
    dir = MIGRATIONS_DIR,
    rollbacksDir = ROLLBACKS_DIR,
    log = () => {},
  }: MigrateOptions & { to?: string; rollbacksDir?: string } = {},
): Promise<string[]> {
  if (to !== undefined && !/^\d{1,14}$/.test(to))
    throw new Error(`rollback target must be a migration version (digits), got "${to}"`);
  const known = new Map(listMigrations(dir).map((m) => [m.version, m]));
  // A mistyped version would otherwise compare below or above real ones and undo all or nothing.
  if (to !== undefined && to !== '0' && !known.has(to))
    throw new Error(`rollback target ${to} is not a migration version in ${dir} (0 undoes all)`);
  const versions = (await appliedVersions(sql)).reverse();
  const targets = to === undefined ? versions.slice(0, 1) : versions.filter((v) => v > to);
  const undone: string[] = [];
  for (const version of targets) {
    const migration = known.get(version);
    if (!migration) throw new Error(`applied migration ${version} has no file in ${dir}: cannot find its rollback`);
    const file = path.join(rollbacksDir, path.basename(migration.file));
    if (!existsSync(file)) throw new Error(`no rollback for ${path.basename(migration.file)} (expected ${file})`);
    const text = readFileSync(file, 'utf8');
    await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
      const [recorded] = await tx`select 1 from supabase_migrations.schema_migrations where version = ${version}`;
      if (!recorded) return;
      await tx.unsafe(text);
      await tx`delete from supabase_migrations.schema_migrations where version = ${version}`;
    });
    undone.push(version);
    log(`rolled back ${version}_${migration.name}`);
  }
  return undone;
}
