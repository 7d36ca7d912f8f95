// End-to-end harness: the Edge Functions under real Deno (src/local/functions-host.ts) against this test file's own
// database, called over HTTP with JWTs signed like Supabase's. Other tests of functions can reuse it.
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import {
  type AuthSigning,
  generateSigningKey,
  LOCAL_JWT_SECRET,
  type LocalSigningKey,
  mintServiceToken,
  mintUserToken,
} from '../../src/local/auth-keys.ts';
import { type FunctionsHost, startFunctionsHost } from '../../src/local/functions-host.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { freePort } from '../helpers/free-port.ts';
import { checkerFor } from './openapi-check.ts';

export const SECRET = LOCAL_JWT_SECRET;

export interface Harness {
  db: TestDatabase;
  host: FunctionsHost;
  /** Every line the functions printed (JSON logs). */
  logs: string[];
  /** URL of a function path, e.g. url('sync-run-log', '/runs/latest'). */
  url(fn: string, path: string): string;
  /** How the functions verify callers: HS256 (the local default) or ES256 with a JWKS (a hosted project). */
  signing: AuthSigning;
  /** A user's token signed the way this harness's functions expect. */
  userToken(orgId: string, userRole?: string, options?: { expiresIn?: number }): Promise<string>;
  /** What a service caller sends: a secret key (ES256) or a service_role JWT (HS256). */
  serviceCredential(): Promise<string>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  signing?: AuthSigning;
}

export async function startHarness(env: Record<string, string> = {}, options: HarnessOptions = {}): Promise<Harness> {
  const signing = options.signing ?? 'hs256';
  const db = await createTestDatabase();
  const logs: string[] = [];
  const port = await freePort();
  let key: LocalSigningKey | null = null;
  const secretKey = `sb_secret_${randomBytes(18).toString('base64url')}`;
  let authEnv: Record<string, string> | undefined;
  if (signing === 'es256') {
    key = await generateSigningKey(`http://127.0.0.1:${port}`);
    authEnv = {
      SUPABASE_URL: `http://127.0.0.1:${port}`,
      SUPABASE_JWKS: JSON.stringify({ keys: [key.publicJwk] }),
      SUPABASE_SECRET_KEYS: JSON.stringify({ default: secretKey }),
    };
  }
  let host: FunctionsHost;
  try {
    host = await startFunctionsHost({
      databaseUrl: db.url,
      port,
      log: (line) => logs.push(line),
      env,
      authEnv,
    });
  } catch (error) {
    await db.drop();
    throw error;
  }
  return {
    db,
    host,
    logs,
    url: (fn, path) => `${host.url}/${fn}${path}`,
    signing,
    userToken: (orgId, userRole = 'coordinator', more = {}) =>
      key ? mintUserToken({ orgId, userRole }, { key, ...more }) : userToken(orgId, userRole, more),
    serviceCredential: async () => (key ? secretKey : serviceToken()),
    async stop() {
      await host.stop();
      await db.drop();
    },
  };
}

export function userToken(orgId: string, userRole = 'coordinator', options: { expiresIn?: number } = {}) {
  return mintUserToken({ orgId, userRole }, { secret: SECRET, ...options });
}

export function serviceToken(options: { expiresIn?: number } = {}) {
  return mintServiceToken({ secret: SECRET, ...options });
}

export const newOrg = (): string => randomUUID();

export interface CallOptions {
  method?: string;
  token?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
  /** Skip the OpenAPI check (only for a test that proves the check itself). */
  unchecked?: boolean;
}

export interface CallResult {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON came back
  body: any;
}

/**
 * An HTTP call with a JSON body (when given) and a bearer token (when given). A response of the sync-run-log
 * function is checked against the OpenAPI document that function serves (openapi-check.ts): an undocumented status,
 * body, error code or header fails the test that made the call.
 */
export async function call(
  url: string,
  { method = 'GET', token, body, headers = {}, unchecked = false }: CallOptions = {},
): Promise<CallResult> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (token) (init.headers as Record<string, string>).authorization = `Bearer ${token}`;
  if (body !== undefined) {
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  const result = { status: response.status, headers: response.headers, body: parsed };
  const checker = unchecked ? null : checkerFor(url);
  if (checker) (await checker).check({ method, url, body }, result);
  return result;
}

/** The error shape every failure has: status, `{ error: { code, message } }`, JSON, a request id. */
export function expectError(res: CallResult, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  expect(res.headers.get('content-type')).toContain('application/json');
  expect(res.headers.get('x-request-id')).toBeTruthy();
}
