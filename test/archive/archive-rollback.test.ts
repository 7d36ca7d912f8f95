// The archival's migrations (20261128004100..004600, and 20261201000300..000320, which replace the procedure by the
// pg_cron job's do block) undo cleanly: rolled back newest first, with every migration after them, the schema is
// exactly what it was before them; applied again, exactly what it was with them. Later migrations may build on the
// archive, so they are applied in their order and undone with it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyLocalCompat, listMigrations, ROLLBACKS_DIR } from '../../src/local/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { schemaSnapshot } from '../helpers/schema-snapshot.ts';

const FIRST_ARCHIVAL = '20261128004100';
const ARCHIVAL = (version: string) =>
  (version >= FIRST_ARCHIVAL && version < '20261128004700') ||
  (version >= '20261201000300' && version < '20261201000400');

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
    expect(all.filter((m) => ARCHIVAL(m.version)).map((m) => m.version)).toEqual([
      '20261128004100',
      '20261128004200',
      '20261128004300',
      '20261128004400',
      '20261128004500',
      '20261128004600',
      '20261201000300',
      '20261201000310',
      '20261201000320',
    ]);
    const run = (file: string) => sql.begin((tx) => tx.unsafe(readFileSync(file, 'utf8')));
    const earlier = all.filter((m) => m.version < FIRST_ARCHIVAL);
    const rest = all.filter((m) => m.version >= FIRST_ARCHIVAL);
    for (const m of earlier) await run(m.file);
    const before = await schemaSnapshot(sql);

    for (const m of rest.filter((m) => m.version <= '20261128004600')) await run(m.file);
    const withProcedure = await schemaSnapshot(sql);
    expect(withProcedure.some((line) => line.startsWith('relation public.sync_run_log_archive '))).toBe(true);
    expect(withProcedure.some((line) => line.includes('PROCEDURE public.archive_run_log_in_batches'))).toBe(true);
    expect(withProcedure.some((line) => line.includes('sync_run_log_started_at_idx'))).toBe(true);

    for (const m of rest.filter((m) => m.version > '20261128004600')) await run(m.file);
    const withArchival = await schemaSnapshot(sql);
    expect(withArchival.some((line) => line.includes('PROCEDURE public.archive_run_log_in_batches'))).toBe(false);
    expect(withArchival.some((line) => line.includes('FUNCTION sync_private.archive_run_log_job_command('))).toBe(true);

    for (const m of [...rest].reverse()) await run(path.join(ROLLBACKS_DIR, path.basename(m.file)));
    expect(await schemaSnapshot(sql)).toEqual(before);

    for (const m of rest) await run(m.file);
    expect(await schemaSnapshot(sql)).toEqual(withArchival);
  });

  it('rolled back with runs in the archive, puts every one back into the run log, column for column', async () => {
    db = await createTestDatabase();
    const { sql } = db;
    const org = '7d1f4c9e-2b3a-4c5d-8e6f-708192a3b4c5';
    const run = (n: number, status: string) => ({
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      started: `2025-0${n}-01T10:00:00Z`,
      ended: `2025-0${n}-01T10:05:00Z`,
      status,
    });
    const runs = [run(1, 'completed'), run(2, 'failed'), run(3, 'cancelled')];
    for (const r of runs) {
      await sql`
        insert into public.sync_run_log_archive
          (id, org_id, integration_type, started_at, ended_at, status, records_processed, records_failed,
           error_message, triggered_by, scheduled_for, idempotency_key, heartbeat_at, duration_seconds)
        values (${r.id}, ${org}, 'xledger', ${r.started}, ${r.ended}, ${r.status}, 12, 1, ${`note ${r.id}`},
          'scheduler', ${r.started}, ${`xledger:${r.started}`}, ${r.ended}, 300)`;
    }
    // A schedule whose newest period is later than every archived one: its trigger would refuse them (SR007).
    await sql`select public.upsert_sync_schedule(${org}::uuid, 'xledger', '0 * * * *', 'UTC')`;
    await sql`update public.sync_schedules set last_scheduled_for = '2026-11-01T00:00:00Z' where org_id = ${org}`;
    const archived = await sql`
      select id, org_id, integration_type, started_at, ended_at, status, records_processed, records_failed,
        error_message, triggered_by, scheduled_for, idempotency_key, heartbeat_at, duration_seconds::float8 as duration_seconds
      from public.sync_run_log_archive order by id`;

    const all = listMigrations().filter((m) => m.version >= '20261128004100');
    for (const m of [...all].reverse()) {
      await sql.begin((tx) => tx.unsafe(readFileSync(path.join(ROLLBACKS_DIR, path.basename(m.file)), 'utf8')));
    }
    const back = await sql`
      select id, org_id, integration_type, started_at, ended_at, status, records_processed, records_failed,
        error_message, triggered_by, scheduled_for, idempotency_key, heartbeat_at, duration_seconds::float8 as duration_seconds
      from public.sync_run_log where org_id = ${org} order by id`;
    expect(back).toEqual(archived);
    const [triggers] = await sql`
      select count(*)::int as disabled from pg_trigger
      where tgrelid = 'public.sync_run_log'::regclass and not tgisinternal and tgenabled = 'D'`;
    expect((triggers as { disabled: number }).disabled).toBe(0);
  });
});
