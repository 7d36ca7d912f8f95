// The function's way to the database: postgres.js over SYNC_DB_URL (a project's own setting, e.g. Supavisor's
// transaction pooler), SUPABASE_DB_URL (set by Supabase for every Edge Function) or DATABASE_URL (local), wrapped in
// the SQL rpc adapter, which runs each call as the caller's database role with the caller's claims, so RLS is
// enforced by PostgreSQL exactly as behind PostgREST. Pool sizes and the pooler: docs/edge-functions.md
// ("Connections on hosted Supabase"); what postgres.js does behind a transaction pooler: docs/decisions.md.
import postgres, { type Options, type PostgresType, type Sql } from 'postgres';
import type { Caller } from './auth.ts';
import { type Env, integerFromEnv } from './env.ts';
import type { RpcPort } from './rpc-port.ts';
import { createSqlRpc, type RequestContext } from './sql-rpc.ts';

export interface DatabaseEnv extends Env {
  /** Wins over the two below: the name a user may set on hosted Supabase, where SUPABASE_* names are reserved. */
  SYNC_DB_URL?: string;
  SUPABASE_DB_URL?: string;
  DATABASE_URL?: string;
  /** Connections per function instance: 1 to 100, default 3. */
  DB_POOL_MAX?: string;
  /** Milliseconds a statement may run: 100 to 600000, default 10000 (not sent behind a transaction pooler). */
  DB_STATEMENT_TIMEOUT_MS?: string;
  /** `on`: the URL is a transaction pooler; `off`: it is not; unset: it is when its port is 6543 (Supavisor's). */
  DB_TRANSACTION_POOLER?: string;
  /**
   * TLS where the URL has no sslmode: `prefer` (default: when the server offers it), `require`, `verify-full` (the
   * server's certificate checked, for its host name too), `disable`.
   */
  DB_SSL?: string;
  /** PEM of the CA that signs the database's certificate (a project's: Dashboard > Database settings); verify-full. */
  DB_SSL_CA?: string;
}

export interface DatabasePorts {
  /** Reads as the caller: authenticated with the user's verified claims (RLS applies), or the service role. */
  asCaller(caller: Caller): RpcPort;
  /** Writes with the function's own server-side credentials (the service role). */
  asService(): RpcPort;
  end(): Promise<void>;
}

export const SERVICE_CONTEXT: RequestContext = { role: 'service_role', claims: { role: 'service_role' } };

/** Connections per instance: hosted isolates are many and the smallest plan has 60 direct connections. */
export const DEFAULT_POOL_MAX = 3;
/** Seconds a connection may sit unused before it is closed and its server slot given back. */
export const IDLE_TIMEOUT_SECONDS = 10;
/** Supavisor's transaction-mode port. */
export const TRANSACTION_POOLER_PORT = '6543';

export function databaseUrl(env: DatabaseEnv): string {
  const url = env.SYNC_DB_URL?.trim() || env.SUPABASE_DB_URL?.trim() || env.DATABASE_URL?.trim();
  if (!url) throw new Error('SYNC_DB_URL, SUPABASE_DB_URL or DATABASE_URL must be set');
  return url;
}

/** A postgres URL's `host:port` entries (`host:port,host:port` included), without parsing its credentials. */
function urlHostPorts(url: string): string[] {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1] ?? '';
  return authority.slice(authority.lastIndexOf('@') + 1).split(',');
}

/** The ports of a postgres URL's hosts. */
function urlPorts(url: string): string[] {
  return urlHostPorts(url).map((host) => /:(\d+)$/.exec(host)?.[1] ?? '');
}

/** Whether the URL leads to a transaction pooler: DB_TRANSACTION_POOLER says so, or else the port is 6543. */
export function isTransactionPooler(env: DatabaseEnv, url = databaseUrl(env)): boolean {
  const raw = env.DB_TRANSACTION_POOLER?.trim().toLowerCase() ?? '';
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  if (raw !== '') {
    throw new Error(`DB_TRANSACTION_POOLER must be "on" or "off" (or unset), got "${env.DB_TRANSACTION_POOLER}"`);
  }
  return urlPorts(url).includes(TRANSACTION_POOLER_PORT);
}

