// The every-minute pg_cron job of migration 20261128002940. pg_net and Supabase Vault do not exist outside Supabase
// (Debian has no pg_net package), so this runs the job's command, taken from the migration file, against stand-ins
// for net.http_post and vault.decrypted_secrets: it must POST to the stored URL with the stored service role key.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/local/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

const MIGRATION = readFileSync(path.join(MIGRATIONS_DIR, '20261128002940_schedule_scheduler_tick.sql'), 'utf8');
const COMMAND = /\$job\$([\s\S]*?)\$job\$/.exec(MIGRATION)?.[1] ?? '';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe('pg_cron tick job', () => {
  it('registers nothing where pg_cron and pg_net are not installed (applying it again is harmless)', async () => {
    await db.sql.unsafe(MIGRATION);
    const [cron] = await db.sql`select to_regclass('cron.job') as job`;
    expect(cron?.job).toBeNull();
  });

  it("its command POSTs to the tick URL from Vault with the service role key from Vault, within pg_net's timeout", async () => {
    expect(COMMAND).toContain('net.http_post');
    await db.sql.unsafe(`
      create schema net;
      create table net.calls (url text, headers jsonb, body jsonb, timeout_milliseconds integer);
      create function net.http_post(url text, body jsonb default '{}', params jsonb default '{}',
                                    headers jsonb default '{}', timeout_milliseconds integer default 5000)
      returns bigint language sql as $$
        insert into net.calls values (url, headers, body, timeout_milliseconds) returning 1::bigint
      $$;
      create schema vault;
      create view vault.decrypted_secrets (name, decrypted_secret) as values
        ('sync_scheduler_tick_url', 'https://project.supabase.co/functions/v1/sync-scheduler/tick'),
        ('sync_scheduler_service_role_key', 'service-role-jwt');
    `);
    await db.sql.unsafe(COMMAND);
    const calls = await db.sql`select url, headers, body, timeout_milliseconds from net.calls`;
    expect(calls).toEqual([
      {
        url: 'https://project.supabase.co/functions/v1/sync-scheduler/tick',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer service-role-jwt' },
        body: {},
        timeout_milliseconds: 55000,
      },
    ]);
  });
});
