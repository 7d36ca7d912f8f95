// src/local/dashboard-server.ts: static files with their content types, no way out of the build folder, 404s, only GET
// and HEAD, config.json and the local sign-in page; and the build is made again exactly when a source is newer.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DashboardServer,
  dashboardPortFromEnv,
  resolveStaticPath,
  staleReason,
  startDashboardServer,
} from '../../src/local/dashboard-server.ts';

const root = mkdtempSync(path.join(tmpdir(), 'dashboard-server-'));
const dist = path.join(root, 'dist');
let server: DashboardServer;

/** A raw request (fetch would normalise `..` away before sending it). */
function get(
  target: string,
  method = 'GET',
): Promise<{ status: number; type: string; body: string; headers: Record<string, unknown> }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: target, method }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += String(chunk)));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type'] ?? ''),
          body,
          headers: res.headers,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  mkdirSync(path.join(dist, 'assets'), { recursive: true });
  mkdirSync(path.join(dist, '.hidden'), { recursive: true });
  writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(path.join(dist, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(path.join(dist, 'assets', 'index-abc.css'), 'body{}');
  writeFileSync(path.join(dist, '.hidden', 'secret.txt'), 'no');
  writeFileSync(path.join(root, 'outside.txt'), 'outside');
  server = await startDashboardServer({
    port: 0,
    root: dist,
    config: {
      supabaseUrl: 'http://127.0.0.1:54321',
      publishableKey: 'sb_publishable_x',
      auth: 'fragment',
      signInUrl: '/sign-in',
    },
    signInLinks: async () => [{ label: 'a <coordinator>', url: '/#access_token=a"b' }],
  });
});
afterAll(async () => {
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('the dashboard server', () => {
  it('serves index.html at / and the assets with their content types and caching', async () => {
    const index = await get('/');
    expect(index).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-security-policy']).toContain("connect-src 'self' http://127.0.0.1:54321");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const js = await get('/assets/index-abc.js');
    expect(js).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8', body: 'console.log(1)' });
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await get('/assets/index-abc.css')).type).toBe('text/css; charset=utf-8');
    expect((await get('/index.html?view=alerts')).status).toBe(200);
  });

  it('answers config.json from its options, and the local sign-in page with escaped links', async () => {
    const config = await get('/config.json');
    expect(config.type).toBe('application/json; charset=utf-8');
    expect(JSON.parse(config.body)).toEqual({
      supabaseUrl: 'http://127.0.0.1:54321',
      publishableKey: 'sb_publishable_x',
      auth: 'fragment',
      signInUrl: '/sign-in',
    });
    const signIn = await get('/sign-in');
    expect(signIn.status).toBe(200);
    expect(signIn.body).toContain('<a href="/#access_token=a&#34;b">a &#60;coordinator&#62;</a>');
  });

  it('never serves a file outside the build, a hidden file or a folder: 404', async () => {
    for (const target of [
      '/../outside.txt',
      '/%2e%2e/outside.txt',
      '/assets/../../outside.txt',
      '/assets/%2e%2e%2f%2e%2e%2foutside.txt',
      '/..%5coutside.txt',
      '/.hidden/secret.txt',
      '/assets',
      '/assets/',
      '/nothing.js',
      '/%00',
      '/%E0%A4%A',
    ]) {
      const res = await get(target);
      expect({ target, status: res.status, body: res.body }).toEqual({ target, status: 404, body: 'not found\n' });
    }
  });

  it('answers GET and HEAD only', async () => {
    const post = await get('/', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const head = await get('/', 'HEAD');
    expect(head).toMatchObject({ status: 200, body: '' });
  });

  it('resolves URL paths inside the root only', () => {
    expect(resolveStaticPath('/srv/dist', '/')).toBe('/srv/dist/index.html');
    expect(resolveStaticPath('/srv/dist', '/assets/a.js')).toBe('/srv/dist/assets/a.js');
    expect(resolveStaticPath('/srv/dist', '/../etc/passwd')).toBeNull();
    expect(resolveStaticPath('/srv/dist', '/%2e%2e/etc/passwd')).toBeNull();
    expect(resolveStaticPath('/srv/dist', '/.env')).toBeNull();
  });

  it('reads DASHBOARD_PORT (default 54323) and refuses what is no port', () => {
    expect(dashboardPortFromEnv({})).toBe(54_323);
    expect(dashboardPortFromEnv({ DASHBOARD_PORT: '6000' })).toBe(6000);
    expect(() => dashboardPortFromEnv({ DASHBOARD_PORT: 'x' })).toThrow(/DASHBOARD_PORT must be a TCP port/);
  });
});

describe('when the build is made again', () => {
  const project = mkdtempSync(path.join(tmpdir(), 'dashboard-build-'));
  const built = path.join(project, 'dashboard', 'dist');
  const sources = path.join(project, 'dashboard');
  const source = path.join(sources, 'src', 'main.tsx');
  const client = path.join(project, 'src', 'client', 'index.ts');
  afterAll(() => rmSync(project, { recursive: true, force: true }));
  const at = (file: string, seconds: number) => utimesSync(file, seconds, seconds);

  it('is missing, is older than a source it lists or a new file of dashboard/, or lists a file that is gone', () => {
    mkdirSync(path.dirname(source), { recursive: true });
    mkdirSync(path.dirname(client), { recursive: true });
    mkdirSync(built, { recursive: true });
    writeFileSync(source, 'x');
    writeFileSync(client, 'x');
    at(source, 1000);
    at(client, 1000);
    expect(staleReason(built, sources, project)).toBe('no build yet');

    writeFileSync(path.join(built, 'index.html'), 'x');
    writeFileSync(
      path.join(built, 'build-inputs.json'),
      JSON.stringify(['dashboard/src/main.tsx', 'src/client/index.ts']),
    );
    at(path.join(built, 'index.html'), 2000);
    expect(staleReason(built, sources, project)).toBeNull();

    at(client, 3000); // a file outside dashboard/ that the bundle read
    expect(staleReason(built, sources, project)).toBe('src/client/index.ts changed');
    at(client, 1000);

    const added = path.join(sources, 'src', 'new-view.tsx'); // not in the list yet
    writeFileSync(added, 'x');
    at(added, 3000);
    expect(staleReason(built, sources, project)).toBe('dashboard/src/new-view.tsx changed');
    at(added, 1000);
    expect(staleReason(built, sources, project)).toBeNull();

    rmSync(client);
    expect(staleReason(built, sources, project)).toBe('src/client/index.ts is gone');
  });
});
