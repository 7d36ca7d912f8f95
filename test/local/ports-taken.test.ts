// A port of `npm start` that something else holds (often another npm start) is refused with the setting to change,
// not a stack trace: before anything starts, npm start names every taken port and its variable; should a port be
// taken in between, the simulated vendor APIs name their SIMULATED_*_PORT, the functions host FUNCTIONS_PORT.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT } from '../../src/local/config.ts';
import { startFunctionsHost } from '../../src/local/functions-host.ts';
import { checkPortsFree } from '../../src/local/ports.ts';
import { startSimulatedApis } from '../../src/local/simulated-apis/index.ts';
import { startOwner } from '../helpers/embedded-owner.ts';
import { freePort } from '../helpers/free-port.ts';

let holder: Server;
let taken: number;

beforeAll(async () => {
  taken = await freePort();
  holder = createServer();
  await new Promise<void>((resolve) => holder.listen(taken, '127.0.0.1', resolve));
});
afterAll(() => new Promise((resolve) => holder.close(resolve)));

it('the simulated vendor APIs name the variable of the port that is taken, and leave none of theirs running', async () => {
  const free = await freePort();
  const env: NodeJS.ProcessEnv = {};
  await expect(
    startSimulatedApis({ xledgerPort: free, dynamicsPort: taken, bufdirPort: await freePort() }, env),
  ).rejects.toThrow(`port ${taken} is taken (another npm start?): set SIMULATED_DYNAMICS_PORT to a free port`);
  // Xledger's, started first, was stopped again: its port is free.
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(free, '127.0.0.1', resolve);
  });
  await new Promise((resolve) => probe.close(resolve));
});

it('the functions host names FUNCTIONS_PORT when its port is taken', async () => {
  await expect(
    startFunctionsHost({ databaseUrl: 'postgres://nobody@127.0.0.1:1/none', port: taken, log: () => {} }),
  ).rejects.toThrow("the functions' port is taken (another npm start?): set FUNCTIONS_PORT to a free port");
}, 120_000);

it('checkPortsFree names every taken port with its variable, and passes when all are free', async () => {
  const free = await freePort();
  await expect(checkPortsFree([{ port: free, variable: 'FUNCTIONS_PORT' }])).resolves.toBeUndefined();
  await expect(
    checkPortsFree([
      { port: taken, variable: 'DB_PORT' },
      { port: free, variable: 'FUNCTIONS_PORT' },
      { port: taken, variable: 'SIMULATED_BUFDIR_PORT' },
    ]),
  ).rejects.toThrow(
    `port ${taken} (DB_PORT), port ${taken} (SIMULATED_BUFDIR_PORT) are taken, by another npm start or another ` +
      'program: stop it, or set DB_PORT, SIMULATED_BUFDIR_PORT to free ports',
  );
});

/** `npm start` (its entry point) with these settings; `until` ends it (SIGINT) once its output matches. */
async function npmStart(env: NodeJS.ProcessEnv, until?: RegExp): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/local/start.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: '',
      DEMO: 'off',
      SCHEDULER_TICKER: 'off',
      SIMULATED_XLEDGER_PORT: String(await freePort()),
      SIMULATED_DYNAMICS_PORT: String(await freePort()),
      SIMULATED_BUFDIR_PORT: String(await freePort()),
      DASHBOARD_PORT: String(await freePort()),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stopping = false;
  const read = (chunk: Buffer) => {
    output += chunk;
    // One Ctrl-C: a second would force the exit (130).
    if (!stopping && until?.test(output)) {
      stopping = true;
      child.kill('SIGINT');
    }
  };
  child.stdout?.on('data', read);
  child.stderr?.on('data', read);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, output };
}

it('npm start with a taken port stops before it starts anything: no database, no data directory, one line', async () => {
  const parent = mkdtempSync(path.join(tmpdir(), 'ports-taken-'));
  const dataDir = path.join(parent, 'data');
  try {
    const { code, output } = await npmStart({
      DATA_DIR: dataDir,
      DB_PORT: String(await freePort()),
      FUNCTIONS_PORT: String(taken),
    });
    expect(code).toBe(1);
    expect(output.trim()).toBe(
      `npm start failed: port ${taken} (FUNCTIONS_PORT) is taken, by another npm start or another program: ` +
        'stop it, or set FUNCTIONS_PORT to a free port',
    );
    expect(existsSync(dataDir)).toBe(false);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}, 60_000);

it("DB_PORT held by the data directory's own orphaned server (a killed npm start): taken over, not refused", async () => {
  const parent = mkdtempSync(path.join(tmpdir(), 'ports-orphan-'));
  chmodSync(parent, 0o755); // as root, the embedded server runs as `postgres` and must reach its data directory
  const dataDir = path.join(parent, 'data');
  const dbPort = await freePort();
  const owner = await startOwner(path.join(dataDir, 'postgres'), dbPort);
  try {
    owner.child.kill('SIGKILL');
    await new Promise((resolve) => owner.child.once('exit', resolve));
    const { code, output } = await npmStart(
      { DATA_DIR: dataDir, DB_PORT: String(dbPort), FUNCTIONS_PORT: String(await freePort()) },
      /ready\. Ctrl-C stops\./,
    );
    // Said in the terminal as well as in the server's log.
    const takeover = /stopping an orphaned PostgreSQL server \(pid \d+\)/;
    expect(readFileSync(path.join(dataDir, 'postgres.log'), 'utf8')).toMatch(takeover);
    expect(output).toMatch(new RegExp(`database: ${takeover.source}`));
    expect(output).toContain(`database: embedded PostgreSQL 15 at postgres://postgres:***@127.0.0.1:${dbPort}/`);
    expect(output).not.toContain('(DB_PORT) is taken');
    expect(code).toBe(0);
  } finally {
    if (owner.child.exitCode === null) owner.child.kill('SIGKILL');
    rmSync(parent, { recursive: true, force: true });
  }
}, 240_000);
