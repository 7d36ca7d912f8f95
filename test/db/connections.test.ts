// Connections on the real database: credentials go to Vault (locally supabase/local/vault_compat.sql) and nowhere
// else, only get_connection_credentials returns them, deleting a connection deletes its secret, and no error
// repeats them. Grants: only the service role writes or reads credentials.
import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAuthenticated, asRole, createTestDatabase, SERVICE, type TestDatabase, userClaims } from '../helpers/db.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const asService = <T>(fn: (tx: Sql) => Promise<T>) => asRole(db.sql, SERVICE, fn);

async function upsert(
  orgId: string,
  type: string,
  settings: unknown,
  credentials: unknown,
  enabled: boolean | null = null,
): Promise<Record<string, unknown>> {
  const [row] = await asService(
    (tx) => tx`select * from public.upsert_sync_connection(${orgId}, ${type},
      ${settings === null ? null : tx.json(settings as never)}::jsonb,
      ${credentials === null ? null : tx.json(credentials as never)}::jsonb, ${enabled})`,
  );
  return row as Record<string, unknown>;
}

async function credentialsOf(orgId: string, type: string): Promise<unknown> {
  const [row] = await asService((tx) => tx`select public.get_connection_credentials(${orgId}, ${type}) as c`);
  return row?.c;
}

/** The error a call fails with (code, message, detail, and everything else it carries), or undefined. */
async function failure(promise: Promise<unknown>): Promise<Record<string, unknown> | undefined> {
  try {
    await promise;
  } catch (error) {
    return { ...(error as object), message: (error as Error).message };
  }
  return undefined;
}

/** Every text, json and jsonb value of every table in public and sync_private, as one string each. */
async function everyStoredText(): Promise<string[]> {
  const columns = await db.sql<{ schema: string; table: string; column: string }[]>`
    select c.table_schema as schema, c.table_name as table, c.column_name as column
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema in ('public', 'sync_private') and t.table_type = 'BASE TABLE'
      and c.data_type in ('text', 'json', 'jsonb', 'character varying', 'ARRAY', 'bytea')`;
  expect(columns.length).toBeGreaterThan(10);
  const values: string[] = [];
  for (const { schema, table, column } of columns) {
    const rows = await db.sql.unsafe(
      `select "${column}"::text as v from "${schema}"."${table}" where "${column}" is not null`,
    );
    values.push(...rows.map((row) => String(row.v)));
  }
  return values;
}

