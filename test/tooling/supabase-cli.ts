// The Supabase CLI of node_modules (the `supabase` dev dependency, whose binary comes in a per-platform optional
// package), run against a database URL from a throwaway work directory that holds a copy of supabase/config.toml
// and supabase/migrations, so the CLI's own files (supabase/.temp) never land in the repository.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MIGRATIONS_DIR } from '../../src/local/migrate.ts';
import { SYSTEM_PG_BIN } from '../helpers/system-postgres.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const SUPABASE_CLI = path.join(ROOT, 'node_modules', '.bin', 'supabase');
export const PLPGSQL_CHECK_CONTROL = path.join(
  '/usr/share/postgresql',
  path.basename(path.dirname(SYSTEM_PG_BIN)),
  'extension',
  'plpgsql_check.control',
);

/** Why `supabase db lint` cannot run here (it needs the plpgsql_check extension), or null when it can. */
export function plpgsqlCheckUnavailableReason(): string | null {
  if (!existsSync(PLPGSQL_CHECK_CONTROL))
    return `plpgsql_check is not installed (${PLPGSQL_CHECK_CONTROL} is missing: apt-get install postgresql-15-plpgsql-check)`;
  return null;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface SupabaseWorkdir {
  dir: string;
  /** Runs `supabase <args>` in the work directory; never throws for a non-zero exit. */
  run(args: string[], timeoutMs?: number): Promise<CliResult>;
  remove(): void;
}

export function supabaseWorkdir(): SupabaseWorkdir {
  const dir = mkdtempSync(path.join(tmpdir(), 'supabase-cli-'));
  cpSync(path.join(ROOT, 'supabase', 'config.toml'), path.join(dir, 'supabase', 'config.toml'));
  cpSync(MIGRATIONS_DIR, path.join(dir, 'supabase', 'migrations'), { recursive: true });
  return {
    dir,
    run(args, timeoutMs = 120_000) {
      // --agent no: the same plain output wherever it runs; --workdir: the copy, not the repository.
      const argv = [...args, '--workdir', dir, '--agent', 'no'];
      return new Promise((resolve, reject) => {
        execFile(
          SUPABASE_CLI,
          argv,
          { cwd: dir, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } },
          (error, stdout, stderr) => {
            const code = error ? (error as { code?: unknown }).code : 0;
            if (error && typeof code !== 'number') {
              reject(new Error(`supabase ${args.join(' ')} did not finish (${error.message}):\n${stdout}\n${stderr}`));
              return;
            }
            resolve({ code: code as number, stdout, stderr });
          },
        );
      });
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The URL the CLI takes: TLS off, as the throwaway server has none. */
export function cliDatabaseUrl(url: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}sslmode=disable`;
}
