// A port of `npm start` that something else holds (often another npm start) is refused with the setting to change,
// not a stack trace: before anything starts, npm start names every taken port and its variable; should a port be
// taken in between, the simulated vendor APIs name their SIMULATED_*_PORT, the functions host FUNCTIONS_PORT.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT } from '../../src/local/config.ts';
import { startFunctionsHost } from '../../src/local/functions-host.ts';
import { checkPortsFree } from '../../src/local/ports.ts';
import { startSimulatedApis } from '../../src/local/simulated-apis/index.ts';
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

it('npm start with a taken port stops before it starts anything: no database, no data directory, one line', async () => {
  const parent = mkdtempSync(path.join(tmpdir(), 'ports-taken-'));
  const dataDir = path.join(parent, 'data');
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/local/start.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: '',
        DATA_DIR: dataDir,
        DB_PORT: String(await freePort()),
        FUNCTIONS_PORT: String(taken),
        SIMULATED_XLEDGER_PORT: String(await freePort()),
        SIMULATED_DYNAMICS_PORT: String(await freePort()),
        SIMULATED_BUFDIR_PORT: String(await freePort()),
        DASHBOARD_PORT: String(await freePort()),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
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
