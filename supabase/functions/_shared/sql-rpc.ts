// The SQL adapter for the rpc port: over a direct connection (postgres.js), each call does what PostgREST does
// per request, inside one transaction: switch to the caller's database role and publish the JWT claims, so that
// RLS and grants are enforced by PostgreSQL itself exactly as on Supabase. Results come back as PostgREST
// renders them (JSON: timestamps as ISO strings), errors as PostgREST's { code, message, details, hint }.
import type { Sql } from 'postgres';
import type { RpcError, RpcPort, RpcResult } from './rpc-port.ts';

export type DatabaseRole = 'anon' | 'authenticated' | 'service_role';
const ROLES: ReadonlySet<string> = new Set(['anon', 'authenticated', 'service_role']);

export interface RequestContext {
  role: DatabaseRole;
  /** The verified JWT's claims, as PostgREST publishes them in request.jwt.claims. */
  claims: Record<string, unknown>;
}

type ReturnShape = 'set' | 'row' | 'scalar' | 'void';
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Runs `fn` in a transaction as the request's role with its claims: the per-request setup of PostgREST. */
export async function withRequestContext<T>(
  sql: Sql,
  context: RequestContext,
  fn: (tx: Sql) => Promise<T>,
): Promise<T> {
  if (!ROLES.has(context.role)) throw new Error(`unknown database role: ${String(context.role)}`);
  return (await sql.begin(async (tx) => {
    await tx`select set_config('role', ${context.role}, true), set_config('request.jwt.claims', ${JSON.stringify(context.claims)}, true)`;
    return fn(tx as unknown as Sql);
  })) as T;
}

/** Cache of each function's return shape, read once from pg_proc (what PostgREST reads from its schema cache). */
const shapes = new WeakMap<Sql, Map<string, ReturnShape>>();

async function returnShape(sql: Sql, fn: string): Promise<ReturnShape | undefined> {
  let cache = shapes.get(sql);
  if (!cache) {
    cache = new Map();
    shapes.set(sql, cache);
  }
  const known = cache.get(fn);
  if (known) return known;
  const [row] = await sql<{ retset: boolean; typtype: string; typname: string }[]>`
    select p.proretset as retset, t.typtype, t.typname
    from pg_catalog.pg_proc p
    join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    join pg_catalog.pg_type t on t.oid = p.prorettype
    where n.nspname = 'public' and p.proname = ${fn}
    limit 1`;
  if (!row) return undefined;
  const shape: ReturnShape = row.retset
    ? 'set'
    : row.typtype === 'c'
      ? 'row'
      : row.typname === 'void'
        ? 'void'
        : 'scalar';
  cache.set(fn, shape);
  return shape;
}

function toRpcError(error: unknown): RpcError {
  const e = error as { code?: unknown; message?: unknown; detail?: unknown; hint?: unknown };
  return {
    code: typeof e.code === 'string' ? e.code : 'UNKNOWN',
    message: typeof e.message === 'string' ? e.message : 'database call failed',
    details: typeof e.detail === 'string' ? e.detail : null,
    hint: typeof e.hint === 'string' ? e.hint : null,
  };
}

/** An rpc port over `sql` for one caller. Call it per request with that request's context. */
export function createSqlRpc(sql: Sql, context: RequestContext): RpcPort {
  return {
    async rpc(fn: string, args: Record<string, unknown> = {}): Promise<RpcResult> {
      if (!IDENTIFIER.test(fn)) {
        return { data: null, error: { code: 'PGRST202', message: `no function ${fn}`, details: null, hint: null } };
      }
      const names = Object.keys(args);
      const bad = names.find((name) => !IDENTIFIER.test(name));
      if (bad)
        return {
          data: null,
          error: { code: 'PGRST202', message: `bad argument name ${bad}`, details: null, hint: null },
        };
      try {
        const shape = await returnShape(sql, fn);
        if (!shape) {
          return {
            data: null,
            error: { code: 'PGRST202', message: `Could not find the function public.${fn}`, details: null, hint: null },
          };
        }
        const call = `public.${fn}(${names.map((name, i) => `${name} => $${i + 1}`).join(', ')})`;
        const query =
          shape === 'set'
            ? `select coalesce(jsonb_agg(to_jsonb(r)), '[]'::jsonb) as data from ${call} r`
            : shape === 'row'
              ? `select to_jsonb(r) as data from ${call} r`
              : shape === 'void'
                ? `select null::jsonb as data from ${call}`
                : `select to_jsonb(${call}) as data`;
        const values = names.map((name) => serialise(args[name]));
        const rows = await pipelined(sql, context, query, values);
        return { data: (rows[0] as unknown as { data: unknown } | undefined)?.data ?? null, error: null };
      } catch (error) {
        return { data: null, error: toRpcError(error) };
      }
    },
  };
}

/**
 * The per-call transaction in one round trip: `begin`, the role and claims, the call and `commit` are sent together
 * on one reserved connection (postgres.js pipelines queries that are not awaited one by one). When the call fails,
 * PostgreSQL turns the `commit` of the aborted transaction into a rollback. Prepared when the pool prepares.
 */
async function pipelined(sql: Sql, context: RequestContext, query: string, values: unknown[]): Promise<unknown[]> {
  if (!ROLES.has(context.role)) throw new Error(`unknown database role: ${String(context.role)}`);
  const prepare = (sql as unknown as { options?: { prepare?: boolean } }).options?.prepare !== false;
  const claims = JSON.stringify(context.claims);
  const connection = await sql.reserve();
  let settled: PromiseSettledResult<unknown>[];
  try {
    settled = await Promise.allSettled([
      connection`begin`,
      connection`select set_config('role', ${context.role}, true), set_config('request.jwt.claims', ${claims}, true)`,
      connection.unsafe(query, values as never[], { prepare }),
      connection`commit`,
    ]);
  } finally {
    connection.release();
  }
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return (settled[2] as PromiseFulfilledResult<unknown[]>).value;
}

function serialise(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return value;
}
