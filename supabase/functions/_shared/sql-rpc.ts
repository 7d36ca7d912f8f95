// The SQL adapter for the rpc port: over a direct connection (postgres.js), each call does what PostgREST does
// per request, inside one transaction: switch to the caller's database role and publish the JWT claims, so that
// RLS and grants are enforced by PostgreSQL itself exactly as on Supabase. Results come back as PostgREST
// renders them (JSON: timestamps as ISO strings), errors as PostgREST's { code, message, details, hint }.
// Each call is one simple-protocol message of two statements: one round trip, one reply, no prepared statement.
// (The one catalog lookup per function name, below, prepares unless the pool says `prepare: false`.)
import postgres, { type Sql } from 'postgres';
import type { RpcError, RpcPort, RpcResult } from './rpc-port.ts';

export type DatabaseRole = 'anon' | 'authenticated' | 'service_role';
const ROLES: ReadonlySet<string> = new Set(['anon', 'authenticated', 'service_role']);

export interface RequestContext {
  role: DatabaseRole;
  /** The verified JWT's claims, as PostgREST publishes them in request.jwt.claims. */
  claims: Record<string, unknown>;
  /**
   * A statement timeout for the call alone (transaction-local), where the connection cannot carry one: behind a
   * transaction pooler, which refuses or drops per-client settings.
   */
  statementTimeoutMs?: number;
}

type ReturnShape = 'set' | 'row' | 'scalar' | 'void';
/** Arguments that may hold a secret (credentials, keys): bound, never written into the SQL text. */
const SECRET_ARGUMENT = /^p_(credentials|secret)/;
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
      // Secrets never enter the statement text, which PostgreSQL writes to its log with any error: they travel as
      // bound parameters (not logged: log_parameter_max_length_on_error is 0 by default).
      const params: unknown[] = [];
      let call: string;
      try {
        const argument = (name: string) => {
          if (!SECRET_ARGUMENT.test(name)) return literal(args[name]);
          params.push(parameterValue(args[name]));
          return `$${params.length}`;
        };
        call = `public.${fn}(${names.map((name) => `${name} => ${argument(name)}`).join(', ')})`;
      } catch (error) {
        return { data: null, error: toRpcError(error) };
      }
      if (params.length > 0 && context.role !== 'service_role') {
        return {
          data: null,
          error: { code: '42501', message: 'secret arguments are for the service role', details: null, hint: null },
        };
      }
      try {
        const shape = await returnShape(sql, fn);
        if (!shape) {
          return {
            data: null,
            error: { code: 'PGRST202', message: `Could not find the function public.${fn}`, details: null, hint: null },
          };
        }
        const query =
          shape === 'set'
            ? `select coalesce(json_agg(r), '[]'::json) as data from ${call} r`
            : shape === 'row'
              ? `select to_json(r) as data from ${call} r`
              : shape === 'void'
                ? `select null::json as data from ${call}`
                : `select to_json(${call}) as data`;
        const rows =
          params.length > 0
            ? // One statement with parameters cannot also set the role and claims (extended protocol: one statement
              // a message), so it runs as the login role, which owns the functions: only the service role's calls
              // take this path, and the functions taking secrets are security definer, owner-run whoever calls.
              ((await sql.unsafe(query, params as never[])) as unknown[])
            : await asCaller(sql, context, query);
        return { data: (rows[0] as { data: unknown } | undefined)?.data ?? null, error: null };
      } catch (error) {
        // The driver's own failures (refused, closed, timed out) are no answer from PostgreSQL: thrown, so that the
        // repository reports them as unavailable, as it does for a port whose network fails.
        if (!(error instanceof postgres.PostgresError)) throw error;
        return { data: null, error: toRpcError(error) };
      }
    },
  };
}

/**
 * The call as the caller, in one message: `select set_config('role', ..., true), set_config('request.jwt.claims', ...,
 * true); <query>`. PostgreSQL runs the statements of one simple-protocol message as one implicit transaction, so the
 * role and claims hold for the query and end with it, and a failing query rolls everything back. One round trip and
 * one reply: the pipelined begin/set/call/commit it replaces cost the client four replies to parse.
 */
async function asCaller(sql: Sql, context: RequestContext, query: string): Promise<unknown[]> {
  if (!ROLES.has(context.role)) throw new Error(`unknown database role: ${String(context.role)}`);
  const timeout =
    context.statementTimeoutMs === undefined
      ? ''
      : `, set_config('statement_timeout', ${literal(String(Math.trunc(context.statementTimeoutMs)))}, true)`;
  const setup = `select set_config('role', ${literal(context.role)}, true), set_config('request.jwt.claims', ${literal(JSON.stringify(context.claims))}, true)${timeout}`;
  const results = (await sql.unsafe(`${setup}; ${query}`)) as unknown as unknown[][];
  return results[1] ?? [];
}

/**
 * A value as an SQL literal, the way libpq's PQescapeLiteral writes it: quotes doubled and, where there is a
 * backslash, an E'' string with backslashes doubled, so the literal means the same whatever
 * standard_conforming_strings says. Untyped, it takes the type of the parameter it is passed to, as a bound
 * parameter would. Arrays become array literals, other objects JSON (for json/jsonb parameters), dates ISO strings.
 * PostgreSQL text cannot hold NUL, so a NUL is refused as PostgreSQL refuses it (SQLSTATE 22021), not sent.
 */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  return quote(
    Array.isArray(value) ? arrayLiteral(value) : typeof value === 'object' ? objectText(value) : String(value),
  );
}

/**
 * A value as a bound parameter: postgres.js asks PostgreSQL for the parameter's type and serializes by it (JSON for
 * json/jsonb, so an object is passed as it is). A NUL is refused as for a literal.
 */
function parameterValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text?.includes('\0') || text?.includes('\\u0000')) {
    throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
  }
  return value;
}

function objectText(value: object): string {
  return value instanceof Date ? value.toISOString() : JSON.stringify(value);
}

function arrayLiteral(values: unknown[]): string {
  const items = values.map((item) => {
    if (item === null || item === undefined) return 'NULL';
    if (Array.isArray(item)) return arrayLiteral(item);
    const text = typeof item === 'object' ? objectText(item) : String(item);
    return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  });
  return `{${items.join(',')}}`;
}

function quote(text: string): string {
  if (text.includes('\0')) {
    throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
  }
  const doubled = text.replaceAll("'", "''");
  return text.includes('\\') ? `E'${doubled.replaceAll('\\', '\\\\')}'` : `'${doubled}'`;
}