describe('storing credentials', () => {
  it('keeps them in Vault only: returned by get_connection_credentials, in no public table, not in plain text in Vault', async () => {
    const orgId = randomUUID();
    const marker = `MARKER-${randomUUID()}`;
    const connection = await upsert(orgId, 'xledger', { company: 'acme' }, { apiToken: marker });
    expect(connection).toMatchObject({ org_id: orgId, integration_type: 'xledger', settings: { company: 'acme' } });
    expect(connection.enabled).toBe(true);
    expect(connection.credentials_set_at).toBeInstanceOf(Date);
    expect(Object.keys(connection)).not.toContain('credentials_secret_id');
    expect(JSON.stringify(connection)).not.toContain(marker);

    expect(await credentialsOf(orgId, 'xledger')).toEqual({ apiToken: marker });

    // The scan finds what is there: a control marker put in an alert's details is seen.
    const control = `CONTROL-${randomUUID()}`;
    await db.sql`insert into public.sync_alerts (org_id, kind, details) values (${orgId}, 'test', ${db.sql.json({ control })})`;
    const stored = await everyStoredText();
    expect(stored.filter((value) => value.includes(control))).toHaveLength(1);
    expect(stored.filter((value) => value.includes(marker))).toEqual([]);
    const [secret] = await db.sql`select s.secret, s.name from vault.secrets s
      join public.sync_connections c on c.credentials_secret_id = s.id where c.org_id = ${orgId}`;
    expect(secret?.name).toBe(`sync_connection:${orgId}:xledger`);
    expect(String(secret?.secret)).not.toContain(marker);
    expect(String(secret?.secret)).not.toContain(Buffer.from(marker).toString('base64').slice(0, 12));
  });

  it('replaces the credentials in the same secret, and keeps them when only settings or enabled change', async () => {
    const orgId = randomUUID();
    await upsert(orgId, 'dynamics', { environmentUrl: 'https://one' }, { clientId: 'a', clientSecret: 'first' });
    const [{ id: secretId }] = (await db.sql`select credentials_secret_id as id from public.sync_connections
      where org_id = ${orgId}`) as unknown as [{ id: string }];
    await upsert(orgId, 'dynamics', null, { clientId: 'a', clientSecret: 'second' });
    expect(await credentialsOf(orgId, 'dynamics')).toEqual({ clientId: 'a', clientSecret: 'second' });
    const changed = await upsert(orgId, 'dynamics', { environmentUrl: 'https://two' }, null, true);
    expect(changed.settings).toEqual({ environmentUrl: 'https://two' });
    expect(await credentialsOf(orgId, 'dynamics')).toEqual({ clientId: 'a', clientSecret: 'second' });
    const [after] =
      await db.sql`select credentials_secret_id as id from public.sync_connections where org_id = ${orgId}`;
    expect(after?.id).toBe(secretId);
    const [{ count }] = (await db.sql`select count(*)::int as count from vault.secrets
      where name = ${`sync_connection:${orgId}:dynamics`}`) as unknown as [{ count: number }];
    expect(count).toBe(1);
  });

  it('a new connection without credentials has none (credentials_set_at null) and is not configured', async () => {
    const orgId = randomUUID();
    const connection = await upsert(orgId, 'bufdir', { region: 'no' }, null);
    expect(connection.credentials_set_at).toBeNull();
    const error = await failure(credentialsOf(orgId, 'bufdir'));
    expect(error?.code).toBe('SR008');
  });

  it('a secret of the same name left behind is reused, not duplicated', async () => {
    const orgId = randomUUID();
    await upsert(orgId, 'xledger', {}, { apiToken: 'one' });
    await db.sql`delete from public.sync_connections where org_id = ${orgId}`; // by hand: the secret stays
    await upsert(orgId, 'xledger', {}, { apiToken: 'two' });
    expect(await credentialsOf(orgId, 'xledger')).toEqual({ apiToken: 'two' });
    const rows = await db.sql`select id from vault.secrets where name = ${`sync_connection:${orgId}:xledger`}`;
    expect(rows).toHaveLength(1);
  });

  it('concurrent upserts of one new connection leave one connection and one secret', async () => {
    const orgId = randomUUID();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => upsert(orgId, 'xledger', { n: i }, { apiToken: `token-${i}` })),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(await db.sql`select 1 from public.sync_connections where org_id = ${orgId}`).toHaveLength(1);
    expect(await db.sql`select 1 from vault.secrets where name = ${`sync_connection:${orgId}:xledger`}`).toHaveLength(
      1,
    );
    const { apiToken } = (await credentialsOf(orgId, 'xledger')) as { apiToken: string };
    expect(Array.from({ length: 8 }, (_, i) => `token-${i}`)).toContain(apiToken);
  });
});

