// The functions' pool (supabase/functions/_shared/database.ts): which URL wins, when the URL is a transaction
// pooler, the pool's settings, and, on the wire, what the pool does behind a pooler: one query at a time per
// connection and no named statements. A small TCP proxy between the pool and the test database counts them.
import { randomUUID } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectDatabase,
  DEFAULT_POOL_MAX,
  databaseUrl,
  IDLE_TIMEOUT_SECONDS,
  isTransactionPooler,
  poolOptions,
} from '../../supabase/functions/_shared/database.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startTlsPostgres, testCa } from '../helpers/tls-postgres.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  // What the TLS tests call through the pool: an answer proves the connection went through.
  await db.sql.unsafe(`create or replace function public.answer() returns int language sql as $$ select 42 $$;
    grant execute on function public.answer() to service_role`);
});
afterAll(async () => db?.drop());

describe('which database URL', () => {
  it('SYNC_DB_URL wins over SUPABASE_DB_URL, which wins over DATABASE_URL; blank is unset', () => {
    const all = { SYNC_DB_URL: 'postgres://s', SUPABASE_DB_URL: 'postgres://a', DATABASE_URL: 'postgres://b' };
    expect(databaseUrl(all)).toBe('postgres://s');
    expect(databaseUrl({ ...all, SYNC_DB_URL: ' ' })).toBe('postgres://a');
    expect(databaseUrl({ DATABASE_URL: 'postgres://b', SYNC_DB_URL: '' })).toBe('postgres://b');
    expect(() => databaseUrl({ SYNC_DB_URL: ' ' })).toThrow('SYNC_DB_URL, SUPABASE_DB_URL or DATABASE_URL must be set');
  });

  it('a transaction pooler: port 6543 in any URL shape, or DB_TRANSACTION_POOLER; a malformed switch is refused', () => {
    const pooled = (url: string, DB_TRANSACTION_POOLER?: string) =>
      isTransactionPooler({ SYNC_DB_URL: url, DB_TRANSACTION_POOLER });
    expect(pooled('postgres://postgres.ref:pw@aws-0-eu-west-1.pooler.supabase.com:6543/postgres')).toBe(true);
    expect(pooled('postgresql://u:p@pooler:6543?sslmode=require')).toBe(true); // no path: not `:6543/`
    expect(pooled('postgres://u:p@pooler:6543')).toBe(true);
    expect(pooled('postgres://u:p@h1:5432,h2:6543/db')).toBe(true);
    expect(pooled('postgres://postgres.ref:pw@aws-0-eu-west-1.pooler.supabase.com:5432/postgres')).toBe(false);
    expect(pooled('postgres://u:p@db.ref.supabase.co/postgres')).toBe(false);
    expect(pooled('postgres://u:a:6543@h:5432/db')).toBe(false); // a password is not a port
    expect(pooled('postgres://u:p@h:5432/db?application_name=x:6543/')).toBe(false);
    expect(pooled('postgres://u:p@h:5432/db', 'on')).toBe(true);
    expect(pooled('postgres://u:p@h:5432/db', ' ON ')).toBe(true);
    expect(pooled('postgres://u:p@h:6543/db', 'off')).toBe(false);
    expect(pooled('postgres://u:p@h:6543/db', '')).toBe(true);
    expect(() => pooled('postgres://u:p@h/db', 'yes')).toThrow(
      'DB_TRANSACTION_POOLER must be "on" or "off" (or unset), got "yes"',
    );
    expect(() => connectDatabase({ DATABASE_URL: db.url, DB_TRANSACTION_POOLER: 'true' })).toThrow(
      /DB_TRANSACTION_POOLER/,
    );
  });
});

