// The function's way to the database: postgres.js over SUPABASE_DB_URL (set by Supabase for every Edge Function)
// or DATABASE_URL (local), wrapped in the SQL rpc adapter, which runs each call as the caller's database role
// with the caller's claims, so RLS is enforced by PostgreSQL exactly as behind PostgREST (docs/edge-functions.md).
import postgres, { type Sql } from 'postgres';
import type { Caller } from './auth.ts';
import { type Env, integerFromEnv } from './env.ts';
import type { RpcPort } from './rpc-port.ts';
import { createSqlRpc, type RequestContext } from './sql-rpc.ts';

export interface DatabaseEnv extends Env {
  SUPABASE_DB_URL?: string;
  DATABASE_URL?: string;
  /** Connections per function instance: 1 to 100, default 10. */
  DB_POOL_MAX?: string;
  /** Milliseconds a statement may run: 100 to 600000, default 10000. */
  DB_STATEMENT_TIMEOUT_MS?: string;
}

export interface DatabasePorts {
  /** Reads as the caller: authenticated with the user's verified claims (RLS applies), or the service role. */
  asCaller(caller: Caller): RpcPort;
  /** Writes with the function's own server-side credentials (the service role). */
  asService(): RpcPort;
  end(): Promise<void>;
}

export const SERVICE_CONTEXT: RequestContext = { role: 'service_role', claims: { role: 'service_role' } };

export function databaseUrl(env: DatabaseEnv): string {
  const url = env.SUPABASE_DB_URL || env.DATABASE_URL;
  if (!url) throw new Error('SUPABASE_DB_URL or DATABASE_URL must be set');
  return url;
}

/** Opens a pool lazily (postgres.js connects on the first query). A malformed setting is refused here, at start. */
export function connectDatabase(env: DatabaseEnv): DatabasePorts {
  const url = databaseUrl(env);
  const max = integerFromEnv(env, 'DB_POOL_MAX', 10, 1, 100);
  const statementTimeout = integerFromEnv(env, 'DB_STATEMENT_TIMEOUT_MS', 10_000, 100, 600_000);
  const sql = postgres(url, {
    max,
    // Supavisor's transaction mode (port 6543) cannot keep prepared statements across transactions.
    prepare: !/:6543\//.test(url),
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    // A hung query must not hang the request: PostgREST's roles carry a statement_timeout, a direct connection not.
    connection: { application_name: 'edge-function', TimeZone: 'UTC', statement_timeout: statementTimeout },
  });
  return sqlPorts(sql);
}

export function sqlPorts(sql: Sql): DatabasePorts {
  const service = createSqlRpc(sql, SERVICE_CONTEXT);
  return {
    asCaller: (caller) =>
      caller.kind === 'service' ? service : createSqlRpc(sql, { role: 'authenticated', claims: caller.claims }),
    asService: () => service,
    end: () => sql.end({ timeout: 5 }),
  };
}