describe('refusing bad input, without repeating the credentials', () => {
  const marker = `MARKER-${randomUUID()}`;
  const cases: Array<[string, unknown, unknown]> = [
    ['credentials that are an array', {}, [marker]],
    ['credentials that are a string', {}, marker],
    ['an empty credentials object', {}, {}],
    ['credentials over 16 KB', {}, { apiToken: marker.repeat(600) }],
    ['settings that are an array', [marker], { apiToken: marker }],
    ['settings over 16 KB', { blob: marker.repeat(600) }, { apiToken: marker }],
  ];
  for (const [name, settings, credentials] of cases) {
    it(`${name}: SR005, nothing stored`, async () => {
      const orgId = randomUUID();
      const error = await failure(upsert(orgId, 'xledger', settings, credentials));
      expect(error?.code).toBe('SR005');
      expect(JSON.stringify(error)).not.toContain(marker);
      expect(await db.sql`select 1 from public.sync_connections where org_id = ${orgId}`).toHaveLength(0);
      expect(await db.sql`select 1 from vault.secrets where name like ${`%${orgId}%`}`).toHaveLength(0);
    });
  }

  it('a malformed integration type or a missing org is SR005', async () => {
    expect((await failure(upsert(randomUUID(), 'Not Valid', {}, { apiToken: marker })))?.code).toBe('SR005');
    expect((await failure(upsert(null as unknown as string, 'xledger', {}, { apiToken: marker })))?.code).toBe('SR005');
  });

  it('credentials that cannot be read back are SR008 with a message that does not quote them', async () => {
    const orgId = randomUUID();
    await upsert(orgId, 'xledger', {}, { apiToken: 'fine' });
    await db.sql`select vault.update_secret(c.credentials_secret_id, ${`not json ${marker}`})
      from public.sync_connections c where c.org_id = ${orgId}`;
    const error = await failure(credentialsOf(orgId, 'xledger'));
    expect(error?.code).toBe('SR008');
    expect(JSON.stringify(error)).not.toContain(marker);
  });
});

describe('enabling, disabling and deleting', () => {
  it('a disabled connection has no credentials for the executor (SR008); enabled again, it has', async () => {
    const orgId = randomUUID();
    await upsert(orgId, 'xledger', {}, { apiToken: 't' });
    const [off] = await asService(
      (tx) => tx`select * from public.set_sync_connection_enabled(${orgId}, 'xledger', false)`,
    );
    expect(off?.enabled).toBe(false);
    expect((await failure(credentialsOf(orgId, 'xledger')))?.code).toBe('SR008');
    await asService((tx) => tx`select public.set_sync_connection_enabled(${orgId}, 'xledger', true)`);
    expect(await credentialsOf(orgId, 'xledger')).toEqual({ apiToken: 't' });
  });

  it('set_sync_connection_enabled without a connection is SR003; a null flag SR005', async () => {
    const orgId = randomUUID();
    expect(
      (await failure(asService((tx) => tx`select public.set_sync_connection_enabled(${orgId}, 'xledger', true)`)))
        ?.code,
    ).toBe('SR003');
    await upsert(orgId, 'xledger', {}, null);
    expect(
      (await failure(asService((tx) => tx`select public.set_sync_connection_enabled(${orgId}, 'xledger', null)`)))
        ?.code,
    ).toBe('SR005');
  });

  it('deleting a connection deletes its Vault secret; deleting again answers false', async () => {
    const orgId = randomUUID();
    await upsert(orgId, 'bufdir', {}, { apiKey: 'k' });
    const [{ id: secretId }] = (await db.sql`select credentials_secret_id as id from public.sync_connections
      where org_id = ${orgId}`) as unknown as [{ id: string }];
    expect(await db.sql`select 1 from vault.secrets where id = ${secretId}`).toHaveLength(1);
    const [first] = await asService((tx) => tx`select public.delete_sync_connection(${orgId}, 'bufdir') as deleted`);
    expect(first?.deleted).toBe(true);
    expect(await db.sql`select 1 from vault.secrets where id = ${secretId}`).toHaveLength(0);
    expect(await db.sql`select 1 from public.sync_connections where org_id = ${orgId}`).toHaveLength(0);
    const [second] = await asService((tx) => tx`select public.delete_sync_connection(${orgId}, 'bufdir') as deleted`);
    expect(second?.deleted).toBe(false);
    expect((await failure(credentialsOf(orgId, 'bufdir')))?.code).toBe('SR008');
  });

  it("deleting one org's connection leaves another org's secret alone", async () => {
    const [orgA, orgB] = [randomUUID(), randomUUID()];
    await upsert(orgA, 'xledger', {}, { apiToken: 'a' });
    await upsert(orgB, 'xledger', {}, { apiToken: 'b' });
    await asService((tx) => tx`select public.delete_sync_connection(${orgA}, 'xledger')`);
    expect(await credentialsOf(orgB, 'xledger')).toEqual({ apiToken: 'b' });
  });
});

