// The dashboard's first view on the local stack, for the seeded org with 100,000 runs per integration (with the
// integrations bench's fixture: connections, schedules, health, alerts, 30 days of an every-15-minutes ledger): the
// built dashboard served by src/local/dashboard-server.ts, the functions under Deno, Debian's chromium. Each load is a
// fresh browser context (nothing cached) and is timed from navigation start to the moment the view has shown its
// data with its buttons live (the view's `sync-run-log:view-ready:<view>` mark): HTML, JS, config.json, the API
// calls and the render. Target: the overview, the first view, interactive under 1 s. Also the integration view (its
// ledger is 30 days of 96 periods, four requests) and the size of the JS.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Browser, chromium } from 'playwright-core';
import { LOCAL_JWT_SECRET, mintUserToken } from '../src/local/auth-keys.ts';
import {
  DASHBOARD_DIST,
  ensureDashboardBuilt,
  LOCAL_PUBLISHABLE_KEY,
  startDashboardServer,
} from '../src/local/dashboard-server.ts';
import { startFunctionsHost } from '../src/local/functions-host.ts';
import { freePort } from '../test/helpers/free-port.ts';
import type { BenchContext, BenchSection } from './bench-context.ts';
import { summarize } from './bench-context.ts';
import { seedOrgIntegrations } from './integration-fixtures.ts';

export const CHROMIUM = '/usr/bin/chromium';
const DEPTH = 100_000;
const LOADS = 10;
const TARGET_MS = 1000;

/**
 * Loads a view `loads` times, each in a fresh context, and returns the ms from navigation start until the view
 * marked itself ready (dashboard/src/app-context.ts's markViewReady).
 */
export async function timeViewLoads(
  browser: Browser,
  options: { dashboardUrl: string; token: string; query: string; view: string; loads: number },
): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < options.loads; i++) {
    const context = await browser.newContext({ locale: 'en-GB', timezoneId: 'Europe/Oslo' });
    const page = await context.newPage();
    await page.goto(`${options.dashboardUrl}${options.query}#access_token=${options.token}`);
    await page.waitForFunction((view) => document.documentElement.dataset.ready === view, options.view, {
      timeout: 30_000,
    });
    const ms = await page.evaluate(
      (view) => performance.getEntriesByName(`sync-run-log:view-ready:${view}`)[0]?.startTime ?? Number.NaN,
      options.view,
    );
    samples.push(ms);
    await context.close();
  }
  return samples;
}

/** The built dashboard's JavaScript, gzipped (level 9), in KB. */
export function gzippedJsKb(dist = DASHBOARD_DIST): number {
  const assets = path.join(dist, 'assets');
  const bytes = readdirSync(assets)
    .filter((file) => file.endsWith('.js'))
    .reduce((sum, file) => sum + gzipSync(readFileSync(path.join(assets, file)), { level: 9 }).length, 0);
  return bytes / 1024;
}

export async function runDashboardBench(ctx: BenchContext): Promise<BenchSection> {
  const title = 'Dashboard: first view interactive on the local stack (chromium)';
  if (!existsSync(CHROMIUM)) {
    return { title, lines: [`skipped: ${CHROMIUM} is missing (apt-get install chromium)`], figures: {} };
  }
  const org = ctx.seeded.orgs.find((o) => o.depth === DEPTH);
  if (!org) throw new Error(`no seeded org with ${DEPTH} runs per integration`);
  await ensureDashboardBuilt({ log: ctx.log });
  ctx.log('dashboard: adding connections, schedules and a 30-day ledger to the 100k org');
  const fixture = await seedOrgIntegrations(ctx.seeded.sql, org.orgId);
  const port = await freePort();
  const host = await startFunctionsHost({
    databaseUrl: ctx.seeded.url,
    port,
    authEnv: { SUPABASE_JWT_SECRET: LOCAL_JWT_SECRET },
    log: () => {},
  });
  const dashboard = await startDashboardServer({
    port: 0,
    config: {
      supabaseUrl: `http://127.0.0.1:${port}`,
      publishableKey: LOCAL_PUBLISHABLE_KEY,
      auth: 'fragment',
      signInUrl: null,
    },
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const token = await mintUserToken({ orgId: org.orgId, userRole: 'coordinator' }, { expiresIn: 3600 });
    const base = { dashboardUrl: dashboard.url, token, loads: LOADS };
    // One load first, not counted: Deno compiles the function's modules on its first request.
    await timeViewLoads(browser, { ...base, loads: 1, query: '', view: 'overview' });
    const overview = summarize(await timeViewLoads(browser, { ...base, query: '', view: 'overview' }));
    const ledger = summarize(
      await timeViewLoads(browser, { ...base, query: '?view=integration&type=xledger', view: 'integration' }),
    );
    const js = gzippedJsKb();
    const row = (name: string, s: ReturnType<typeof summarize>) =>
      `${name.padEnd(44)}${String(LOADS).padStart(6)}${s.median.toFixed(0).padStart(12)}${s.p99.toFixed(0).padStart(12)}`;
    const met = overview.p99 < TARGET_MS;
    return {
      title,
      lines: [
        `org with ${DEPTH.toLocaleString('en')} runs per integration, plus ${fixture.periods} periods of an every-15-minutes ledger`,
        'each load a fresh browser context (no cache), timed from navigation start to the view ready with its data',
        `${'view'.padEnd(44)}${'loads'.padStart(6)}${'median ms'.padStart(12)}${'max ms'.padStart(12)}`,
        row('overview (the first view)', overview),
        row('integration: 30-day ledger, charts, history', ledger),
        `JS: ${js.toFixed(1)} KB gzipped (limit 150 KB)`,
        `target: first view interactive under ${TARGET_MS} ms: ${met ? 'met' : 'NOT met'} (slowest ${overview.p99.toFixed(0)} ms)`,
      ],
      figures: {
        overviewMedianMs: overview.median,
        overviewMaxMs: overview.p99,
        integrationMedianMs: ledger.median,
        integrationMaxMs: ledger.p99,
        jsGzippedKb: js,
      },
    };
  } finally {
    await browser.close();
    await dashboard.stop();
    await host.stop();
    await fixture.remove();
  }
}
