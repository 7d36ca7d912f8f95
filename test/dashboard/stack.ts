// The dashboard's browser tests run against the local stack: the Edge Functions under real Deno on this test file's
// own database (test/functions/harness.ts), the demo org seeded as `npm start` seeds it plus a second org, the
// simulated vendor APIs, the executor that runs "Sync now" (the local ticker's claim path), the built dashboard
// served by src/local/dashboard-server.ts, and Debian's chromium driven by playwright-core.
// Chromium is a Debian package (.ci/run installs it): without it the browser tests fail under CI and skip elsewhere.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import {
  type DashboardServer,
  ensureDashboardBuilt,
  LOCAL_PUBLISHABLE_KEY,
  startDashboardServer,
} from '../../src/local/dashboard-server.ts';
import { DEMO_ORG_ID, seedDemoOrg } from '../../src/local/demo-seed.ts';
import { startSimulatedApis } from '../../src/local/simulated-apis/index.ts';
import type { SimulatedServer } from '../../src/local/simulated-apis/server.ts';
import { SERVICE_CONTEXT } from '../../supabase/functions/_shared/database.ts';
import { createAdapters } from '../../supabase/functions/_shared/integrations/registry.ts';
import { jsonLogger } from '../../supabase/functions/_shared/log.ts';
import { schedulerSettingsFromEnv } from '../../supabase/functions/_shared/scheduler/config.ts';
import { claimQueuedRuns } from '../../supabase/functions/_shared/scheduler/queued-runs.ts';
import { createSchedulerRuntime } from '../../supabase/functions/_shared/scheduler/runtime.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import { type Harness, startHarness } from '../functions/harness.ts';
import { freePort } from '../helpers/free-port.ts';

export const CHROMIUM = '/usr/bin/chromium';
/**
 * Where the browser tests save their screenshots: the committed dashboard/screenshots/ with UPDATE_SCREENSHOTS=1
 * (`npm run screenshots`), a temporary directory otherwise, so that a test run leaves the checkout as it was.
 */
export const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? path.resolve(import.meta.dirname, '../../dashboard/screenshots')
  : path.join(tmpdir(), 'sync-run-log-screenshots');
/** How often the dashboard polls running runs in these tests (config.json's pollMs). */
export const POLL_MS = 250;

/** A phone's browser context (390 x 844 CSS px, touch), for stack.open({ context: PHONE }). */
export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

/** Why the browser tests cannot run here, or null. */
export const browserUnavailable: string | null = existsSync(CHROMIUM)
  ? null
  : `${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)`;
export const inCi = Boolean(process.env.CI);

export interface Stack {
  harness: Harness;
  dashboard: DashboardServer;
  browser: Browser;
  apis: SimulatedServer[];
  demoOrg: string;
  /** A second org, whose data no user of the demo org may see. */
  otherOrg: string;
  /** The second org's runs (ids) and the text only its data has (its Xledger company is 918273645). */
  other: { runIds: string[]; marker: string };
  /** A user's token for an org (default: the demo org's coordinator). */
  token(options?: { orgId?: string; role?: string; expiresIn?: number }): Promise<string>;
  /** A browser page signed in as the token's user, on the view of `query` (e.g. `?view=alerts`). */
  open(options?: {
    orgId?: string;
    role?: string;
    query?: string;
    expiresIn?: number;
    context?: BrowserContextOptions;
    /** Runs before the page loads (e.g. a fixed clock). */
    prepare?: (context: BrowserContext) => Promise<void>;
  }): Promise<{ page: Page; context: BrowserContext }>;
  stop(): Promise<void>;
}

/**
 * The second org: an Xledger connection and schedule, and runs whose error text names it; a Bufdir schedule without
 * a connection or runs, and nothing at all for Dynamics (the empty states).
 */
async function seedOtherOrg(harness: Harness, orgId: string): Promise<{ runIds: string[]; marker: string }> {
  const sql = harness.db.sql;
  const marker = 'ORG-B-ONLY vendor said no';
  await sql`select 1 from public.upsert_sync_connection(${orgId}, 'xledger', ${sql.json({ companyId: 918_273_645 })}::jsonb,
    ${sql.json({ apiToken: 'local-xledger-token' })}::jsonb, true)`;
  await sql`select 1 from public.upsert_sync_schedule(${orgId}, 'xledger', '15 7 * * *', 'Europe/Oslo', true, 900,
    now() - interval '20 days')`;
  await sql`select 1 from public.upsert_sync_schedule(${orgId}, 'bufdir', '0 14 * * *', 'Europe/Oslo', true, 900,
    now() - interval '1 day')`;
  const rows = await sql<{ id: string }[]>`
    insert into public.sync_run_log (org_id, integration_type, status, started_at, ended_at, heartbeat_at,
      records_processed, records_failed, error_message, triggered_by)
    select ${orgId}::uuid, 'xledger', 'failed', now() - g * interval '1 day', now() - g * interval '1 day' + interval '5 s',
      now() - g * interval '1 day' + interval '5 s', 11, 7, ${marker}, 'manual'
    from generate_series(1, 3) g
    returning id`;
  await sql`insert into public.sync_alerts (org_id, kind, integration_type, run_id, details, dedupe_key)
    values (${orgId}, 'stuck_run', 'xledger', ${rows[0]?.id ?? null}, '{}'::jsonb, ${`stuck_run:${rows[0]?.id}`})`;
  return { runIds: rows.map((row) => row.id), marker };
}

