// Serves the Edge Functions locally with real Deno (the npm package `deno`), as `supabase functions serve` would:
// one Deno process runs src/local/functions-router.ts, which imports every supabase/functions/<name>/handler.ts and
// answers at http://127.0.0.1:<port>/functions/v1/<name>. The functions' own deno.json import maps (pinned npm:
// specifiers) are merged into one; two functions pinning one package differently is an error.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { LOCAL_JWT_SECRET } from './auth-keys.ts';
import { ROOT } from './config.ts';

export const FUNCTIONS_DIR = path.join(ROOT, 'supabase/functions');
const ROUTER = path.join(ROOT, 'src/local/functions-router.ts');
export const DENO_BIN = path.join(ROOT, 'node_modules/.bin/deno');

/** What a hosted project (or the Supabase CLI) sets for its functions: never inherited from this shell. */
const HOSTED_SETTINGS = [
  'SUPABASE_DB_URL',
  'SUPABASE_URL',
  'SUPABASE_JWKS',
  'SUPABASE_SECRET_KEYS',
  'SUPABASE_PUBLISHABLE_KEYS',
  'SUPABASE_SERVICE_ROLE_KEY',
  'SUPABASE_ANON_KEY',
];

export interface FunctionsHostOptions {
  /** The database the functions use (DATABASE_URL inside the functions). */
  databaseUrl: string;
  /** Default FUNCTIONS_PORT or 54321; 0 is not supported (the router prints the port it got, though). */
  port?: number;
  /**
   * How the functions verify callers, as the platform would set it (auth-keys.ts's `functionsEnv`). Default: HS256
   * with SUPABASE_JWT_SECRET or Supabase CLI's local secret.
   */
  authEnv?: Record<string, string>;
  /** More environment for the functions (e.g. simulated API base URLs, or SYNC_DB_URL: a pooler before the database). */
  env?: Record<string, string>;
  /** Receives every line the functions print (JSON logs) and Deno's errors. */
  log?: (line: string) => void;
  /** How long to wait for Deno to listen (first start may download the npm packages). */
  startTimeoutMs?: number;
}

export interface FunctionsHost {
  /** e.g. http://127.0.0.1:54321/functions/v1 */
  url: string;
  port: number;
  functions: string[];
  stop(): Promise<void>;
}

/** The merged import map of every function's deno.json. */
export function mergedImports(dir = FUNCTIONS_DIR): Record<string, string> {
  const imports: Record<string, string> = {};
  const owner: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const file = path.join(dir, name, 'deno.json');
    if (name.startsWith('_') || !existsSync(file)) continue;
    const config = JSON.parse(readFileSync(file, 'utf8')) as { imports?: Record<string, string> };
    for (const [key, value] of Object.entries(config.imports ?? {})) {
      if (imports[key] !== undefined && imports[key] !== value) {
        throw new Error(`${name}/deno.json maps ${key} to ${value}, but ${owner[key]}/deno.json to ${imports[key]}`);
      }
      imports[key] = value;
      owner[key] = name;
    }
  }
  return imports;
}

/**
 * Writes the router's deno.json (every function's imports) into dir and returns its path. `deno coverage` must run
 * beside the same config to find the code Deno ran (test/coverage.ts).
 */
export function writeRouterConfig(dir: string): string {
  const config = path.join(dir, 'deno.json');
  writeFileSync(config, JSON.stringify({ imports: mergedImports(), lock: false, nodeModulesDir: 'none' }, null, 2));
  return config;
}

export async function startFunctionsHost(options: FunctionsHostOptions): Promise<FunctionsHost> {
  const port = options.port ?? Number(process.env.FUNCTIONS_PORT || 54_321);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`FUNCTIONS_PORT must be a TCP port (1-65535), got "${options.port ?? process.env.FUNCTIONS_PORT}"`);
  }
  const log = options.log ?? ((line: string) => console.log(line));
  const configDir = mkdtempSync(path.join(tmpdir(), 'functions-host-'));
  const config = writeRouterConfig(configDir);

  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  // The functions use DATABASE_URL below and the auth settings given here, never a hosted project's by accident.
  const jwtSecret = env.SUPABASE_JWT_SECRET || LOCAL_JWT_SECRET;
  for (const name of [...HOSTED_SETTINGS, 'SUPABASE_JWT_SECRET', 'JWT_SECRET']) delete env[name];
  // SYNC_DB_URL wins over DATABASE_URL in the functions: only `options.env` sets it (e.g. a pooler), never this shell.
  delete env.SYNC_DB_URL;
  Object.assign(env, options.authEnv ?? { SUPABASE_JWT_SECRET: jwtSecret }, options.env, {
    DATABASE_URL: options.databaseUrl,
    FUNCTIONS_PORT: String(port),
    NO_COLOR: '1',
  });

  const child = spawn(
    DENO_BIN,
    ['run', '--config', config, '--allow-net', '--allow-env', '--allow-read', '--allow-sys', ROUTER],
    // Its own process group: Ctrl-C in a terminal reaches `npm start`, which stops Deno in its turn (after the
    // ticker); should this process die, Deno exits when its stdin closes (functions-router.ts).
    { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Should this process end without stop() (a crash, a killed test run), take Deno and the temporary config along.
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(configDir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const cleanup = () => {
    process.removeListener('exit', onExit);
    rmSync(configDir, { recursive: true, force: true });
  };

  try {
    const functions = await waitForListening(child, exited, log, options.startTimeoutMs ?? 120_000);
    let stopping = false;
    void exited.then((code) => {
      if (!stopping) log(JSON.stringify({ level: 'error', msg: 'the Deno functions process exited', code }));
    });
    return {
      url: `http://127.0.0.1:${port}/functions/v1`,
      port,
      functions,
      async stop() {
        stopping = true;
        // Closing stdin makes the router call Deno.exit, which writes a coverage profile when DENO_COVERAGE_DIR is
        // set (npm run coverage); SIGTERM would not. A router that does not exit in time is terminated: after 3 s,
        // or 30 s while it writes a profile (a loaded machine), lest a cut-off profile break the report.
        child.stdin?.end();
        const late = setTimeout(
          () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          },
          env.DENO_COVERAGE_DIR ? 30_000 : 3_000,
        );
        await exited;
        clearTimeout(late);
        cleanup();
      },
    };
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    cleanup();
    throw error;
  }
}

function waitForListening(
  child: ChildProcess,
  exited: Promise<number | null>,
  log: (line: string) => void,
  timeoutMs: number,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const recent: string[] = [];
    let ready = false;
    const timer = setTimeout(
      () => reject(new Error(`Deno did not listen within ${timeoutMs} ms:\n${recent.join('\n')}`)),
      timeoutMs,
    );
    const onLine = (line: string) => {
      if (!ready) {
        recent.push(line);
        if (recent.length > 30) recent.shift();
        try {
          const message = JSON.parse(line) as { msg?: string; functions?: string[] };
          if (message.msg === 'functions listening') {
            ready = true;
            clearTimeout(timer);
            resolve(message.functions ?? []);
          }
        } catch {
          // not JSON: Deno's own output
        }
      }
      log(line);
    };
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', onLine);
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      if (ready) return;
      // Deno's own words for a port in use: say which setting to change, not its stack trace.
      if (recent.some((line) => /AddrInUse|address already in use/i.test(line))) {
        reject(new Error(`the functions' port is taken (another npm start?): set FUNCTIONS_PORT to a free port`));
      } else reject(new Error(`Deno exited (code ${code}) before listening:\n${recent.join('\n')}`));
    });
  });
}
