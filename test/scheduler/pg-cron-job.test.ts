// The every-minute pg_cron job's command (migration 20261201000100), run in this file's database (no pg_cron here)
// against a stand-in for pg_net's net.http_post and the local Vault (supabase/local/vault_compat.sql): which URL,
// headers, body and timeout it hands to pg_net for each thing Vault may hold. test/scheduler/pg-cron-tick.test.ts
// runs the job as pg_cron stores it, on a PostgreSQL with pg_cron, and replays the request against the real function.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, ROLLBACKS_DIR } from '../../src/local/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

const TICK_MIGRATION = '20261201000100_schedule_scheduler_tick_with_apikey.sql';
const CLEANUP_MIGRATION = '20261201000110_schedule_cron_history_cleanup.sql';
const FIRST_TICK_MIGRATION = '20261128002940_schedule_scheduler_tick.sql';

const read = (dir: string, file: string) => readFileSync(path.join(dir, file), 'utf8');
const jobCommand = (sql: string) => /\$job\$([\s\S]*?)\$job\$/.exec(sql)?.[1] ?? '';

const MIGRATION = read(MIGRATIONS_DIR, TICK_MIGRATION);
const COMMAND = jobCommand(MIGRATION);
const TICK_URL = 'https://project.supabase.co/functions/v1/sync-scheduler/tick';
const SECRET_KEY = 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz';
const LEGACY_KEY = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJl';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe('registering the tick job', () => {
  it('registers nothing where pg_cron is not installed, even beside a net.http_post (applying it again is harmless)', async () => {
    const standIn = await createTestDatabase();
    try {
      await standIn.sql.unsafe(`
        create schema net;
        create function net.http_post(url text, body jsonb default '{}', params jsonb default '{}',
                                      headers jsonb default '{}', timeout_milliseconds integer default 5000)
        returns bigint language sql as $$ select 1::bigint $$;
      `);
      for (const file of [TICK_MIGRATION, CLEANUP_MIGRATION]) {
        await standIn.sql.begin((tx) => tx.unsafe(read(MIGRATIONS_DIR, file)));
        await standIn.sql.begin((tx) => tx.unsafe(read(MIGRATIONS_DIR, file)));
        await standIn.sql.begin((tx) => tx.unsafe(read(ROLLBACKS_DIR, file)));
      }
      const [cron] = await standIn.sql`select to_regclass('cron.job') as job`;
      expect(cron?.job).toBeNull();
    } finally {
      await standIn.drop();
    }
  });

  it("its rollback re-registers 20261128002940's command byte for byte where pg_net is installed", () => {
    const rollback = read(ROLLBACKS_DIR, TICK_MIGRATION);
    const previous = jobCommand(read(MIGRATIONS_DIR, FIRST_TICK_MIGRATION));
    expect(previous).toContain('timeout_milliseconds := 55000');
    expect(jobCommand(rollback)).toBe(previous);
  });
});

describe('the tick job command', () => {
  beforeAll(async () => {
    await db.sql.unsafe(`
      create schema net;
      create table net.calls (id bigserial primary key, url text, headers jsonb, body jsonb, timeout_milliseconds integer);
      create function net.http_post(url text, body jsonb default '{}', params jsonb default '{}',
                                    headers jsonb default '{"Content-Type": "application/json"}',
                                    timeout_milliseconds integer default 5000)
      returns bigint language sql as $$
        insert into net.calls (url, headers, body, timeout_milliseconds)
        values (url, headers, body, timeout_milliseconds) returning id
      $$;
    `);
  });

  beforeEach(async () => {
    await db.sql`truncate net.calls`;
    await db.sql`delete from vault.secrets`;
    await store({ sync_scheduler_tick_url: TICK_URL });
  });

  async function store(secrets: Record<string, string>): Promise<void> {
    for (const [name, value] of Object.entries(secrets)) await db.sql`select vault.create_secret(${value}, ${name})`;
  }

  /** Runs the command once; the one call it made. */
  async function runCommand() {
    await db.sql.unsafe(COMMAND);
    const calls = await db.sql`select url, headers, body, timeout_milliseconds from net.calls`;
    expect(calls).toHaveLength(1);
    return calls[0];
  }

  it('sends a secret key in the apikey header only (it is no JWT), with a 5 s timeout', async () => {
    await store({ sync_scheduler_secret_key: SECRET_KEY });
    expect(await runCommand()).toEqual({
      url: TICK_URL,
      headers: { 'Content-Type': 'application/json', apikey: SECRET_KEY },
      body: {},
      timeout_milliseconds: 5000,
    });
  });

  it('prefers the secret key to the legacy key name when Vault holds both', async () => {
    await store({ sync_scheduler_secret_key: SECRET_KEY, sync_scheduler_service_role_key: LEGACY_KEY });
    expect((await runCommand())?.headers).toEqual({ 'Content-Type': 'application/json', apikey: SECRET_KEY });
  });

  it('falls back to the legacy key name, and sends a JWT key as a bearer token too', async () => {
    await store({ sync_scheduler_service_role_key: LEGACY_KEY });
    expect((await runCommand())?.headers).toEqual({
      'Content-Type': 'application/json',
      apikey: LEGACY_KEY,
      Authorization: `Bearer ${LEGACY_KEY}`,
    });
  });

  it('a legacy service_role JWT stored under the new name goes out the same way', async () => {
    await store({ sync_scheduler_secret_key: LEGACY_KEY });
    expect((await runCommand())?.headers).toMatchObject({ apikey: LEGACY_KEY, Authorization: `Bearer ${LEGACY_KEY}` });
  });

  it('trims the whitespace a pasted key brings, and takes an empty new secret as absent', async () => {
    await store({ sync_scheduler_secret_key: ' \n', sync_scheduler_service_role_key: `${LEGACY_KEY}\n` });
    expect((await runCommand())?.headers).toMatchObject({ apikey: LEGACY_KEY });
    await db.sql`truncate net.calls`;
    await db.sql`select vault.update_secret(id, ${`${SECRET_KEY}\r\n`}) from vault.secrets
                 where name = 'sync_scheduler_secret_key'`;
    expect((await runCommand())?.headers).toEqual({ 'Content-Type': 'application/json', apikey: SECRET_KEY });
  });

  it('with no key in Vault the request carries none (the function answers 401), and the command does not fail', async () => {
    expect(await runCommand()).toEqual({
      url: TICK_URL,
      headers: { 'Content-Type': 'application/json' },
      body: {},
      timeout_milliseconds: 5000,
    });
  });
});
