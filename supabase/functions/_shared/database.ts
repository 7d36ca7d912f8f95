// The function's way to the database: postgres.js over SYNC_DB_URL (a project's own setting, e.g. Supavisor's
// transaction pooler), SUPABASE_DB_URL (set by Supabase for every Edge Function) or DATABASE_URL (local), wrapped in
// the SQL rpc adapter, which runs each call as the caller's database role with the caller's claims, so RLS is
// enforced by PostgreSQL exactly as behind PostgREST. Pool sizes and the pooler: docs/edge-functions.md
// ("Connections on hosted Supabase"); what postgres.js does behind a transaction pooler: docs/decisions.md.
import { X509Certificate } from 'node:crypto';
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

const DB_SSL_MODES = ['prefer', 'require', 'verify-full', 'disable'] as const;

/** The pool's `ssl` option for a URL without sslmode, from DB_SSL and DB_SSL_CA. */
type TlsOption = 'prefer' | 'require' | false | { rejectUnauthorized: true; ca?: string; host?: string };

/**
 * DB_SSL: how to use TLS where the URL does not say: `prefer` (default), `require`, `verify-full` or `disable`.
 * verify-full refuses a server whose certificate is not signed by DB_SSL_CA (or, without it, by a CA the runtime
 * trusts) or is not for the URL's host; DB_SSL_CA alone means verify-full. Nothing where the URL says sslmode itself:
 * postgres.js reads it as written, and a DB_SSL_CA beside it, which would go unused, is refused.
 */
function tlsOptions(env: DatabaseEnv, url: string): { ssl?: TlsOption } {
  const raw = env.DB_SSL?.trim().toLowerCase() ?? '';
  const given = raw === '' ? undefined : DB_SSL_MODES.find((known) => known === raw);
  if (raw !== '' && !given) {
    throw new Error(`DB_SSL must be "prefer", "require", "verify-full" or "disable" (or unset), got "${env.DB_SSL}"`);
  }
  const hasCa = Boolean(env.DB_SSL_CA?.trim());
  if (urlSetsTls(url)) {
    if (hasCa) {
      throw new Error(
        'DB_SSL_CA applies to a database URL without sslmode: take sslmode (ssl, sslrootcert) out of the URL and ' +
          'set DB_SSL=verify-full',
      );
    }
    return {};
  }
  const mode = given ?? (hasCa ? 'verify-full' : 'prefer');
  if (hasCa && mode !== 'verify-full') {
    throw new Error(`DB_SSL_CA is used only to verify the server's certificate: unset it, or set DB_SSL=verify-full`);
  }
  if (mode !== 'verify-full') return { ssl: mode === 'disable' ? false : mode };
  const ca = hasCa ? caCertificates(env.DB_SSL_CA ?? '') : undefined;
  return { ssl: { rejectUnauthorized: true, ...(ca ? { ca } : {}), ...ipHost(url) } };
}

const BEGIN = '-----BEGIN CERTIFICATE-----';
const END = '-----END CERTIFICATE-----';
const CERTIFICATE = new RegExp(`${BEGIN}[\\s\\S]*?${END}`, 'g');

/**
 * DB_SSL_CA as PEM the TLS stack reads: each certificate checked here, at start, so that a broken one is a clear
 * error rather than every call refused. Line breaks lost or written as `\n` (a secret pasted on one line) are
 * restored; anything but certificates is refused, and the text is never echoed.
 */
function caCertificates(value: string): string {
  const blocks = value.match(CERTIFICATE) ?? [];
  const rest = value.replace(CERTIFICATE, '').replace(/\\n|\s/g, '');
  if (blocks.length === 0 || rest !== '') {
    throw new Error(
      `DB_SSL_CA must hold PEM certificates ("${BEGIN}" ... "${END}"), as the project's CA certificate file does`,
    );
  }
  return blocks
    .map((block, index) => {
      const body = block.slice(BEGIN.length, -END.length).replace(/\\n|\s/g, '');
      const pem = `${BEGIN}\n${(body.match(/.{1,64}/g) ?? []).join('\n')}\n${END}\n`;
      try {
        new X509Certificate(pem);
      } catch {
        throw new Error(`DB_SSL_CA: certificate ${index + 1} of ${blocks.length} is not readable (cut short?)`);
      }
      return pem;
    })
    .join('');
}

/**
 * The host to check the certificate against when the URL's host is an IPv4 address: postgres.js names a host to TLS
 * only when it is a name (SNI), and for an address Node and Deno would check the certificate against "localhost".
 * A URL of several hosts cannot name one: with an address among them, verify-full is refused (use host names).
 */
function ipHost(url: string): { host?: string } {
  const hosts = urlHostPorts(url).map((entry) => entry.replace(/:\d+$/, ''));
  const isAddress = (host: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
  if (hosts.length > 1 && hosts.some(isAddress)) {
    throw new Error(
      'DB_SSL=verify-full checks the host a certificate is for, which a URL of several hosts cannot name for an IP ' +
        'address: use host names there',
    );
  }
  const [host] = hosts;
  return host !== undefined && isAddress(host) ? { host } : {};
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
    ...tlsOptions(env, url),
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
