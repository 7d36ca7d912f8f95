// A separate Node process that owns an embedded PostgreSQL server, as npm start does: killed with SIGKILL, it leaves
// the server running as an orphan that holds its data directory and port.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

/** A separate Node process that starts the embedded server and says `up <url>`; it never stops it itself. */
export function startOwner(dataDir: string, port: number): Promise<{ child: ChildProcess; url: string }> {
  const script = `
    import { startEmbedded } from ${JSON.stringify(path.resolve(import.meta.dirname, '../../src/local/embedded-db.ts'))};
    const db = await startEmbedded({ dataDir: ${JSON.stringify(dataDir)}, port: ${port}, log: () => {}, fast: true });
    console.log('up ' + db.url);
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
      const match = /up (\S+)/.exec(output);
      if (match) resolve({ child, url: match[1] as string });
    });
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    child.once('exit', (code) => reject(new Error(`owner exited (${code}) before the server was up: ${output}`)));
  });
}
