// The local Deno functions host goes with its Node process, even when that process is SIGKILLed (no exit handler
// runs then): Deno watches its stdin pipe, which closes with the parent, so no orphan keeps the functions port.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.ts';

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

it('a SIGKILLed owner leaves no Deno process holding the port', async () => {
  const port = await freePort();
  const script = `
    import { startFunctionsHost } from ${JSON.stringify(path.resolve('src/local/functions-host.ts'))};
    await startFunctionsHost({ databaseUrl: 'postgres://nobody@127.0.0.1:1/none', port: ${port}, log: () => {} });
    console.log('up');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
      if (output.includes('up')) resolve();
    });
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    child.once('exit', (code) => reject(new Error(`host exited (${code}): ${output}`)));
  });
  expect(await portIsFree(port)).toBe(false);

  child.kill('SIGKILL');
  // Bounded wait for Deno to notice its closed stdin (it exits within milliseconds).
  let free = false;
  for (let i = 0; i < 100 && !free; i++) {
    free = await portIsFree(port);
    if (!free) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(free).toBe(true);
}, 120_000);
