// Served exactly as deployed: each function's own index.ts, run by itself under Deno with its own deno.json, with
// only the secrets a hosted project gives every Edge Function in 2026 (no JWT secret, nothing user-set: docs/deploy.md
// lists no required secret), listening where DENO_SERVE_ADDRESS says, called on the hosted path (/<name>/...) with
// ES256 user tokens from the project's JWKS and with a secret key.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateSigningKey,
  LOCAL_JWT_SECRET,
  type LocalSigningKey,
  mintUserToken,
} from '../../src/local/auth-keys.ts';
import { ROOT } from '../../src/local/config.ts';
import { DENO_BIN, FUNCTIONS_DIR } from '../../src/local/functions-host.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { freePort } from '../helpers/free-port.ts';
import { startTlsPostgres, type TlsPostgres, testCa } from '../helpers/tls-postgres.ts';
import { call, expectError } from './harness.ts';

// The project's URL: on this machine, the standalone sync-scheduler's own address (its port is chosen first), so the
// hand-off of a Sync now (<SUPABASE_URL>/functions/v1/sync-scheduler/runs/claim) reaches it, as on a hosted project,
// and no request ever leaves the machine.
let PROJECT_URL = '';
const SECRET_KEY = `sb_secret_${randomBytes(20).toString('base64url')}`;
const PUBLISHABLE_KEY = `sb_publishable_${randomBytes(20).toString('base64url')}`;
const ORG = randomUUID();

interface Served {
  url: string;
  output: string[];
  stop(): Promise<void>;
}

/** The environment of a hosted Edge Function: the platform's defaults and nothing else (no developer variables). */
function hostedEnv(key: LocalSigningKey, databaseUrl: string): Record<string, string> {
  return {
    SUPABASE_URL: PROJECT_URL,
    SUPABASE_DB_URL: databaseUrl,
    SUPABASE_JWKS: JSON.stringify({ keys: [key.publicJwk] }),
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: PUBLISHABLE_KEY }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: SECRET_KEY }),
    SUPABASE_ANON_KEY: 'legacy-anon-key-of-this-project',
    SUPABASE_SERVICE_ROLE_KEY: 'legacy-service-role-key-of-this-project',
  };
}

/** The environment Deno reads for itself, passed on when set. */
const DENO_OWN = [
  'DENO_DIR',
  'DENO_CERT',
  'DENO_TLS_CA_STORE',
  'NODE_EXTRA_CA_CERTS',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
];