describe('the pool settings', () => {
  it('direct: 3 connections, idle ones closed after 10 s, prepared statements, the statement timeout at startup', () => {
    const options = poolOptions({ DATABASE_URL: 'postgres://u:p@h:5432/db' });
    expect([DEFAULT_POOL_MAX, IDLE_TIMEOUT_SECONDS]).toEqual([3, 10]);
    expect(options).toMatchObject({ max: 3, idle_timeout: 10, prepare: true, connect_timeout: 10 });
    expect(options).not.toHaveProperty('max_pipeline'); // postgres.js's own: pipelining allowed
    expect(options).not.toHaveProperty('max_lifetime'); // postgres.js's own: 30-60 min
    expect(options.connection).toEqual({
      application_name: 'edge-function',
      TimeZone: 'UTC',
      statement_timeout: 10_000,
    });
  });

  it('behind a transaction pooler: no prepared statements, no pipelining, no startup statement_timeout', () => {
    const options = poolOptions({ SYNC_DB_URL: 'postgres://u:p@pooler:6543/postgres', DB_POOL_MAX: '5' });
    expect(options).toMatchObject({ url: 'postgres://u:p@pooler:6543/postgres', max: 5, prepare: false });
    expect(options.max_pipeline).toBe(0);
    expect(options.idle_timeout).toBe(10);
    expect(options.connection).toEqual({ application_name: 'edge-function', TimeZone: 'UTC' });
  });

  it('behind a transaction pooler the statement timeout travels with every call instead, and holds', async () => {
    await db.sql.unsafe(`create or replace function public.nap(p_seconds double precision) returns text language sql
      as $$ select pg_sleep(p_seconds)::text || current_setting('statement_timeout') $$;
      grant execute on function public.nap(double precision) to service_role`);
    const pooled = connectDatabase({
      DATABASE_URL: db.url,
      DB_TRANSACTION_POOLER: 'on',
      DB_STATEMENT_TIMEOUT_MS: '200',
    });
    try {
      expect((await pooled.asService().rpc('nap', { p_seconds: 0 })).data).toBe('200ms');
      expect((await pooled.asService().rpc('nap', { p_seconds: 2 })).error).toMatchObject({ code: '57014' });
    } finally {
      await pooled.end();
    }
  });

  it("TLS as libpq's default (prefer) unless the URL's own sslmode says otherwise, which postgres.js then reads", () => {
    expect(poolOptions({ DATABASE_URL: 'postgres://u:p@db.ref.supabase.co:5432/postgres' }).ssl).toBe('prefer');
    for (const url of [
      'postgres://u:p@h:5432/db?sslmode=disable',
      'postgres://u:p@h:5432/db?application_name=x&sslmode=verify-full',
      'postgres://u:p@h:6543?ssl=require',
      'postgres://u:p@h:5432/db?sslrootcert=system', // postgres.js's verify-full with the system's CAs
    ]) {
      expect(poolOptions({ DATABASE_URL: url })).not.toHaveProperty('ssl');
      expect(poolOptions({ DATABASE_URL: url, DB_SSL: 'disable' })).not.toHaveProperty('ssl');
    }
    // postgres.js reads these names as written: SSLMODE is no setting of its (it would go to the server).
    expect(poolOptions({ DATABASE_URL: 'postgres://u:p@h:5432/db?SSLMODE=disable' }).ssl).toBe('prefer');
  });

  it('DB_SSL sets TLS for a URL without sslmode (the one the platform gives): prefer, require, verify-full or disable', () => {
    const url = 'postgres://u:p@db.ref.supabase.co:5432/postgres';
    expect(poolOptions({ DATABASE_URL: url, DB_SSL: ' ' }).ssl).toBe('prefer');
    expect(poolOptions({ DATABASE_URL: url, DB_SSL: 'require' }).ssl).toBe('require');
    expect(poolOptions({ DATABASE_URL: url, DB_SSL: 'Disable' }).ssl).toBe(false);
    // verify-full without a CA: the runtime's own trusted CAs.
    expect(poolOptions({ DATABASE_URL: url, DB_SSL: 'verify-full' }).ssl).toEqual({ rejectUnauthorized: true });
    // An IPv4 address is named to TLS for the check (postgres.js names only host names); several hosts with an
    // address among them cannot be checked: refused. Several host names are checked each by its name.
    expect(poolOptions({ DATABASE_URL: 'postgres://u:p@10.0.0.5:5432/db', DB_SSL: 'verify-full' }).ssl).toEqual({
      rejectUnauthorized: true,
      host: '10.0.0.5',
    });
    expect(() =>
      poolOptions({ DATABASE_URL: 'postgres://u:p@10.0.0.5:5432,db2.example.org:5432/db', DB_SSL: 'verify-full' }),
    ).toThrow('a URL of several hosts cannot name for an IP address: use host names there');
    expect(
      poolOptions({ DATABASE_URL: 'postgres://u:p@db1.example.org,db2.example.org/db', DB_SSL: 'verify-full' }).ssl,
    ).toEqual({ rejectUnauthorized: true });
    expect(() => poolOptions({ DATABASE_URL: url, DB_SSL: 'verify-ca' })).toThrow(
      'DB_SSL must be "prefer", "require", "verify-full" or "disable" (or unset), got "verify-ca"',
    );
  });

  it("DB_SSL_CA: the CA the server's certificate must be signed by; alone it means verify-full, beside another mode it is refused", () => {
    const url = 'postgres://u:p@db.ref.supabase.co:5432/postgres';
    const ca = testCa('ca');
    const both = ca + testCa('other');
    expect(poolOptions({ DATABASE_URL: url, DB_SSL_CA: ca }).ssl).toEqual({ rejectUnauthorized: true, ca });
    expect(poolOptions({ DATABASE_URL: url, DB_SSL: 'verify-full', DB_SSL_CA: both }).ssl).toEqual({
      rejectUnauthorized: true,
      ca: both,
    });
    // Pasted on one line: line breaks written as \n, or lost, or Windows ones, are restored.
    for (const pasted of [ca.replaceAll('\n', '\\n'), ca.replaceAll('\n', ''), ca.replaceAll('\n', '\r\n')]) {
      expect(poolOptions({ DATABASE_URL: url, DB_SSL_CA: pasted }).ssl).toEqual({ rejectUnauthorized: true, ca });
    }
    expect(() => poolOptions({ DATABASE_URL: url, DB_SSL: 'require', DB_SSL_CA: ca })).toThrow(
      "DB_SSL_CA is used only to verify the server's certificate: unset it, or set DB_SSL=verify-full",
    );
    // Checked at start, and never echoed: a path instead of the file's text, something beside the certificates, a
    // certificate cut short.
    for (const [given, message] of [
      ['prod-ca-2021.crt', 'DB_SSL_CA must hold PEM certificates'],
      [`${ca}\nsecret=1`, 'DB_SSL_CA must hold PEM certificates'],
      [
        both.replace(/(-----BEGIN CERTIFICATE-----\n[^\n]+\n)[^\n]+\n/, '$1'),
        'DB_SSL_CA: certificate 1 of 2 is not readable',
      ],
    ]) {
      expect(() => poolOptions({ DATABASE_URL: url, DB_SSL_CA: given })).toThrow(message);
    }
    // A URL that says sslmode itself is postgres.js's to read: a CA beside it would go unused, whatever DB_SSL says.
    for (const DB_SSL of [undefined, 'require', 'verify-full']) {
      expect(() => poolOptions({ DATABASE_URL: `${url}?sslmode=verify-full`, DB_SSL, DB_SSL_CA: ca })).toThrow(
        'DB_SSL_CA applies to a database URL without sslmode',
      );
    }
  });

  it('over TLS where the server offers it, in plain text where it does not', async () => {
    const tls = await startTlsPostgres(db.url);
    const viaTls = connectDatabase({ DATABASE_URL: tls.url });
    const plain = connectDatabase({ DATABASE_URL: db.url });
    try {
      for (const pool of [viaTls, plain]) expect((await pool.asService().rpc('answer', {})).data).toBe(42);
      expect(tls.counts).toEqual({ tls: 1, plain: 0 });
      // DB_SSL=disable: in plain text even where the server offers TLS (the way out should a runtime's TLS fail).
      const refused = connectDatabase({ DATABASE_URL: tls.url, DB_SSL: 'disable' });
      try {
        expect((await refused.asService().rpc('answer', {})).data).toBe(42);
      } finally {
        await refused.end();
      }
      expect(tls.counts).toEqual({ tls: 1, plain: 1 });
    } finally {
      await Promise.all([viaTls.end(), plain.end()]);
      await tls.close();
    }
  });

  it("verify-full: connects to a server whose certificate DB_SSL_CA signed for the URL's host, and to no other", async () => {
    const tls = await startTlsPostgres(db.url);
    // A server on an address its certificate does not name (Linux answers on all of 127.0.0.0/8).
    const elsewhere = await startTlsPostgres(db.url, '127.0.0.2');
    const byName = new URL(tls.url);
    byName.hostname = 'localhost';
    const checked = [
      connectDatabase({ DATABASE_URL: tls.url, DB_SSL_CA: testCa('ca') }),
      connectDatabase({ DATABASE_URL: byName.toString(), DB_SSL: 'verify-full', DB_SSL_CA: testCa('ca') }),
    ];
    // Signed by a CA it was not told to trust; without DB_SSL_CA, by none the runtime trusts; for another host.
    const refused = [
      connectDatabase({ DATABASE_URL: tls.url, DB_SSL_CA: testCa('other') }),
      connectDatabase({ DATABASE_URL: tls.url, DB_SSL: 'verify-full' }),
      connectDatabase({ DATABASE_URL: elsewhere.url, DB_SSL_CA: testCa('ca') }),
    ];
    try {
      for (const pool of checked) expect((await pool.asService().rpc('answer', {})).data).toBe(42);
      for (const pool of refused)
        await expect(pool.asService().rpc('answer', {})).rejects.toThrow(/certificate|altnames/i);
      expect(tls.counts.plain + elsewhere.counts.plain).toBe(0);
    } finally {
      await Promise.all([...checked, ...refused].map((pool) => pool.end()));
      await Promise.all([tls.close(), elsewhere.close()]);
    }
  });

  it('DB_POOL_MAX stays 1-100', () => {
    expect(poolOptions({ DATABASE_URL: 'postgres://h/db', DB_POOL_MAX: '100' }).max).toBe(100);
    expect(poolOptions({ DATABASE_URL: 'postgres://h/db', DB_POOL_MAX: '1' }).max).toBe(1);
    expect(() => poolOptions({ DATABASE_URL: 'postgres://h/db', DB_POOL_MAX: '101' })).toThrow(
      'DB_POOL_MAX must be a whole number between 1 and 100, got "101"',
    );
  });
});

