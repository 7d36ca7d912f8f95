// A throwaway server of the system's PostgreSQL 15 (Debian's /usr/lib/postgresql/15), for what the embedded
// server cannot load: extensions such as pg_cron that must be preloaded. initdb'd in a temp dir, started on a free
// port, removed on stop. As root, initdb and postgres run as the `postgres` system user (they refuse root).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.ts';
import { waitUntilAccepting } from './wait-until-accepting.ts';

export const SYSTEM_PG_BIN = process.env.SYSTEM_PG_BIN ?? '/usr/lib/postgresql/15/bin';
export const PG_CRON_LIBRARY = path.join(path.dirname(SYSTEM_PG_BIN), 'lib', 'pg_cron.so');

export interface SystemPostgres {
  /** Superuser URL of the `postgres` database. */
  url: string;
  port: number;
  /** The server's last output lines, to explain a failure. */
  output(): string;
  stop(): Promise<void>;
}

export interface SystemPostgresOptions {
  /** shared_preload_libraries, e.g. ['pg_cron']. */
  preload?: string[];
  /** Extra server settings (-c name=value). */
  settings?: Record<string, string>;
  /** How long to wait for the server to accept connections. Default 30 s. */
  startTimeoutMs?: number;
}

/** Why the system PostgreSQL 15 with pg_cron cannot be used here, or null when it can. */
export function pgCronUnavailableReason(): string | null {
  if (!existsSync(path.join(SYSTEM_PG_BIN, 'postgres'))) return `no system PostgreSQL 15 at ${SYSTEM_PG_BIN}`;
  if (!existsSync(PG_CRON_LIBRARY))
    return `pg_cron is not installed (${PG_CRON_LIBRARY} is missing: apt-get install postgresql-15-cron)`;
  if (userInfo().uid === 0 && postgresUser() === null) return 'running as root and there is no `postgres` system user';
  return null;
}

function postgresUser(): { uid: number; gid: number } | null {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null;
  } catch {
    return null;
  }
}

export async function startSystemPostgres(options: SystemPostgresOptions = {}): Promise<SystemPostgres> {
  const asUser = userInfo().uid === 0 ? postgresUser() : null;
  if (userInfo().uid === 0 && !asUser) throw new Error('running as root and there is no `postgres` system user');
  const dir = mkdtempSync(path.join(tmpdir(), 'system-pg-'));
  chmodSync(dir, 0o700);
  if (asUser) chownSync(dir, asUser.uid, asUser.gid);
  const dataDir = path.join(dir, 'data');
  const lines: string[] = [];
  const record = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > 60) lines.shift();
    }
  };
  const spawnOptions = { ...(asUser ?? {}), cwd: dir, env: { ...process.env, LC_ALL: 'C' } };

  const initdb = spawn(
    path.join(SYSTEM_PG_BIN, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    spawnOptions,
  );
  initdb.stdout.on('data', record);
  initdb.stderr.on('data', record);
  const initCode = await new Promise<number | null>((resolve, reject) => {
    initdb.on('error', reject);
    initdb.on('exit', resolve);
  });
  if (initCode !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (exit ${initCode}):\n${lines.join('\n')}`);
  }

  const port = await freePort();
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    ...(options.preload?.length ? { shared_preload_libraries: options.preload.join(',') } : {}),
    ...options.settings,
  };
  const args = [
    '-D',
    dataDir,
    '-p',
    String(port),
    ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];
  const server: ChildProcess = spawn(path.join(SYSTEM_PG_BIN, 'postgres'), args, spawnOptions);
  server.stdout?.on('data', record);
  server.stderr?.on('data', record);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    server.on('exit', () => {
      exited = true;
      resolve();
    });
  });

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = async () => {
    if (!exited) {
      server.kill('SIGINT'); // fast shutdown
      const timer = setTimeout(() => server.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  await waitUntilAccepting({
    name: 'PostgreSQL',
    url,
    port,
    timeoutMs: options.startTimeoutMs ?? 30_000,
    query: 'select 1',
    exited: () => exited,
    stop,
    output: () => lines.join('\n'),
  });
  return { url, port, output: () => lines.join('\n'), stop };
}

/** pg_net's net.http_post (same signature and defaults), recording each request in net.requests instead of sending. */
export const PG_NET_STAND_IN = `
  create schema net;
  create table net.requests (
    id bigserial primary key, url text, headers jsonb, body jsonb, timeout_milliseconds integer
  );
  create function net.http_post(url text, body jsonb default '{}'::jsonb, params jsonb default '{}'::jsonb,
                                headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
                                timeout_milliseconds integer default 5000)
  returns bigint language sql as $$
    insert into net.requests (url, headers, body, timeout_milliseconds)
    values (url, headers, body, timeout_milliseconds) returning id
  $$;
`;