/** The health monitor's rows as its checks would leave them: Xledger healthy, Dynamics degraded, Bufdir passive. */
async function seedHealth(harness: Harness, orgId: string): Promise<void> {
  await harness.db.sql`
    insert into public.integration_health (org_id, integration_type, status, mode, consecutive_failures,
      next_check_at, passive_until, last_checked_at, last_success_at, last_latency_ms, last_error, updated_at)
    values
      (${orgId}, 'xledger', 'healthy', 'active', 0, now() + interval '14 minutes', null, now() - interval '1 minute',
        now() - interval '1 minute', 182, null, now()),
      (${orgId}, 'dynamics', 'unhealthy', 'active', 1, now() + interval '29 minutes', null,
        now() - interval '1 minute', now() - interval '16 minutes', 5003, 'dynamics: GET /api/data/v9.2/ answered 503',
        now()),
      (${orgId}, 'bufdir', 'healthy', 'passive', 0, now() + interval '58 minutes', now() + interval '58 minutes',
        now() - interval '2 minutes', now() - interval '2 minutes', 96, null, now())`;
}

export async function startStack(options: { seedDemo?: boolean } = {}): Promise<Stack> {
  await ensureDashboardBuilt();
  const env: Record<string, string> = {};
  const simulated = await startSimulatedApis(
    { xledgerPort: await freePort(), dynamicsPort: await freePort(), bufdirPort: await freePort() },
    env,
  );
  const logs: string[] = [];
  const harness = await startHarness();
  const demoOrg = DEMO_ORG_ID;
  const otherOrg = randomUUID();
  if (options.seedDemo !== false) {
    await seedDemoOrg(harness.db.sql);
    await seedHealth(harness, demoOrg);
  }
  const other = await seedOtherOrg(harness, otherOrg);

  // The executor of "Sync now", as the local ticker runs it between ticks (no ticks here: a scheduled period
  // starting in the middle of a test would make its Sync now a 409).
  const runtime = createSchedulerRuntime({
    rpc: createSqlRpc(harness.db.sql, SERVICE_CONTEXT),
    adapters: createAdapters(env),
    log: jsonLogger((line) => logs.push(line)),
    settings: schedulerSettingsFromEnv({}),
    health: null,
  });
  let claiming = true;
  let claimTimer: ReturnType<typeof setTimeout> | undefined;
  const claimLoop = () => {
    claimTimer = setTimeout(async () => {
      await claimQueuedRuns({ ...runtime.deps, queue: runtime.queue }).catch(() => []);
      if (claiming) claimLoop();
    }, 200);
  };
  claimLoop();

  const origin = new URL(harness.host.url).origin;
  const dashboard = await startDashboardServer({
    port: 0,
    config: {
      supabaseUrl: origin,
      publishableKey: LOCAL_PUBLISHABLE_KEY,
      auth: 'fragment',
      signInUrl: '/sign-in',
      pollMs: POLL_MS,
    },
    signInLinks: async () => [
      { label: "the demo org's coordinator", url: `/#access_token=${await harness.userToken(demoOrg)}` },
    ],
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  mkdirSync(SCREENSHOTS, { recursive: true });

  const token: Stack['token'] = ({ orgId = demoOrg, role = 'coordinator', expiresIn } = {}) =>
    harness.userToken(orgId, role, expiresIn === undefined ? {} : { expiresIn });

  return {
    harness,
    dashboard,
    browser,
    apis: simulated.servers,
    demoOrg,
    otherOrg,
    other,
    token,
    async open({ orgId, role, query = '', expiresIn, context: contextOptions = {}, prepare } = {}) {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        locale: 'en-GB',
        timezoneId: 'Europe/Oslo',
        ...contextOptions,
      });
      await prepare?.(context);
      const page = await context.newPage();
      const access = await token({ orgId, role, expiresIn });
      await page.goto(`${dashboard.url}${query}#access_token=${access}`);
      return { page, context };
    },
    async stop() {
      claiming = false;
      clearTimeout(claimTimer);
      await browser.close().catch(() => {});
      await dashboard.stop();
      await Promise.race([runtime.executor.idle(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
      await harness.stop();
      await simulated.stop();
    },
  };
}

/** Screenshots of the test run (committed: the README shows the overview). */
export function screenshotPath(name: string): string {
  return path.join(SCREENSHOTS, `${name}.png`);
}

/** A screenshot of the whole page: the viewport made as tall as the document (at most 8000 px) for the shot. */
export async function screenshotPage(page: Page, name: string): Promise<void> {
  const viewport = page.viewportSize() ?? { width: 1280, height: 900 };
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: viewport.width, height: Math.min(8000, Math.max(viewport.height, height)) });
  await page.screenshot({ path: screenshotPath(name) });
  await page.setViewportSize(viewport);
}

/** Waits until the view has shown its data (app-context.ts's markViewReady). */
export async function viewReady(page: Page, view: string): Promise<void> {
  await page.waitForFunction((name) => document.documentElement.dataset.ready === name, view, { timeout: 20_000 });
}
