// The dashboard on the local stack: `npm start` builds dashboard/ with Vite when the build is missing or older than
// one of its sources (the build lists them in dist/build-inputs.json), serves the static files at
// http://127.0.0.1:$DASHBOARD_PORT/ (default 54323), answers /config.json with where the local project is, and serves
// /sign-in, a page of fresh sign-in links for the demo org's coordinator and admin (the local stand-in for an app's
// sign-in page: Supabase Auth's redirect puts the token in the URL fragment, so do these links).
// Static files only: GET and HEAD, correct content types, no directory listing, no path outside dist/, 404 otherwise.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import { type LocalAuth, localUserSub, mintUserToken } from './auth-keys.ts';
import { ROOT } from './config.ts';
import { DEMO_ORG_ID } from './demo-seed.ts';

export const DASHBOARD_DIR = path.join(ROOT, 'dashboard');
export const DASHBOARD_DIST = path.join(DASHBOARD_DIR, 'dist');
const VITE_BIN = path.join(ROOT, 'node_modules/vite/bin/vite.js');
const LOCK = path.join(DASHBOARD_DIR, '.build.lock');

/** What config.json says locally: the publishable key is a placeholder (the local functions do not check it). */
export const LOCAL_PUBLISHABLE_KEY = 'sb_publishable_local_dashboard';

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

export function dashboardPortFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.DASHBOARD_PORT;
  if (raw === undefined || raw === '') return 54_323;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65_535) {
    throw new Error(`DASHBOARD_PORT must be a TCP port (1-65535), got "${raw}"`);
  }
  return value;
}

// Building ------------------------------------------------------------------------------------------------------

/** Every file under a folder (skipping the build and the screenshots), for files the last build did not know yet. */
function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'screenshots' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(full));
    else files.push(full);
  }
  return files;
}

/** Why the build must be made again, or null when it is up to date. `root`: what build-inputs.json is relative to. */
export function staleReason(dist = DASHBOARD_DIST, sourcesDir = DASHBOARD_DIR, root = ROOT): string | null {
  const index = path.join(dist, 'index.html');
  const list = path.join(dist, 'build-inputs.json');
  if (!existsSync(index) || !existsSync(list)) return 'no build yet';
  const builtAt = statSync(index).mtimeMs;
  let inputs: string[];
  try {
    inputs = (JSON.parse(readFileSync(list, 'utf8')) as string[]).map((file) => path.join(root, file));
  } catch {
    return 'the build has no readable list of its sources';
  }
  for (const file of [...inputs, ...sourceFiles(sourcesDir)]) {
    if (!existsSync(file)) return `${path.relative(root, file)} is gone`;
    if (statSync(file).mtimeMs > builtAt) return `${path.relative(root, file)} changed`;
  }
  return null;
}

