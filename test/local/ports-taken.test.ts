// A port of `npm start` that something else holds (often another npm start) is refused with the setting to change,
// not a stack trace: the simulated vendor APIs name their SIMULATED_*_PORT, the functions host FUNCTIONS_PORT.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFunctionsHost } from '../../src/local/functions-host.ts';
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
