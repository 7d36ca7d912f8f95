// The embedded server's lifecycle: a server orphaned by a killed process does not block the next start, and a
// server whose process is still alive is never taken away from it.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded, stopOrphan } from '../../src/local/embedded-db.ts';
import { startOwner } from '../helpers/embedded-owner.ts';
import { freePort } from '../helpers/free-port.ts';

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'embedded-db-test-'));
  chmodSync(root, 0o755);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function answers(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

describe('embedded PostgreSQL', () => {
  it('refuses to take the data directory of a server whose process is alive, and leaves that server running', async () => {
    const dataDir = path.join(root, 'alive');
    const { child, url } = await startOwner(dataDir, await freePort());
    try {
      const refused = await startEmbedded({ dataDir, port: await freePort(), log: () => {} }).catch((e: Error) => e);
      expect(String(refused)).toMatch(/in use by another running process/);
      // It says how to reach the running server instead (e.g. to migrate it), and that address works.
      const named = /DATABASE_URL=(\S+)$/.exec(String(refused))?.[1];
      expect(named).toMatch(/^postgres:\/\/postgres:postgres@127\.0\.0\.1:\d+\/postgres$/);
      expect(await answers(named as string)).toBe(true);
      expect(await answers(url)).toBe(true);
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  it('stops a server orphaned by a SIGKILLed process and starts on the same data directory, data intact', async () => {
    const dataDir = path.join(root, 'orphan');
    const { child, url } = await startOwner(dataDir, await freePort());
    const first = postgres(url, { max: 1, onnotice: () => {} });
    await first`create table kept (value text)`;
    await first`insert into kept values ('still here')`;
    await first.end();

    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(await answers(url)).toBe(true); // the orphan is still running and holds the directory

    const lines: string[] = [];
    const db = await startEmbedded({ dataDir, port: await freePort(), log: (line) => lines.push(line) });
    try {
      expect(lines.join('\n')).toMatch(/stopping an orphaned PostgreSQL server/);
      expect(await answers(url)).toBe(false); // the orphan is gone
      const sql = postgres(db.url, { max: 1, onnotice: () => {} });
      expect(await sql`select value from kept`).toEqual([{ value: 'still here' }]);
      await sql.end();
    } finally {
      await db.stop();
    }
  });

  it('stop() returns at once when the server has already shut down (Ctrl-C in a terminal reaches it too)', async () => {
    const dataDir = path.join(root, 'signalled');
    const db = await startEmbedded({ dataDir, port: await freePort(), log: () => {}, fast: true });
    const pidFile = path.join(dataDir, 'postmaster.pid');
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGINT'); // PostgreSQL's fast shutdown, as the terminal's SIGINT to the process group
    for (let i = 0; i < 200 && existsSync(pidFile); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(existsSync(pidFile)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 100)); // its exit has been seen
    const stopped = await Promise.race([
      db.stop().then(() => 'stopped'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5_000)),
    ]);
    expect(stopped).toBe('stopped');
  });

  it('a pid file whose pid now belongs to another process (even one named postgres) is stale: that process lives', async () => {
    const dataDir = path.join(root, 'reused-pid');
    mkdirSync(dataDir, { recursive: true });
    // Another process with "postgres" in its command line, as a system PostgreSQL after a reboot would be.
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'postgres', '-D', '/var/lib/other'], {
      stdio: 'ignore',
    });
    try {
      writeFileSync(path.join(dataDir, 'postmaster.pid'), `${other.pid}\n${dataDir}\n`);
      const lines: string[] = [];
      await stopOrphan(dataDir, (line) => lines.push(line));
      expect(other.exitCode).toBeNull();
      expect(() => process.kill(other.pid as number, 0)).not.toThrow();
      expect(lines).toEqual([]);
      expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
    } finally {
      other.kill('SIGKILL');
    }
  });
});