function runVite(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VITE_BIN, 'build', '--config', path.join(DASHBOARD_DIR, 'vite.config.ts')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => (output += String(chunk)));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`the dashboard build failed (vite exit ${code}):\n${output}`)),
    );
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** An exclusive lock on building (test files and a running `npm start` may ask at once); null when another holds it. */
function takeLock(): (() => void) | null {
  try {
    const fd = openSync(LOCK, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return () => {
      try {
        unlinkSync(LOCK);
      } catch {
        // already gone
      }
    };
  } catch {
    const holder = Number(readFileSync(LOCK, { encoding: 'utf8', flag: 'r' }).trim() || 'NaN');
    if (!Number.isInteger(holder) || !pidAlive(holder)) {
      try {
        unlinkSync(LOCK); // left by a process that died while building
      } catch {
        // someone else removed it first
      }
    }
    return null;
  }
}

/**
 * Builds the dashboard when the build is missing or stale, once at a time across processes. Returns what it did.
 * `waitMs` bounds the wait for another process's build.
 */
export async function ensureDashboardBuilt(
  options: { log?: (line: string) => void; waitMs?: number } = {},
): Promise<{ built: boolean; reason: string | null }> {
  const deadline = Date.now() + (options.waitMs ?? 180_000);
  for (;;) {
    const reason = staleReason();
    if (reason === null) return { built: false, reason: null };
    const release = takeLock();
    if (release) {
      try {
        const again = staleReason(); // another process may have built it meanwhile
        if (again === null) return { built: false, reason: null };
        options.log?.(`dashboard: building it with Vite (${again})`);
        await runVite();
        return { built: true, reason: again };
      } finally {
        release();
      }
    }
    if (Date.now() > deadline) throw new Error('the dashboard build of another process did not finish in time');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// Serving -------------------------------------------------------------------------------------------------------

/** config.json: see dashboard/src/config.ts and docs/dashboard.md. */
export interface DashboardConfigFile {
  supabaseUrl: string;
  publishableKey: string;
  auth: 'fragment' | 'supabase';
  signInUrl: string | null;
  pollMs?: number;
}

export interface SignInLink {
  label: string;
  url: string;
}

export interface DashboardServerOptions {
  port: number;
  /** 127.0.0.1 unless given: the local stack is for this machine. */
  host?: string;
  /** The built files (default dashboard/dist). */
  root?: string;
  /** Served as /config.json (a config.json file in root is served when this is not given). */
  config?: DashboardConfigFile;
  /** Fresh sign-in links for /sign-in (local only). */
  signInLinks?: () => Promise<SignInLink[]>;
}

export interface DashboardServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** The file a URL path names inside root, or null when it names nothing there (outside root, hidden, malformed). */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const relative = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
  const file = path.resolve(root, relative);
  const inside = path.relative(root, file);
  if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) return null;
  if (inside.split(path.sep).some((part) => part.startsWith('.'))) return null;
  return file;
}

function securityHeaders(connectTo: string | null): Record<string, string> {
  const connect = connectTo ? `'self' ${new URL(connectTo).origin}` : `'self'`;
  return {
    'content-security-policy': `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${connect}; frame-ancestors 'none'; base-uri 'self'; form-action 'self'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function signInPage(links: SignInLink[]): string {
  const items = links.map((link) => `<li><a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a></li>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>Sign in · local stack</title></head>
<body><main><h1>Sign in (local stack)</h1>
<p>The local stack has no sign-in of its own: these links carry a fresh access token in the URL fragment, as Supabase Auth's redirect does.</p>
<ul>${items.join('')}</ul></main></body></html>
`;
}

export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const root = path.resolve(options.root ?? DASHBOARD_DIST);
  const headers = securityHeaders(options.config?.supabaseUrl ?? null);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const send = (status: number, type: string, body: string | Buffer, more: Record<string, string> = {}) => {
      response.writeHead(status, {
        ...headers,
        'content-type': type,
        'content-length': Buffer.byteLength(body),
        ...more,
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return send(405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/config.json' && options.config) {
      return send(200, CONTENT_TYPES['.json'] as string, `${JSON.stringify(options.config)}\n`, {
        'cache-control': 'no-store',
      });
    }
    if ((url.pathname === '/sign-in' || url.pathname === '/sign-in/') && options.signInLinks) {
      return send(200, CONTENT_TYPES['.html'] as string, signInPage(await options.signInLinks()), {
        'cache-control': 'no-store',
      });
    }
    const file = resolveStaticPath(root, url.pathname);
    let body: Buffer | null = null;
    if (file) {
      try {
        if (statSync(file).isFile()) body = await readFile(file);
      } catch {
        body = null;
      }
    }
    if (!file || !body) return send(404, 'text/plain; charset=utf-8', 'not found\n', { 'cache-control': 'no-store' });
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    const hashed = path.relative(root, file).startsWith(`assets${path.sep}`);
    send(200, type, body, { 'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache' });
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('internal error\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// npm start -------------------------------------------------------------------------------------------------------

/** How long the printed sign-in links stay valid (the /sign-in page mints fresh ones). */
export const LOCAL_SIGN_IN_SECONDS = 8 * 3600;

/**
 * What `npm start` runs: builds the dashboard if needed, serves it with config.json pointing at the local functions,
 * and prints the sign-in links of the demo org's coordinator and admin. Null (and a line saying why) when the port
 * is taken: the rest of the stack is still useful.
 */
export async function startLocalDashboard(options: {
  supabaseUrl: string;
  auth: LocalAuth;
  log: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Whether the demo org was seeded (DEMO): the sign-in links say what they lead to. Default true. */
  demo?: boolean;
}): Promise<DashboardServer | null> {
  const port = dashboardPortFromEnv(options.env);
  await ensureDashboardBuilt({ log: options.log });
  let base = `http://127.0.0.1:${port}/`;
  const signer = options.auth.key
    ? { key: options.auth.key, expiresIn: LOCAL_SIGN_IN_SECONDS }
    : { secret: options.auth.jwtSecret ?? undefined, expiresIn: LOCAL_SIGN_IN_SECONDS };
  const link = async (userRole: string) =>
    `${base}#access_token=${await mintUserToken({ orgId: DEMO_ORG_ID, userRole, sub: localUserSub(userRole) }, signer)}`;
  // With DEMO=off the org has no data of its own: the links say so rather than promise a demo.
  const org = options.demo === false ? `org ${DEMO_ORG_ID} (DEMO=off: empty unless you add to it)` : 'the demo org';
  const signInLinks = async () => [
    { label: `${org}'s coordinator`, url: await link('coordinator') },
    { label: `${org}'s admin`, url: await link('admin') },
  ];
  let server: DashboardServer;
  try {
    server = await startDashboardServer({
      port,
      config: {
        supabaseUrl: options.supabaseUrl,
        publishableKey: LOCAL_PUBLISHABLE_KEY,
        auth: 'fragment',
        signInUrl: '/sign-in',
      },
      signInLinks,
    });
  } catch (error) {
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    options.log(`dashboard: not started: port ${port} is in use (another npm start?); set DASHBOARD_PORT`);
    return null;
  }
  base = server.url;
  options.log(`dashboard: ${server.url} (DASHBOARD_PORT)`);
  const [coordinator, admin] = await signInLinks();
  options.log(`dashboard: sign in as the demo org's coordinator: ${coordinator?.url}`);
  options.log(`dashboard: sign in as the demo org's admin:       ${admin?.url}`);
  return server;
}