/** Whether the URL says how to use TLS itself: `sslmode`, `ssl` or `sslrootcert` (names as postgres.js reads them). */
function urlSetsTls(url: string): boolean {
  const query = /\?([^#]*)/.exec(url)?.[1] ?? '';
  return query.split('&').some((pair) => /^(sslmode|ssl|sslrootcert)=/.test(pair));
}

/** Nothing: the URL's own sslmode is postgres.js's to read. A CA given beside it would go unused: refused. */
function urlTls(env: DatabaseEnv): Record<string, never> {
  if (env.DB_SSL_CA?.trim()) {
    throw new Error(
      'DB_SSL_CA applies to a database URL without sslmode: take sslmode (ssl, sslrootcert) out of the URL and set ' +
        'DB_SSL=verify-full',
    );
  }
  return {};
}

const DB_SSL_MODES = ['prefer', 'require', 'verify-full', 'disable'] as const;

/** The pool's `ssl` option for a URL without sslmode, from DB_SSL and DB_SSL_CA. */
type TlsOption = 'prefer' | 'require' | false | { rejectUnauthorized: true; ca?: string; host?: string };

/**
 * DB_SSL: how to use TLS where the URL does not say: `prefer` (default), `require`, `verify-full` or `disable`.
 * verify-full refuses a server whose certificate is not signed by DB_SSL_CA (or, without it, by a CA the runtime
 * trusts) or is not for the URL's host; DB_SSL_CA alone means verify-full.
 */
function tlsOption(env: DatabaseEnv, url: string): TlsOption {
  const raw = env.DB_SSL?.trim().toLowerCase() ?? '';
  const ca = env.DB_SSL_CA?.trim() ?? '';
  const mode = raw === '' ? (ca ? 'verify-full' : 'prefer') : DB_SSL_MODES.find((known) => known === raw);
  if (!mode) {
    throw new Error(`DB_SSL must be "prefer", "require", "verify-full" or "disable" (or unset), got "${env.DB_SSL}"`);
  }
  if (ca && mode !== 'verify-full') {
    throw new Error(`DB_SSL_CA is used only to verify the server's certificate: unset it, or set DB_SSL=verify-full`);
  }
  if (ca && !/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----$/.test(ca)) {
    throw new Error(
      'DB_SSL_CA must be a PEM certificate ("-----BEGIN CERTIFICATE-----" ... "-----END CERTIFICATE-----"), ' +
        "as the project's CA certificate file holds it",
    );
  }
  if (mode === 'verify-full') return { rejectUnauthorized: true, ...(ca ? { ca } : {}), ...ipHost(url) };
  return mode === 'disable' ? false : mode;
}

/**
 * The host to check the certificate against when the URL's one host is an IP address. postgres.js names a host to
 * TLS only when it is a name (SNI); for an address, Node would check the certificate against "localhost". A URL of
 * several hosts (failover) names none: use host names there.
 */
function ipHost(url: string): { host?: string } {
  const [only, ...more] = urlHostPorts(url);
  if (only === undefined || more.length > 0) return {};
  const host = only.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':') ? { host } : {};
}

/** postgres.js's options, with `max_pipeline` (queries written ahead per connection), which its types leave out. */
export type PoolOptions = Options<Record<string, PostgresType>> & { url: string; max_pipeline?: number };

/** DB_STATEMENT_TIMEOUT_MS: how long a statement of a function may run, 100 to 600000 ms, default 10000. */
function statementTimeoutMs(env: DatabaseEnv): number {
  return integerFromEnv(env, 'DB_STATEMENT_TIMEOUT_MS', 10_000, 100, 600_000);
}

/** The pool's postgres.js options. A malformed setting is refused here, at start. */
export function poolOptions(env: DatabaseEnv): PoolOptions {
  const url = databaseUrl(env);
  const max = integerFromEnv(env, 'DB_POOL_MAX', DEFAULT_POOL_MAX, 1, 100);
  const statementTimeout = statementTimeoutMs(env);
  const pooled = isTransactionPooler(env, url);
  const tls = tlsOption(env, url);
  return {
    url,
    max,
    // A transaction pooler lends a server connection per transaction: a statement prepared on one is unknown to
    // the next, and replies to queries written behind one another (postgres.js pipelines whenever every connection
    // is busy) can be lost or go astray when the pooler hands the server on at the first ReadyForQuery. So behind
    // a pooler: no named statements, and one query at a time per connection (docs/decisions.md).
    prepare: !pooled,
    ...(pooled ? { max_pipeline: 0 } : {}),
    // An idle isolate gives its connections back after 10 s: a burst's connections return soon after it, while
    // requests a few seconds apart still reuse one. max_lifetime stays postgres.js's 30-60 min: an isolate lives
    // at most 150 s (Free) or 400 s (paid), so it only recycles the local stack's long-lived connections.
    idle_timeout: IDLE_TIMEOUT_SECONDS,
    connect_timeout: 10,
    // TLS as libpq does by default (sslmode=prefer): encrypted whenever the server offers it, as a hosted project's
    // database does, plain only where the server has none (the local stack). postgres.js alone would not ask at all.
    // The URL's own sslmode wins; DB_SSL (and DB_SSL_CA) set it for a URL the platform gives, which has none.
    ...(urlSetsTls(url) ? urlTls(env) : { ssl: tls }),
    onnotice: () => {},
    // A hung query must not hang the request: PostgREST's roles carry a statement_timeout, a direct connection not.
    // A pooler cannot keep a setting per client: PgBouncer refuses the startup parameter, Supavisor drops it.
    connection: {
      application_name: 'edge-function',
      TimeZone: 'UTC',
      ...(pooled ? {} : { statement_timeout: statementTimeout }),
    },
  };
}

/** Opens a pool lazily (postgres.js connects on the first query). A malformed setting is refused here, at start. */
export function connectDatabase(env: DatabaseEnv): DatabasePorts {
  const { url, ...options } = poolOptions(env);
  // Behind a pooler the timeout travels with every call instead (transaction-local, gone when the call ends).
  const perCall = isTransactionPooler(env, url) ? statementTimeoutMs(env) : undefined;
  return sqlPorts(postgres(url, options), { statementTimeoutMs: perCall });
}

export function sqlPorts(sql: Sql, options: { statementTimeoutMs?: number } = {}): DatabasePorts {
  const extra = options.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: options.statementTimeoutMs };
  const service = createSqlRpc(sql, { ...SERVICE_CONTEXT, ...extra });
  return {
    asCaller: (caller) =>
      caller.kind === 'service'
        ? service
        : createSqlRpc(sql, { role: 'authenticated', claims: caller.claims, ...extra }),
    asService: () => service,
    end: () => sql.end({ timeout: 5 }),
  };
}
