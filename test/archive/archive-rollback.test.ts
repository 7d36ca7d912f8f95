// The archival's migrations (20261128004100..004600) undo cleanly: rolled back newest first, the schema is exactly
// what it was without them; applied again, exactly what it was with them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyLocalCompat, listMigrations, ROLLBACKS_DIR } from '../../src/local/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { schemaSnapshot } from '../helpers/schema-snapshot.ts';

const MINE = (version: string) => version >= '20261128004100' && version < '20261128004700';

let db: TestDatabase | undefined;
afterEach(async () => {
  await db?.drop();
  db = undefined;
});

describe('the archival migrations', () => {
  it('roll back to the schema before them, and apply again to the same schema', async () => {
    db = await createTestDatabase({ template: null });
    const { sql } = db;
    await applyLocalCompat(sql);
    const all = listMigrations();
    const mine = all.filter((m) => MINE(m.version));
    expect(mine.map((m) => m.version)).toEqual([
      '20261128004100',
      '20261128004200',
      '20261128004300',
      '20261128004400',
      '20261128004500',
      '20261128004600',
    ]);
    for (const m of all.filter((m) => !MINE(m.version)))
      await sql.begin((tx) => tx.unsafe(readFileSync(m.file, 'utf8')));
    const before = await schemaSnapshot(sql);

    for (const m of mine) await sql.begin((tx) => tx.unsafe(readFileSync(m.file, 'utf8')));
    const withArchival = await schemaSnapshot(sql);
    expect(withArchival.some((line) => line.startsWith('relation public.sync_run_log_archive '))).toBe(true);
    expect(withArchival.some((line) => line.includes('PROCEDURE public.archive_run_log_in_batches'))).toBe(true);
    expect(withArchival.some((line) => line.includes('sync_run_log_started_at_idx'))).toBe(true);

    for (const m of [...mine].reverse()) {
      await sql.begin((tx) => tx.unsafe(readFileSync(path.join(ROLLBACKS_DIR, path.basename(m.file)), 'utf8')));
    }
    expect(await schemaSnapshot(sql)).toEqual(before);

    for (const m of mine) await sql.begin((tx) => tx.unsafe(readFileSync(m.file, 'utf8')));
    expect(await schemaSnapshot(sql)).toEqual(withArchival);
  });
});
