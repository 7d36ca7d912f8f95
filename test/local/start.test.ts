// `npm start`, the main job, as the README's "Try it" uses it: the real entry point on a fresh data directory
// (embedded PostgreSQL, migrations, Deno functions, simulated APIs, ticker), a token from `npm run token`'s script,
// a manual run started and read back over HTTP; Ctrl-C stops everything; a restart on the same data keeps the run.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createLocalJWKSet, decodeProtectedHeader, type JWK, jwtVerify } from 'jose';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.ts';

const ORG = '6f1c1f5e-8a7b-4c0e-9d2a-3b4c5d6e7f80';
const READY = 'ready. Ctrl-C stops.';

const dataDir = mkdtempSync(path.join(tmpdir(), 'sync-run-log-start-'));
chmodSync(dataDir, 0o755); // as root, the embedded server runs as `postgres` and must reach its data directory
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

async function npmStart(env: NodeJS.ProcessEnv, throughNpm = false): Promise<Started> {
  // A process group of its own, as a terminal gives a foreground job: Ctrl-C there signals the whole group.
  const [command, args] = throughNpm
    ? ['npm', ['start', '--silent']]
    : [process.execPath, ['--import', 'tsx', 'src/local/start.ts']];
  const child = spawn(command, args, {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(child);
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk) => (output += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 120_000; // a first start may fetch Deno's npm packages
  await new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (output.includes(READY) || Date.now() > deadline) {
        clearInterval(poll);
        if (output.includes(READY)) resolve();
        else reject(new Error(`npm start was not ready within 120 s:\n${output}`));
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(poll);
      reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`));
    });
  });
  return { child, output: () => output, exited };
}

/**
 * The exit code after `signal` to `npm start` (or, `group`, to its whole process group, as Ctrl-C in a terminal
 * does), or a message if it has not exited within 30 s.
 */
async function stop(started: Started, signal: NodeJS.Signals, group = false): Promise<number | null | string> {
  if (group) process.kill(-(started.child.pid as number), signal);
  else started.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('still running after 30 s'), 30_000);
  });
  try {
    return await Promise.race([started.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The environment of a fresh `npm start` on free ports, with its data in `dir`. */
async function startEnv(dir: string, more: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dir,
    DB_PORT: String(await freePort()),
    FUNCTIONS_PORT: String(await freePort()),
    SIMULATED_XLEDGER_PORT: String(await freePort()),
    SIMULATED_DYNAMICS_PORT: String(await freePort()),
    SIMULATED_BUFDIR_PORT: String(await freePort()),
    DASHBOARD_PORT: String(await freePort()),
    DEMO: 'off', // the README session on an empty org; the demo seed has its own test
    ...more,
  };
  delete env.DATABASE_URL; // the fresh-machine path: the embedded server
  return env;
}

const token = async (env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/local/token.ts', ...args], {
    env,
  });
  return stdout.trim();
};

/** The README's first step: an admin connects Xledger with the simulated API's credentials. */
async function connectXledger(base: string, admin: string): Promise<void> {
  const res = await fetch(`${base}/integrations/xledger/connection`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ credentials: { apiToken: 'local-xledger-token' } }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

/** Polls a run until it has ended (bounded: 60 s): the real ticker of `npm start` runs it, on its own clock. */
async function waitForEnd(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: string; recordsProcessed: number }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { run } = (await (await fetch(url, { headers })).json()) as {
      run: { status: string; recordsProcessed: number };
    };
    if (!['pending', 'running'].includes(run.status) || Date.now() > deadline) return run;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('starts the local stack, serves the README session, stops on signals and Ctrl-C, keeps its data across restarts', async () => {
  const env = await startEnv(dataDir);
  const base = `http://127.0.0.1:${env.FUNCTIONS_PORT}/functions/v1/sync-run-log`;

  const first = await npmStart(env);
  expect(first.output()).toContain('database: embedded PostgreSQL 15');
  expect(first.output()).toMatch(/migrations: [1-9]\d* applied, schema up to date/);
  expect(first.output()).toContain('functions: sync-run-log, sync-scheduler served by Deno');

  const coordinator = await token(env, '--org', ORG, '--role', 'coordinator');
  const headers = { authorization: `Bearer ${coordinator}`, 'content-type': 'application/json' };
  await connectXledger(base, await token(env, '--org', ORG, '--role', 'admin'));

  const created = await fetch(`${base}/runs`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ integrationType: 'xledger' }),
  });
  expect(created.status).toBe(201);
  const { run } = (await created.json()) as { run: { id: string; orgId: string; status: string; triggeredBy: string } };
  expect(run).toMatchObject({ orgId: ORG, triggeredBy: 'manual' });
  expect(['pending', 'running']).toContain(run.status);
  // "Sync now" really syncs: the local ticker claims the run and the simulated Xledger API serves it.
  const synced = await waitForEnd(`${base}/runs/${run.id}`, headers);
  expect(synced).toMatchObject({ status: 'completed' });
  expect(synced.recordsProcessed).toBeGreaterThan(0);

  const latest = await fetch(`${base}/runs/latest`, { headers });
  expect(latest.status).toBe(200);
  expect(((await latest.json()) as { runs: { id: string }[] }).runs.map((r) => r.id)).toEqual([run.id]);
  const history = await fetch(`${base}/runs?integrationType=xledger&limit=10`, { headers });
  expect(((await history.json()) as { runs: { id: string }[] }).runs.map((r) => r.id)).toEqual([run.id]);

  // The terminal shows the run, not every answered request; the stack's log file holds both.
  const requestLine = new RegExp(`"msg":"request".*"path":"/functions/v1/sync-run-log/runs/${run.id}".*"status":200`);
  const stackLog = readFileSync(path.join(dataDir, 'stack.log'), 'utf8');
  expect(stackLog).toMatch(requestLine);
  expect(stackLog).toMatch(new RegExp(`"msg":"run completed".*"runId":"${run.id}"`));
  expect(first.output()).not.toMatch(requestLine);
  expect(first.output()).toMatch(new RegExp(`scheduler: .*"msg":"run completed".*"runId":"${run.id}"`));

  expect(await stop(first, 'SIGINT')).toBe(0);
  expect(first.output()).toContain('stopped.');
  expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  await expect(fetch(`${base}/runs/latest`, { headers })).rejects.toThrow();

  const second = await npmStart(env);
  expect(second.output()).toContain('migrations: 0 applied, schema up to date');
  const again = await fetch(`${base}/runs/latest`, { headers });
  expect(((await again.json()) as { runs: { id: string; status: string }[] }).runs).toMatchObject([
    { id: run.id, status: 'completed' },
  ]);
  expect(await stop(second, 'SIGTERM')).toBe(0);
  expect(second.output()).toContain('stopped.');

  // Ctrl-C in a terminal: SIGINT to the process group, PostgreSQL included. Still a clean, prompt stop.
  const third = await npmStart(env);
  expect(await stop(third, 'SIGINT', true)).toBe(0);
  expect(third.output()).toContain('stopped.');
  expect(third.output()).not.toContain('the Deno functions process exited');
  expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
}, 240_000);

