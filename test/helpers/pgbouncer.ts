// PgBouncer in transaction mode in front of the test server (Debian's `pgbouncer` package), the way Supavisor's
// port 6543 stands in front of a hosted project: many client connections share a few server connections, each lent
// for one transaction. Started on a free port, as the test server's own user and password (test/helpers/db.ts),
// removed on stop. As root it runs as the `postgres` system user: pgbouncer refuses to run as root.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.ts';
import { waitUntilAccepting } from './wait-until-accepting.ts';

const CANDIDATES = [process.env.PGBOUNCER_BIN, '/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'];
export const PGBOUNCER_BIN = CANDIDATES.find((file) => file && existsSync(file)) ?? null;

export interface PgBouncer {
  /** The URL of `database` through PgBouncer, with the server URL's user and password. */
  url(database: string): string;
  /** The admin console (`show pools`, `show stats`), as the same user. */
  adminUrl: string;
  port: number;
  /** PgBouncer's last output lines, to explain a failure. */
  output(): string;
  stop(): Promise<void>;
}

export interface PgBouncerOptions {
  /** Server connections per database and user. Default 2. */
  poolSize?: number;
  /** How long to wait for PgBouncer to accept connections. Default 15 s. */
  startTimeoutMs?: number;
}

/** Why PgBouncer cannot be used here, or null when it can. */
export function pgBouncerUnavailableReason(): string | null {
  if (!PGBOUNCER_BIN) return 'pgbouncer is not installed (apt-get install pgbouncer)';
  if (userInfo().uid === 0 && systemUser('postgres') === null) {
    return 'running as root and there is no `postgres` system user to run pgbouncer as';
  }
  return null;
}

function systemUser(name: string): { uid: number; gid: number } | null {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null;
  } catch {
    return null;
  }
}

/** A quoted value of pgbouncer's auth_file: double quotes doubled. */
const quoted = (text: string) => `"${text.replaceAll('"', '""')}"`;

/** Starts PgBouncer in front of the server of `serverUrl` (any database on it, by the same name). */
export async function startPgBouncer(serverUrl: string, options: PgBouncerOptions = {}): Promise<PgBouncer> {
  const reason = pgBouncerUnavailableReason();
  if (reason || !PGBOUNCER_BIN) throw new Error(reason ?? 'pgbouncer is not installed');
  const server = new URL(serverUrl);
  const user = decodeURIComponent(server.username);
  const password = decodeURIComponent(server.password);
  const asUser = userInfo().uid === 0 ? systemUser('postgres') : null;

  const dir = mkdtempSync(path.join(tmpdir(), 'pgbouncer-'));
  chmodSync(dir, 0o700);
  if (asUser) chownSync(dir, asUser.uid, asUser.gid);
  const port = await freePort();
  const authFile = path.join(dir, 'userlist.txt');
  const config = path.join(dir, 'pgbouncer.ini');
  // The password in plain text: PgBouncer then does SCRAM with its clients and logs in to the server as they would.
  writeFileSync(authFile, `${quoted(user)} ${quoted(password)}\n`, { mode: 0o600 });
  writeFileSync(
    config,
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || '5432'}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${authFile}`,
      `admin_users = ${user}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize ?? 2}`,
      'max_client_conn = 500',
      // What a client sends at startup that PgBouncer cannot keep per client in transaction mode is refused,
      // not ignored: a setting that silently does not apply would be worse (the functions send none under a pooler).
      'ignore_startup_parameters =',
      '',
    ].join('\n'),
  );
  if (asUser) {
    chownSync(authFile, asUser.uid, asUser.gid);
    chownSync(config, asUser.uid, asUser.gid);
  }

  const lines: string[] = [];
  const record = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > 60) lines.shift();
    }
  };
  const child: ChildProcess = spawn(PGBOUNCER_BIN, [config], { ...(asUser ?? {}), cwd: dir });
  child.stdout?.on('data', record);
  child.stderr?.on('data', record);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.on('exit', () => {
      exited = true;
      resolve();
    });
  });
  const remove = () => rmSync(dir, { recursive: true, force: true });
  // Should this process end without stop(), take PgBouncer along.
  const onExit = () => {
    if (!exited) child.kill('SIGKILL');
    remove();
  };
  process.once('exit', onExit);

  const stop = async () => {
    process.removeListener('exit', onExit);
    if (!exited) {
      child.kill('SIGINT'); // safe shutdown: waits for the transactions in flight
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    }
    remove();
  };

  const url = (database: string) => {
    const through = new URL(serverUrl);
    through.hostname = '127.0.0.1';
    through.port = String(port);
    through.pathname = `/${database}`;
    return through.toString();
  };
  const adminUrl = url('pgbouncer');

  await waitUntilAccepting({
    name: 'pgbouncer',
    url: adminUrl,
    port,
    timeoutMs: options.startTimeoutMs ?? 15_000,
    query: 'show version',
    exited: () => exited,
    stop,
    output: () => lines.join('\n'),
  });
  return { url, adminUrl, port, output: () => lines.join('\n'), stop };
}
