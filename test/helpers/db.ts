// A database of its own for each test file, cloned from the migrated template (fast: a file copy).
// Set KEEP_TEST_DATABASES=1 to keep them after the run, to look at the data.
import { randomBytes } from 'node:crypto';
import postgres, { type Sql } from 'postgres';
import { inject } from 'vitest';
import { withDatabase } from '../../src/local/embedded-db.ts';
import { type RequestContext, withRequestContext } from '../../supabase/functions/_shared/sql-rpc.ts';

export interface TestDatabase {
  name: string;
  url: string;
  /** Connected as the superuser (postgres): the table owner, bypassing nothing but RLS-free by ownership. */
  sql: Sql;
  drop(): Promise<void>;
}

export async function createTestDatabase(
  options: { template?: string | null; max?: number } = {},
): Promise<TestDatabase> {
  const serverUrl = inject('serverUrl');
  const template = options.template === undefined ? inject('templateDatabase') : options.template;
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}${template ? ` template ${template}` : ''}`);
  await admin.end();
  const url = withDatabase(serverUrl, name);
  const sql = postgres(url, { max: options.max ?? 10, onnotice: () => {}, connection: { TimeZone: 'UTC' } });
  return {
    name,
    url,
    sql,
    async drop() {
      await sql.end();
      if (process.env.KEEP_TEST_DATABASES) return;
      const cleanup = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

/** Claims of a user of an org, as the custom access token hook adds them. */
export function userClaims(orgId: string, userRole = 'coordinator'): Record<string, unknown> {
  return { sub: '00000000-0000-4000-8000-000000000001', role: 'authenticated', org_id: orgId, user_role: userRole };
}

export function asAuthenticated<T>(sql: Sql, claims: Record<string, unknown>, fn: (tx: Sql) => Promise<T>): Promise<T> {
  return withRequestContext(sql, { role: 'authenticated', claims }, fn);
}

export function asRole<T>(sql: Sql, context: RequestContext, fn: (tx: Sql) => Promise<T>): Promise<T> {
  return withRequestContext(sql, context, fn);
}

export const SERVICE: RequestContext = { role: 'service_role', claims: { role: 'service_role' } };

/** The SQLSTATE a query fails with, or undefined when it succeeds. */
export async function sqlstate(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}
