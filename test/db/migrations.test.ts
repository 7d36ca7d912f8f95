// Migrations are idempotent (a file applied twice leaves the same schema), reversible (each rollback restores the
// schema as it was before), re-appliable after a rollback, and safe when two runners race.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  appliedVersions,
  applyLocalCompat,
  listMigrations,
  migrate,
  ROLLBACKS_DIR,
  rollback,
} from '../../src/local/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { schemaSnapshot } from '../helpers/schema-snapshot.ts';

let db: TestDatabase | undefined;
afterEach(async () => {
  await db?.drop();
  db = undefined;
});

async function emptyDatabase(): Promise<TestDatabase> {
  db = await createTestDatabase({ template: null });
  await applyLocalCompat(db.sql);
  return db;
}

describe('every migration file', () => {
  it('applied twice leaves the same schema, and its rollback restores the schema before it', async () => {
    const { sql } = await emptyDatabase();
    const migrations = listMigrations();
    expect(migrations.length).toBeGreaterThan(0);
    for (const migration of migrations) {
      const text = readFileSync(migration.file, 'utf8');
      const before = await schemaSnapshot(sql);
      await sql.begin((tx) => tx.unsafe(text));
      const once = await schemaSnapshot(sql);
      await sql.begin((tx) => tx.unsafe(text));
      expect(await schemaSnapshot(sql), `${migration.version} applied twice`).toEqual(once);

      const undo = readFileSync(path.join(ROLLBACKS_DIR, path.basename(migration.file)), 'utf8');
      await sql.begin((tx) => tx.unsafe(undo));
      expect(await schemaSnapshot(sql), `${migration.version} rolled back`).toEqual(before);
      await sql.begin((tx) => tx.unsafe(text)); // on to the next one
      expect(await schemaSnapshot(sql), `${migration.version} applied after its rollback`).toEqual(once);
    }
  });
});

describe('the migration runner', () => {
  it('applies everything once, records it, and a second run does nothing', async () => {
    const { sql } = await emptyDatabase();
    const all = listMigrations().map((m) => m.version);
    expect(await migrate(sql)).toEqual(all);
    const schema = await schemaSnapshot(sql);
    expect(await migrate(sql)).toEqual([]);
    expect(await schemaSnapshot(sql)).toEqual(schema);
    const recorded =
      await sql`select version, name, statements from supabase_migrations.schema_migrations order by version`;
    expect(recorded.map((r) => r.version)).toEqual(all);
    expect(recorded[0]?.statements).toHaveLength(1);
  });

  it('rolls back the newest, then all the way down to the schema before any migration, and applies again', async () => {
    const { sql } = await emptyDatabase();
    const pristine = await schemaSnapshot(sql);
    const all = listMigrations().map((m) => m.version);
    await migrate(sql);
    const migrated = await schemaSnapshot(sql);

    expect(await rollback(sql)).toEqual([all.at(-1)]);
    expect(await appliedVersions(sql)).toEqual(all.slice(0, -1));
    expect(await rollback(sql, { to: '0' })).toEqual(all.slice(0, -1).reverse());
    expect(await schemaSnapshot(sql)).toEqual(pristine);

    expect(await migrate(sql)).toEqual(all);
    expect(await schemaSnapshot(sql)).toEqual(migrated);
  });

  it('rolls back down to a given version', async () => {
    const { sql } = await emptyDatabase();
    const all = listMigrations().map((m) => m.version);
    await migrate(sql);
    const target = all[1] as string;
    await rollback(sql, { to: target });
    expect(await appliedVersions(sql)).toEqual(all.slice(0, 2));
  });

  it('refuses a malformed rollback target and changes nothing', async () => {
    const { sql } = await emptyDatabase();
    await migrate(sql);
    const schema = await schemaSnapshot(sql);
    await expect(rollback(sql, { to: 'latest; drop table x' })).rejects.toThrow(
      /rollback target must be a migration version/,
    );
    expect(await schemaSnapshot(sql)).toEqual(schema);
  });

  it('refuses a version that is no migration (a typo would undo all or nothing) and changes nothing', async () => {
    const { sql } = await emptyDatabase();
    await migrate(sql);
    const applied = await appliedVersions(sql);
    const typo = (applied[1] as string).slice(0, -1); // 13 digits: below every real version
    await expect(rollback(sql, { to: typo })).rejects.toThrow(`rollback target ${typo} is not a migration version`);
    await expect(rollback(sql, { to: '99999999999999' })).rejects.toThrow(/is not a migration version/);
    expect(await appliedVersions(sql)).toEqual(applied);
  });

  it('two runners racing apply each migration exactly once', async () => {
    const { sql } = await emptyDatabase();
    const [a, b] = await Promise.all([migrate(sql), migrate(sql)]);
    const all = listMigrations().map((m) => m.version);
    expect([...(a ?? []), ...(b ?? [])].sort()).toEqual(all);
    expect(await appliedVersions(sql)).toEqual(all);
  });

  it('a failing migration leaves nothing behind (its transaction rolls back)', async () => {
    const { sql } = await emptyDatabase();
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(path.join(tmpdir(), 'migrations-'));
    writeFileSync(
      path.join(dir, '20990101000000_create_half.sql'),
      'create table public.half_done (id int); select 1/0;',
    );
    await expect(migrate(sql, { dir })).rejects.toThrow(/division by zero/);
    const [row] = await sql`select to_regclass('public.half_done') as t`;
    expect(row?.t).toBeNull();
    expect(await appliedVersions(sql)).toEqual([]);
  });
});