/** What a pool sent, per connection: the most queries awaiting their ReadyForQuery at once, named statements. */
interface WireCount {
  url: string;
  maxInFlight(): number;
  namedStatements(): string[];
  close(): Promise<void>;
}

/** A TCP proxy to the test database that reads the protocol's message frames in both directions as they pass. */
async function wireCount(target: URL): Promise<WireCount> {
  let maxInFlight = 0;
  const named = new Set<string>();
  const sockets = new Set<Socket>();
  // Frames: a type byte and a length (which counts itself); the client's first message (startup) has no type.
  const frames = (onFrame: (type: string, body: Buffer) => void, untypedFirst: boolean) => {
    let pending = Buffer.alloc(0);
    let first = untypedFirst;
    return (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const head = first ? 0 : 1;
        if (pending.length < head + 4) return;
        const size = head + pending.readInt32BE(head);
        if (pending.length < size) return;
        if (!first) onFrame(String.fromCharCode(pending[0] as number), pending.subarray(5, size));
        first = false;
        pending = pending.subarray(size);
      }
    };
  };
  const server: Server = createServer((client) => {
    const upstream = createConnection(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    let inFlight = 1; // the startup, answered by the first ReadyForQuery
    client.on(
      'data',
      frames((type, body) => {
        // A simple query and an extended-protocol Sync each end in one ReadyForQuery.
        if (type === 'Q' || type === 'S') maxInFlight = Math.max(maxInFlight, ++inFlight);
        if (type === 'P' && body[0] !== 0) named.add(body.subarray(0, body.indexOf(0)).toString('utf8'));
      }, true),
    );
    upstream.on(
      'data',
      frames((type) => {
        if (type === 'Z') inFlight -= 1;
      }, false),
    );
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(typeof address === 'object' && address ? address.port : 0);
  // Frames are read in plain text: no SSLRequest (the pool's default asks for TLS; its reply 'N' has no frame).
  url.searchParams.set('sslmode', 'disable');
  return {
    url: url.toString(),
    maxInFlight: () => maxInFlight,
    namedStatements: () => [...named],
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('on the wire', () => {
  /** 12 calls at once on one connection: get_run (a set) and get_last_run_per_integration, as the service role. */
  async function burst(env: Record<string, string>) {
    const proxy = await wireCount(new URL(db.url));
    const ports = connectDatabase({ ...env, SYNC_DB_URL: proxy.url, DATABASE_URL: db.url, DB_POOL_MAX: '1' });
    try {
      const service = ports.asService();
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          i % 2
            ? service.rpc('get_run', { p_run_id: randomUUID() })
            : service.rpc('get_last_run_per_integration', { p_org_id: randomUUID() }),
        ),
      );
      expect(results).toEqual(Array.from({ length: 12 }, () => ({ data: [], error: null })));
      return { maxInFlight: proxy.maxInFlight(), named: proxy.namedStatements() };
    } finally {
      await ports.end();
      await proxy.close();
    }
  }

  it('behind a transaction pooler the pool sends one query at a time per connection, and names no statement', async () => {
    expect(await burst({ DB_TRANSACTION_POOLER: 'on' })).toEqual({ maxInFlight: 1, named: [] });
  });

  it('on a direct connection the same calls are pipelined and the catalog lookup is prepared (the proxy sees both)', async () => {
    const direct = await burst({ DB_TRANSACTION_POOLER: 'off' });
    expect(direct.maxInFlight).toBeGreaterThan(1);
    expect(direct.named.length).toBeGreaterThan(0);
  });
});
