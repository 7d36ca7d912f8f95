// The dashboard's build: JS under 150 KB gzipped (measured from the built files, the figure printed), and the layout
// rule: dashboard code reaches the API only through src/client (and dashboard/src/api.ts), never
// supabase/functions directly, and no view fetches on its own.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_DIR, DASHBOARD_DIST, ensureDashboardBuilt } from '../../src/local/dashboard-server.ts';

const JS_LIMIT_BYTES = 150 * 1024;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
  );
}

describe('the dashboard build', () => {
  beforeAll(async () => {
    await ensureDashboardBuilt();
  }, 180_000);

  it('ships under 150 KB of gzipped JavaScript', () => {
    const built = files(DASHBOARD_DIST);
    const js = built.filter((file) => file.endsWith('.js'));
    expect(js.length).toBeGreaterThan(0);
    const gzipped = js.reduce((sum, file) => sum + gzipSync(readFileSync(file), { level: 9 }).length, 0);
    const raw = js.reduce((sum, file) => sum + readFileSync(file).length, 0);
    const css = built
      .filter((file) => file.endsWith('.css'))
      .reduce((sum, file) => sum + gzipSync(readFileSync(file), { level: 9 }).length, 0);
    console.log(
      `dashboard JS: ${(gzipped / 1024).toFixed(1)} KB gzipped (${(raw / 1024).toFixed(1)} KB raw, ${js.length} file(s); ` +
        `limit 150 KB); CSS ${(css / 1024).toFixed(1)} KB gzipped`,
    );
    expect(gzipped).toBeLessThan(JS_LIMIT_BYTES);
  });

  it('index.html loads its assets by relative URLs, so the files deploy under any path', () => {
    const html = readFileSync(path.join(DASHBOARD_DIST, 'index.html'), 'utf8');
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(urls.some((url) => url.startsWith('./assets/'))).toBe(true);
    for (const url of urls) expect(url.startsWith('/') || url.startsWith('http')).toBe(false);
  });
});

describe('the layout rule: arrows point down', () => {
  const sources = files(path.join(DASHBOARD_DIR, 'src')).filter((file) => /\.(ts|tsx)$/.test(file));
  const importsOf = (file: string) =>
    [...readFileSync(file, 'utf8').matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1] as string);

  it('dashboard code imports only itself, src/client and packages: never supabase/functions', () => {
    const outside: string[] = [];
    for (const file of sources) {
      for (const specifier of importsOf(file)) {
        if (!specifier.startsWith('.')) continue; // a package
        const target = path.resolve(path.dirname(file), specifier);
        const inDashboard = target.startsWith(path.join(DASHBOARD_DIR, 'src'));
        const inClient = target.startsWith(path.resolve(DASHBOARD_DIR, '../src/client'));
        if (!inDashboard && !inClient) outside.push(`${path.relative(DASHBOARD_DIR, file)} -> ${specifier}`);
      }
    }
    expect(outside).toEqual([]);
  });

  /** The code without its comments (roughly: // lines and /* blocks *\/), so that prose does not count. */
  const code = (file: string) =>
    readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');

  it('only api.ts reaches the API, only config.ts fetches (config.json), and only api.ts imports src/client', () => {
    const fetching = sources.filter((file) => /\bfetch\(/.test(code(file)));
    expect(fetching.map((file) => path.relative(DASHBOARD_DIR, file))).toEqual(['src/config.ts']);
    const client = sources.filter((file) => importsOf(file).some((s) => s.includes('src/client')));
    expect(client.map((file) => path.relative(DASHBOARD_DIR, file))).toEqual(['src/api.ts']);
    const invoking = sources.filter(
      (file) => /functions\.invoke/.test(code(file)) || importsOf(file).includes('@supabase/supabase-js'),
    );
    expect(invoking.map((file) => path.relative(DASHBOARD_DIR, file))).toEqual(['src/api.ts']);
  });
});