it('AUTH_SIGNING=es256: signs as a hosted project does, serves the JWKS, and keeps its key across restarts', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sync-run-log-start-es256-'));
  chmodSync(dir, 0o755);
  try {
    const env = await startEnv(dir, { AUTH_SIGNING: 'es256' });
    const origin = `http://127.0.0.1:${env.FUNCTIONS_PORT}`;
    const base = `${origin}/functions/v1/sync-run-log`;
    const first = await npmStart(env);
    expect(first.output()).toMatch(
      /auth: ES256 tokens \(kid [0-9a-f-]{36}\), JWKS at http:\/\/127\.0\.0\.1:\d+\/auth\/v1/,
    );

    const jwks = (await (await fetch(`${origin}/auth/v1/.well-known/jwks.json`)).json()) as { keys: JWK[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(jwks.keys[0]).not.toHaveProperty('d');

    const user = await token(env, '--org', ORG, '--role', 'admin');
    const header = decodeProtectedHeader(user);
    expect(header).toMatchObject({ alg: 'ES256', kid: jwks.keys[0]?.kid });
    const { payload } = await jwtVerify(user, createLocalJWKSet(jwks), {
      issuer: `${origin}/auth/v1`,
      audience: 'authenticated',
    });
    expect(payload).toMatchObject({ org_id: ORG, user_role: 'admin', role: 'authenticated' });

    await connectXledger(base, user);
    const created = await fetch(`${base}/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json' },
      body: JSON.stringify({ integrationType: 'xledger' }),
    });
    expect(created.status).toBe(201);
    const secretKey = await token(env, '--role', 'service_role');
    expect(secretKey).toMatch(/^sb_secret_/);
    const asService = await fetch(`${base}/runs/latest?orgId=${ORG}`, { headers: { apikey: secretKey } });
    expect(asService.status).toBe(200);
    const legacy = await fetch(`${base}/runs/latest`, {
      headers: { authorization: `Bearer ${await token({ ...env, AUTH_SIGNING: 'hs256' }, '--org', ORG)}` },
    });
    expect(legacy.status).toBe(401); // no JWT secret in this mode: the public local secret opens nothing
    expect(await stop(first, 'SIGINT')).toBe(0);

    const second = await npmStart(env);
    const still = await fetch(`${base}/runs/latest`, { headers: { authorization: `Bearer ${user}` } });
    expect(still.status).toBe(200); // the same key after a restart: tokens minted before stay valid
    expect(await stop(second, 'SIGTERM')).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 240_000);

/** True once nothing accepts connections on the port any more (bounded: 30 s). */
async function portClosed(port: string): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: Number(port) });
      socket.once('connect', () => resolve(socket.destroy() !== undefined));
      socket.once('error', () => resolve(false));
    });
    if (!open) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

it('npm start stopped through npm (SIGTERM to npm alone, as a process manager sends it) stops the whole stack', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sync-run-log-start-npm-'));
  chmodSync(dir, 0o755);
  try {
    const env = await startEnv(dir);
    const started = await npmStart(env, true);
    process.kill(started.child.pid as number, 'SIGTERM'); // npm's pid, not its group
    expect(await portClosed(env.DB_PORT as string)).toBe(true);
    expect(await portClosed(env.FUNCTIONS_PORT as string)).toBe(true);
    expect(await portClosed(env.SIMULATED_XLEDGER_PORT as string)).toBe(true);
    expect(existsSync(path.join(dir, 'postgres', 'postmaster.pid'))).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);

it('Ctrl-C during a sync fails the run as stopped before the database goes, so the next start can sync again', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sync-run-log-start-ctrlc-'));
  chmodSync(dir, 0o755);
  try {
    const env = await startEnv(dir);
    const base = `http://127.0.0.1:${env.FUNCTIONS_PORT}/functions/v1/sync-run-log`;
    const vendor = `http://127.0.0.1:${env.SIMULATED_XLEDGER_PORT}/__control`;
    // Through npm, as the README runs it: Ctrl-C reaches npm and the stack, and npm passes its copy on, so the stack
    // hears the one press twice and must not take it for the second Ctrl-C that forces the exit.
    const first = await npmStart(env, true);
    const coordinator = await token(env, '--org', ORG, '--role', 'coordinator');
    const headers = { authorization: `Bearer ${coordinator}`, 'content-type': 'application/json' };
    await connectXledger(base, await token(env, '--org', ORG, '--role', 'admin'));
    // A sync of minutes: 100 pages a second apart.
    await fetch(`${vendor}/data`, { method: 'POST', body: JSON.stringify({ totalRecords: 10_000, maxPageSize: 100 }) });
    await fetch(`${vendor}/faults`, { method: 'POST', body: JSON.stringify({ latencyMs: 1_000 }) });
    const click = async () =>
      fetch(`${base}/runs`, { method: 'POST', headers, body: JSON.stringify({ integrationType: 'xledger' }) });
    const { run } = (await (await click()).json()) as { run: { id: string } };
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { run: now } = (await (await fetch(`${base}/runs/${run.id}`, { headers })).json()) as {
        run: { status: string; recordsProcessed: number };
      };
      if ((now.status === 'running' && now.recordsProcessed > 0) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    expect(await stop(first, 'SIGINT', true)).toBe(0); // Ctrl-C: the whole group, npm and PostgreSQL included
    expect(first.output()).toContain('stopped.');
    const second = await npmStart(env);
    const { run: ended } = (await (await fetch(`${base}/runs/${run.id}`, { headers })).json()) as {
      run: { status: string; errorMessage: string };
    };
    expect(ended).toMatchObject({
      status: 'failed',
      errorMessage: 'the scheduler was stopped (the local stack stopped) before the run ended',
    });
    await fetch(`${vendor}/reset`, { method: 'POST' });
    expect((await click()).status).toBe(201); // not 409 already_running
    expect(await stop(second, 'SIGTERM')).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 240_000);