describe('org isolation (RLS) of connections', () => {
  const [orgA, orgB] = [randomUUID(), randomUUID()];
  beforeAll(async () => {
    await upsert(orgA, 'xledger', { company: 'a' }, { apiToken: 'a' });
    await upsert(orgA, 'bufdir', {}, null);
    await upsert(orgB, 'xledger', { company: 'b' }, { apiToken: 'b' });
  });

  for (const role of ['coordinator', 'admin']) {
    it(`a ${role} of org A sees org A's connections only: by the view, the table's visible columns and the function`, async () => {
      const claims = userClaims(orgA, role);
      const view = await asAuthenticated(
        db.sql,
        claims,
        (tx) => tx`select org_id, integration_type from public.sync_connection_settings order by integration_type`,
      );
      expect(view).toEqual([
        { org_id: orgA, integration_type: 'bufdir' },
        { org_id: orgA, integration_type: 'xledger' },
      ]);
      const table = await asAuthenticated(
        db.sql,
        claims,
        (tx) => tx`select org_id, settings, enabled, credentials_set_at from public.sync_connections`,
      );
      expect(table.map((r) => r.org_id)).toEqual([orgA, orgA]);
      expect(
        await asAuthenticated(db.sql, claims, (tx) => tx`select * from public.get_sync_connections(${orgB})`),
      ).toEqual([]);
      expect(
        await asAuthenticated(
          db.sql,
          claims,
          (tx) => tx`select id from public.sync_connection_settings where org_id = ${orgB}`,
        ),
      ).toEqual([]);
      const mine = await asAuthenticated(
        db.sql,
        claims,
        (tx) => tx`select * from public.get_sync_connections(${orgA})`,
      );
      expect(mine.map((r) => r.integration_type)).toEqual(['bufdir', 'xledger']);
      expect(Object.keys(mine[0] ?? {})).not.toContain('credentials_secret_id');
    });
  }

  const blind: Array<[string, Record<string, unknown>]> = [
    ['a volunteer of org A', userClaims(orgA, 'volunteer')],
    ['no org claim', { role: 'authenticated', user_role: 'admin' }],
    ['a malformed org claim', { role: 'authenticated', org_id: 'nope', user_role: 'admin' }],
  ];
  for (const [name, claims] of blind) {
    it(`${name} sees no connection`, async () => {
      expect(await asAuthenticated(db.sql, claims, (tx) => tx`select id from public.sync_connection_settings`)).toEqual(
        [],
      );
      expect(
        await asAuthenticated(db.sql, claims, (tx) => tx`select * from public.get_sync_connections(${orgA})`),
      ).toEqual([]);
    });
  }
});