/** `deno run --config supabase/functions/<name>/deno.json supabase/functions/<name>/index.ts`, alone. */
async function serve(name: string, secrets: Record<string, string>, port?: number): Promise<Served> {
  port ??= await freePort();
  const dir = path.join(FUNCTIONS_DIR, name);
  const child: ChildProcess = spawn(
    DENO_BIN,
    [
      'run',
      '--config',
      path.join(dir, 'deno.json'),
      '--allow-net',
      '--allow-env',
      '--allow-read',
      '--allow-sys',
    ].concat(path.join(dir, 'index.ts')),
    {
      cwd: ROOT,
      // Only what Deno itself needs to run (its cache, and the certificates and proxy by which it fetches the npm
      // packages on a machine whose cache is empty), then the hosted secrets.
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...Object.fromEntries(DENO_OWN.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : []))),
        NO_COLOR: '1',
        DENO_SERVE_ADDRESS: `tcp:127.0.0.1:${port}`,
        ...secrets,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not listen:\n${output.join('\n')}`)), 120_000);
    const onLine = (line: string) => {
      output.push(line);
      if (line.includes(`127.0.0.1:${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', onLine);
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before listening:\n${output.join('\n')}`));
    });
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await listening;
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `http://127.0.0.1:${port}/${name}`, output, stop };
}

let db: TestDatabase;
/** The database as a hosted project serves it: over TLS, which the URL Supabase gives does not ask for. */
let tlsDb: TlsPostgres;
let key: LocalSigningKey;
let runLog: Served;
let scheduler: Served;

beforeAll(async () => {
  db = await createTestDatabase();
  tlsDb = await startTlsPostgres(db.url);
  const schedulerPort = await freePort();
  PROJECT_URL = `http://127.0.0.1:${schedulerPort}`;
  key = await generateSigningKey(PROJECT_URL);
  [runLog, scheduler] = await Promise.all([
    serve('sync-run-log', hostedEnv(key, tlsDb.url)),
    serve('sync-scheduler', hostedEnv(key, tlsDb.url), schedulerPort),
  ]);
}, 240_000);

afterAll(async () => {
  await Promise.all([runLog?.stop(), scheduler?.stop()]);
  await tlsDb?.close();
  await db?.drop();
});

const apikey = { apikey: SECRET_KEY };

describe('sync-run-log as deployed', () => {
  it("an ES256 user token from the project's keys: an admin connects, sync now, then the run in the last-run view", async () => {
    const admin = await mintUserToken({ orgId: ORG, userRole: 'admin' }, { key });
    const connected = await call(`${runLog.url}/integrations/xledger/connection`, {
      method: 'PUT',
      token: admin,
      headers: { apikey: PUBLISHABLE_KEY },
      body: { credentials: { apiToken: 'local-xledger-token' } },
    });
    expect(connected.status, JSON.stringify(connected.body)).toBe(200);
    const coordinator = await mintUserToken({ orgId: ORG, userRole: 'coordinator' }, { key });
    const started = await call(`${runLog.url}/runs`, {
      method: 'POST',
      token: coordinator,
      headers: { apikey: PUBLISHABLE_KEY },
      body: { integrationType: 'xledger' },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body.run).toMatchObject({ orgId: ORG, integrationType: 'xledger', triggeredBy: 'manual' });
    const latest = await call(`${runLog.url}/runs/latest`, { token: coordinator });
    expect(latest.status).toBe(200);
    expect(latest.body.runs.map((r: { id: string }) => r.id)).toEqual([started.body.run.id]);
    // The click was handed to sync-scheduler at <SUPABASE_URL>/functions/v1/sync-scheduler/runs/claim with the
    // project's secret key (its log line says 200, as the service role). Bounded wait: the hand-off is not awaited.
    const claimed = (line: string) => line.includes('"path":"/functions/v1/sync-scheduler/runs/claim"');
    const deadline = Date.now() + 15_000;
    while (!scheduler.output.some(claimed) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const line = JSON.parse(scheduler.output.find(claimed) ?? '{}');
    expect(line).toMatchObject({ status: 200, caller: 'service_role' });
  });

  it('a secret key in the apikey header is the service role', async () => {
    const res = await call(`${runLog.url}/runs/latest?orgId=${ORG}`, { headers: apikey });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.runs).toHaveLength(1);
  });

  it("refuses the CLI's public HS256 secret, a publishable key, a token of another project and no credentials", async () => {
    const forged = await mintUserToken({ orgId: ORG, userRole: 'admin' }, { secret: LOCAL_JWT_SECRET });
    expectError(await call(`${runLog.url}/runs/latest`, { token: forged }), 401, 'unauthorized');
    expectError(await call(`${runLog.url}/runs/latest`, { token: PUBLISHABLE_KEY }), 403, 'forbidden');
    const other = await generateSigningKey('https://another-project.supabase.co');
    const foreign = await mintUserToken({ orgId: ORG, userRole: 'admin' }, { key: { ...other, kid: key.kid } });
    expectError(await call(`${runLog.url}/runs/latest`, { token: foreign }), 401, 'unauthorized');
    expectError(await call(`${runLog.url}/runs/latest`, {}), 401, 'unauthorized');
  });
});

describe('the connection to the database', () => {
  it('is encrypted: every connection the functions opened asked for TLS and got it, none went in plain text', () => {
    expect(tlsDb.counts.tls).toBeGreaterThan(0);
    expect(tlsDb.counts.plain).toBe(0);
  });

  it("checks the server's certificate with the project's CA (DB_SSL_CA, a secret the developer sets): refuses one another CA signed, or one for another host", async () => {
    const checked = await serve('sync-run-log', { ...hostedEnv(key, tlsDb.url), DB_SSL_CA: testCa('ca') });
    const misled = await serve('sync-run-log', { ...hostedEnv(key, tlsDb.url), DB_SSL_CA: testCa('other') });
    // The right CA, but a server on an address its certificate does not name.
    const elsewhere = await startTlsPostgres(db.url, '127.0.0.2');
    const misnamed = await serve('sync-run-log', { ...hostedEnv(key, elsewhere.url), DB_SSL_CA: testCa('ca') });
    try {
      const res = await call(`${checked.url}/runs/latest?orgId=${ORG}`, { headers: apikey });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const refused = await call(`${misled.url}/runs/latest?orgId=${ORG}`, { headers: apikey });
      expect(refused.status, JSON.stringify(refused.body)).toBe(503);
      // The answer says only that the database could not be reached; the function's log says why.
      expect(refused.body.error).toEqual({ code: 'unavailable', message: 'the run log could not be reached' });
      const logged = JSON.parse(misled.output.find((line) => line.includes('"status":503')) ?? '{}');
      expect(logged.errorCause).toMatch(/certificate/i);
      const wrongHost = await call(`${misnamed.url}/runs/latest?orgId=${ORG}`, { headers: apikey });
      expect(wrongHost.status, JSON.stringify(wrongHost.body)).toBe(503);
      const named = JSON.parse(misnamed.output.find((line) => line.includes('"status":503')) ?? '{}');
      expect(named.errorCause).toMatch(/does not match certificate/i);
    } finally {
      await Promise.all([checked.stop(), misled.stop(), misnamed.stop()]);
      await elsewhere.close();
    }
    expect(tlsDb.counts.plain + elsewhere.counts.plain).toBe(0);
  }, 120_000);
});

describe('sync-scheduler as deployed', () => {
  it('POST /tick with the secret key answers with the tick report', async () => {
    const res = await call(`${scheduler.url}/tick`, { method: 'POST', headers: apikey, body: {} });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ started: expect.any(Array), errors: [] });
  });

  it('a user may not tick (403), nobody without credentials (401)', async () => {
    const admin = await mintUserToken({ orgId: ORG, userRole: 'admin' }, { key });
    expectError(await call(`${scheduler.url}/tick`, { method: 'POST', token: admin, body: {} }), 403, 'forbidden');
    expectError(await call(`${scheduler.url}/tick`, { method: 'POST', body: {} }), 401, 'unauthorized');
  });
});

describe('a function that cannot verify anyone', () => {
  it('says so at start, in one clear line, and does not serve', async () => {
    const error = await serve('sync-run-log', { SUPABASE_DB_URL: db.url }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/exited \(1\) before listening/);
    expect(error?.message).toMatch(/no way to verify callers: set SUPABASE_JWKS or SUPABASE_URL/);
  }, 120_000);

  it('sync-scheduler without a secret key could tick for nobody: it says so at start and does not serve', async () => {
    const { SUPABASE_SECRET_KEYS: _secret, SUPABASE_SERVICE_ROLE_KEY: _legacy, ...users } = hostedEnv(key, db.url);
    const error = await serve('sync-scheduler', users).then(
      async (served) => {
        await served.stop(); // served after all: stopped, and the test fails below
        return null;
      },
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/exited \(1\) before listening/);
    expect(error?.message).toMatch(/sync-scheduler cannot recognise its callers: set SUPABASE_SECRET_KEYS/);
  }, 120_000);
});