describe('who may do what', () => {
  const FUNCTIONS = {
    write: [
      'public.upsert_sync_connection(uuid, text, jsonb, jsonb, boolean)',
      'public.set_sync_connection_enabled(uuid, text, boolean)',
      'public.delete_sync_connection(uuid, text)',
      'public.get_connection_credentials(uuid, text)',
      'public.queue_manual_run(uuid, text)',
      'public.claim_pending_runs(integer, uuid)',
      'public.acknowledge_sync_alert(uuid, uuid, uuid, integer)',
    ],
    read: [
      'public.get_sync_connections(uuid)',
      'public.get_integrations_overview(uuid, text[])',
      'public.get_period_runs(uuid, text, timestamp with time zone, timestamp with time zone)',
      'public.get_sync_alerts_page(uuid, integer, timestamp with time zone, uuid)',
      'public.get_run_history_page(uuid, text, integer, text, text, timestamp with time zone, uuid)',
    ],
  };

  it('the write functions and the credentials read: service_role only; the reads: authenticated and service_role', async () => {
    for (const [kind, signatures] of Object.entries(FUNCTIONS)) {
      for (const signature of signatures) {
        const [row] = await db.sql`select
          has_function_privilege('anon', ${signature}, 'execute') as anon,
          has_function_privilege('authenticated', ${signature}, 'execute') as authenticated,
          has_function_privilege('service_role', ${signature}, 'execute') as service_role,
          has_function_privilege('public', ${signature}, 'execute') as public`;
        expect(row, signature).toEqual({
          anon: false,
          authenticated: kind === 'read',
          service_role: true,
          public: false,
        });
      }
    }
  });

  it('authenticated (an admin of the org) is refused the credentials and every write, by function and by table', async () => {
    const orgId = randomUUID();
    await upsert(orgId, 'xledger', {}, { apiToken: 'secret' });
    const claims = userClaims(orgId, 'admin');
    const calls = [
      (tx: Sql) => tx`select public.get_connection_credentials(${orgId}, 'xledger')`,
      (tx: Sql) => tx`select public.upsert_sync_connection(${orgId}, 'xledger', '{}', '{"apiToken":"x"}', true)`,
      (tx: Sql) => tx`select public.set_sync_connection_enabled(${orgId}, 'xledger', false)`,
      (tx: Sql) => tx`select public.delete_sync_connection(${orgId}, 'xledger')`,
      (tx: Sql) => tx`update public.sync_connections set enabled = false where org_id = ${orgId}`,
      (tx: Sql) => tx`delete from public.sync_connections where org_id = ${orgId}`,
      (tx: Sql) => tx`insert into public.sync_connections (org_id, integration_type) values (${orgId}, 'dynamics')`,
      (tx: Sql) => tx`select credentials_secret_id from public.sync_connections`,
      (tx: Sql) => tx`select * from public.sync_connections`,
      (tx: Sql) => tx`select * from vault.decrypted_secrets`,
      (tx: Sql) => tx`select * from vault.secrets`,
      (tx: Sql) => tx`select vault.create_secret('x', 'y')`,
    ];
    for (const call of calls) {
      expect((await failure(asAuthenticated(db.sql, claims, call)))?.code).toBe('42501');
    }
    expect(await credentialsOf(orgId, 'xledger')).toEqual({ apiToken: 'secret' });
  });

  it('anon can neither read connections nor reach Vault', async () => {
    const anon = { role: 'anon' as const, claims: { role: 'anon' } };
    for (const call of [
      (tx: Sql) => tx`select id from public.sync_connection_settings`,
      (tx: Sql) => tx`select id from public.sync_connections`,
      (tx: Sql) => tx`select * from vault.decrypted_secrets`,
    ]) {
      expect((await failure(asRole(db.sql, anon, call)))?.code).toBe('42501');
    }
  });

  it('the Vault stand-in is what Supabase grants: service_role reads and deletes secrets, calls create/update', async () => {
    const [row] = await db.sql`select
      has_table_privilege('service_role', 'vault.decrypted_secrets', 'select') as read,
      has_table_privilege('service_role', 'vault.secrets', 'delete') as delete,
      has_table_privilege('service_role', 'vault.secrets', 'insert') as insert,
      has_function_privilege('service_role', 'vault.create_secret(text, text, text, uuid)', 'execute') as create,
      has_function_privilege('authenticated', 'vault.create_secret(text, text, text, uuid)', 'execute') as user_create,
      has_table_privilege('service_role', 'vault.local_key', 'select') as key`;
    expect(row).toEqual({ read: true, delete: true, insert: false, create: true, user_create: false, key: false });
  });

  it('the connection functions pin search_path to empty', async () => {
    const rows = await db.sql`select p.proname, p.proconfig from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public' and p.proname in ('upsert_sync_connection', 'set_sync_connection_enabled',
        'delete_sync_connection', 'get_connection_credentials', 'get_sync_connections', 'queue_manual_run',
        'claim_pending_runs', 'acknowledge_sync_alert', 'get_sync_alerts_page', 'get_run_history_page',
        'get_period_runs', 'get_integrations_overview')`;
    expect(rows).toHaveLength(12);
    for (const row of rows) expect(row.proconfig, row.proname).toContain('search_path=""');
  });
});
