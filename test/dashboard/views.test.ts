// Every view of the dashboard renders the demo org's data in a real browser (Debian's chromium), checked against
// what the API says; a coordinator of one org never sees the other's; only admins have settings; an expired token
// sends you back to sign in; Norwegian follows the browser. Screenshots of each view go to SCREENSHOTS (stack.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, dayKeyOf, startOfDay } from '../../dashboard/src/format.ts';
import { LOCAL_PUBLISHABLE_KEY, startDashboardServer } from '../../src/local/dashboard-server.ts';
import { call } from '../functions/harness.ts';
import {
  browserUnavailable,
  inCi,
  PHONE,
  type Stack,
  screenshotPage,
  screenshotPath,
  startStack,
  viewReady,
} from './stack.ts';

if (browserUnavailable) console.warn(`dashboard browser tests skipped: ${browserUnavailable}`);

it.runIf(browserUnavailable !== null && inCi)('chromium is installed (required under CI: .ci/run installs it)', () => {
  throw new Error(`CI must run the dashboard's browser tests, but ${browserUnavailable}`);
});

// A browser test does many round trips; under the whole suite's load it gets more than vitest's default 30 s.
describe.skipIf(browserUnavailable !== null)('dashboard views in chromium', { timeout: 120_000 }, () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 180_000);
  afterAll(async () => stack?.stop());

  // biome-ignore lint/suspicious/noExplicitAny: the API's JSON, as the tests read it
  async function api(path: string, role = 'coordinator', orgId?: string): Promise<any> {
    const res = await call(stack.harness.url('sync-run-log', path), { token: await stack.token({ role, orgId }) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }

  /** As the dashboard writes a time in Europe/Oslo for en-GB. */
  const format = (iso: string) =>
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Oslo',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
    }).format(new Date(iso));

  it('overview: a card per integration with its last run, next period, vendor health, open alerts and Sync now', async () => {
    // The demo's schedules and ticker keep running: the page shows the API's state from just before or just after
    // it loaded (a period boundary may fall in between), so each card must match one of the two, wholly.
    const { integrations } = await api('/integrations');
    const { page, context } = await stack.open();
    await viewReady(page, 'overview');
    const after = (await api('/integrations')).integrations;
    expect(page.url()).not.toContain('access_token'); // taken from the address bar
    const cards = page.locator('article.card');
    await expect(cards.count()).resolves.toBe(integrations.length);
    const names: Record<string, string> = {
      xledger: 'Xledger',
      dynamics: 'Microsoft Dynamics',
      bufdir: 'Bufdir export',
    };
    for (const [index, entry] of integrations.entries()) {
      const card = page.locator('article.card', {
        has: page.getByRole('heading', { name: names[entry.integrationType] }),
      });
      const text = (await card.textContent()) ?? '';
      const matches = [entry, after[index]].map((snapshot) => missing(text, expectedParts(snapshot, format)));
      expect(
        matches.some((parts) => parts.length === 0),
        JSON.stringify(matches),
      ).toBe(true);
      expect(await card.locator('.status svg').first().getAttribute('aria-hidden')).toBe('true'); // icon + word
      // Sync now, or Cancel while a run of the live demo schedule happens to be going on.
      await expect(card.getByRole('button', { name: /^(Sync now|Cancel run)/ }).isEnabled()).resolves.toBe(true);
    }
    // Times say the viewer's local time and UTC on hover.
    const title = await page.locator('article.card time').first().getAttribute('title');
    expect(title).toMatch(/Your time: .*\nUTC: .*UTC/);
    await screenshotPage(page, 'overview');
    await context.close();

    const dark = await stack.open({ context: { colorScheme: 'dark' } });
    await viewReady(dark.page, 'overview');
    const background = await dark.page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    expect(background).toBe('rgb(17, 19, 23)'); // the dark theme follows the system
    await screenshotPage(dark.page, 'overview-dark');
    await dark.context.close();
  });

  it('integration: the 30-day ledger, charts with their numbers, filtered and paged history, a run with its error', async () => {
    const { page, context } = await stack.open({ query: '?view=integration&type=xledger' });
    await viewReady(page, 'integration');
    // The ledger: 30 days, each a link that names its outcomes in words.
    const days = page.locator('ol.strip > li > a');
    await expect(days.count()).resolves.toBe(30);
    const today = page.locator('ol.strip a[aria-current="true"]');
    await expect(today.count()).resolves.toBe(1);
    // Three days ago the demo's scheduler was down (01:12-03:41 UTC of the UTC day three days back: demo-history.ts),
    // so that day in Oslo has missed and late periods. Between Oslo's midnight and UTC's, Oslo is a day ahead.
    const outage = new Date(Math.floor(Date.now() / 86_400_000 - 3) * 86_400_000 + 2 * 3_600_000);
    const dayKey = dayKeyOf(outage, 'Europe/Oslo');
    await page.locator(`ol.strip a[href*="day=${dayKey}"]`).click();
    await page.waitForURL(new RegExp(`day=${dayKey}`));
    const label = await page.locator(`ol.strip a[href*="day=${dayKey}"] .visually-hidden`).textContent();
    expect(label).toMatch(/\d+ missed/);
    const from = startOfDay(dayKey, 'Europe/Oslo');
    const to = startOfDay(addDays(dayKey, 1), 'Europe/Oslo');
    const { periods } = await api(`/integrations/xledger/periods?from=${from.toISOString()}&to=${to.toISOString()}`);
    const rows = page.locator('table.periods tbody tr');
    await expect(rows.count()).resolves.toBe(periods.length);
    const missed = periods.filter((p: { outcome: string }) => p.outcome === 'missed').length;
    expect(missed).toBeGreaterThan(0);
    await expect(page.locator('table.periods tbody tr', { hasText: 'Missed' }).count()).resolves.toBe(missed);
    await expect(page.locator('table.periods caption').textContent()).resolves.toContain('(Europe/Oslo time)');

    // Charts: uPlot canvases, each with a sentence and a table of 30 days beside it.
    for (const id of ['duration', 'records', 'drift']) {
      const section = page.locator(`section.chart:has(#${id}-title)`);
      await expect(section.locator('canvas').count()).resolves.toBeGreaterThan(0);
      await expect(section.locator('.summary').textContent()).resolves.toMatch(/\w+/);
      await expect(section.locator('tbody tr').count()).resolves.toBe(30);
      // The chart's key: each column of numbers heads with its line, a colour of its own.
      const keys = await section
        .locator('thead .key')
        .evaluateAll((spans) => spans.map((span) => getComputedStyle(span).borderTopColor));
      expect(keys).toHaveLength(2);
      expect(new Set(keys).size).toBe(2);
    }
    await expect(page.locator('section.chart:has(#drift-title) thead').textContent()).resolves.toContain(
      '5-minute line',
    );
    await screenshotPage(page, 'integration');

    // History: the status filter goes to the URL; every row then has that status; keyset pages follow.
    await page.getByLabel('Status').selectOption('completed');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/status=completed/);
    await page.waitForSelector('table.runs caption:has-text("Completed")');
    const statuses = await page.locator('table.runs tbody td:nth-child(2)').allTextContents();
    expect(statuses.length).toBe(25);
    expect(new Set(statuses.map((s) => s.trim()))).toEqual(new Set(['Completed']));
    const firstPage = await page
      .locator('table.runs tbody a')
      .evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    await page.getByRole('link', { name: 'Older runs' }).click();
    await page.waitForURL(/cursor=/);
    await page.waitForFunction(
      (first) => document.querySelector('table.runs tbody a')?.getAttribute('href') !== first,
      firstPage[0],
    );
    const secondPage = await page
      .locator('table.runs tbody a')
      .evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    expect(secondPage.some((href) => firstPage.includes(href))).toBe(false);
    expect(page.url()).toContain('status=completed');

    // A failed run's detail shows its sanitised error, as the API has it.
    const failed = (await api('/runs?integrationType=xledger&status=failed&limit=1')).runs[0];
    await page.goto(`${stack.dashboard.url}?view=integration&type=xledger&status=failed`);
    await page.locator(`table.runs a[href*="run=${failed.id}"]`).click();
    await page.waitForSelector('#run-heading:has-text("Run of")');
    await expect(page.locator('.run-detail .error-text').textContent()).resolves.toBe(failed.errorMessage);
    // The viewer is in the schedule's zone (Europe/Oslo): its times are not written twice, UTC beside them.
    const asides = await page.locator('.run-detail .facts .muted').allTextContents();
    expect(asides.length).toBeGreaterThan(0);
    for (const aside of asides) expect(aside).toMatch(/^UTC: .+ UTC$/);
    await expect(page.locator('#run-heading').evaluate((h) => h === document.activeElement)).resolves.toBe(true);
    await page.screenshot({ path: screenshotPath('run-detail'), fullPage: false });
    await context.close();
  });

  it('alerts: drift, stuck, failed, missed and a stopped scheduler, linking to their run or period, newest first', async () => {
    const { alerts } = await api('/alerts?limit=50');
    const { page, context } = await stack.open({ query: '?view=alerts' });
    await viewReady(page, 'alerts');
    const rows = page.locator('table.alerts tbody tr');
    await expect(rows.count()).resolves.toBe(alerts.length);
    const kinds = await page.locator('table.alerts tbody td:nth-child(2)').allTextContents();
    const words: Record<string, string> = {
      schedule_drift: 'Drift',
      stuck_run: 'Stuck run',
      run_failed: 'Failed run',
      scheduler_stalled: 'Scheduler stopped',
      missed_periods: 'Missed periods',
      cold_start: 'Cold start',
    };
    expect(kinds.map((k) => k.trim())).toEqual(alerts.map((a: { kind: string }) => words[a.kind]));
    expect(alerts.map((a: { kind: string }) => a.kind)).toEqual(
      expect.arrayContaining(['run_failed', 'scheduler_stalled']),
    );
    for (const [i, alert] of alerts.entries()) {
      const link = rows.nth(i).locator('td:nth-child(5) a');
      const href = (await link.count()) === 0 ? null : await link.getAttribute('href');
      if (alert.kind === 'run_failed') {
        // The failed export says what the vendor answered.
        await expect(rows.nth(i).locator('td:nth-child(4)').textContent()).resolves.toBe(
          `A scheduled run failed: ${alert.details.error_message}`,
        );
      }
      if (alert.kind === 'missed_periods') expect(href).toMatch(/view=integration&type=\w+&day=\d{4}-\d{2}-\d{2}/);
      else if (alert.kind === 'scheduler_stalled')
        expect(href).toBeNull(); // about no run and no one period
      else expect(href).toContain(`run=${alert.runId}`);
      const state = await rows.nth(i).locator('td:nth-child(6)').textContent();
      expect(state).toMatch(alert.acknowledgedAt ? /^Acknowledged/ : /^Acknowledge/);
    }
    await screenshotPage(page, 'alerts');
    // The drift alert's link opens its run.
    const drift = alerts.find((a: { kind: string }) => a.kind === 'schedule_drift');
    await page.locator(`a[href*="run=${drift.runId}"]`).click();
    await page.waitForSelector('#run-heading:has-text("Run of")');
    expect(page.url()).toContain(`run=${drift.runId}`);
    await context.close();
  });

  it("a page link the service no longer takes (a cursor it refuses) offers the list's first page, not Try again", async () => {
    // Cursors made before they named their list, or edited by hand: well-formed characters, refused by the function.
    for (const { query, view, link, table } of [
      { query: '?view=alerts&cursor=bm90LWEtY3Vyc29y', view: 'alerts', link: 'Newest alerts', table: 'table.alerts' },
      {
        query: '?view=integration&type=xledger&status=failed&cursor=bm90LWEtY3Vyc29y',
        view: 'integration',
        link: 'Newest runs',
        table: 'table.runs',
      },
    ]) {
      const { page, context } = await stack.open({ query });
      await page.waitForSelector('.problem');
      expect(await page.locator('.problem').getByRole('button').count()).toBe(0);
      const first = page.locator('.problem').getByRole('link', { name: link });
      expect((await first.boundingBox())?.height).toBeGreaterThanOrEqual(24); // a thumb's target
      await first.click();
      await page.waitForSelector(`${table} tbody tr`);
      expect(page.url()).not.toContain('cursor=');
      if (view === 'integration') expect(page.url()).toContain('status=failed'); // the filters stay
      await context.close();
    }
  });

  it('settings: an admin sees connections with "set on <date>" and never a credential; a coordinator has none', async () => {
    const { integrations } = await api('/integrations', 'admin');
    const admin = await stack.open({ role: 'admin', query: '?view=settings' });
    await viewReady(admin.page, 'settings');
    await expect(admin.page.getByRole('link', { name: 'Settings' }).count()).resolves.toBe(1);
    await expect(admin.page.locator('section.settings').count()).resolves.toBe(integrations.length);
    const html = await admin.page.content();
    for (const secret of [
      'local-xledger-token',
      'local-dynamics-secret',
      'local-dynamics-client',
      'local-bufdir-key',
    ]) {
      expect(html).not.toContain(secret);
    }
    for (const input of await admin.page.locator('input[type="password"]').all()) {
      await expect(input.inputValue()).resolves.toBe('');
    }
    await expect(admin.page.locator('text=Set on').count()).resolves.toBe(integrations.length);
    await expect(admin.page.getByLabel('Xledger company id (optional)').inputValue()).resolves.toBe('24601');
    // The cron field says what it means and shows the next 3 periods.
    const xledger = admin.page.locator('section.settings', {
      has: admin.page.getByRole('heading', { name: 'Xledger' }),
    });
    await expect(xledger.locator('.preview').textContent()).resolves.toContain('every 5 minutes (Europe/Oslo time)');
    await expect(xledger.locator('.preview ol li').count()).resolves.toBe(3);
    await screenshotPage(admin.page, 'settings');
    await admin.context.close();

    const coordinator = await stack.open({ query: '?view=settings' });
    await viewReady(coordinator.page, 'settings');
    await expect(coordinator.page.getByRole('link', { name: 'Settings' }).count()).resolves.toBe(0);
    await expect(coordinator.page.locator('form').count()).resolves.toBe(0);
    await expect(coordinator.page.locator('main').textContent()).resolves.toContain(
      'Settings are for admins. Your role (coordinator) may see every integration, sync now and cancel runs',
    );
    await coordinator.context.close();
  });

  it('settings: a schedule stored under an old zone name (Europe/Kiev) keeps it offered after another is picked', async () => {
    // The other org's Bufdir schedule, put back afterwards (a later test reads it).
    const { integrations } = await api('/integrations', 'admin', stack.otherOrg);
    const { cronExpression, timeZone, enabled, runTimeoutSeconds } = integrations.find(
      (entry: { integrationType: string }) => entry.integrationType === 'bufdir',
    ).schedule;
    const token = await stack.token({ orgId: stack.otherOrg, role: 'admin' });
    const putSchedule = (body: Record<string, unknown>) =>
      call(stack.harness.url('sync-run-log', '/integrations/bufdir/schedule'), { method: 'PUT', token, body });
    const put = await putSchedule({ cronExpression: '0 3 * * *', timeZone: 'Europe/Kiev' });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const { page, context } = await stack.open({ orgId: stack.otherOrg, role: 'admin', query: '?view=settings' });
    await viewReady(page, 'settings');
    const zone = page.locator('#bufdir-schedule-zone');
    await expect(zone.inputValue()).resolves.toBe('Europe/Kiev');
    await zone.selectOption('Europe/Kyiv');
    const offered = await zone.locator('option').allTextContents();
    expect(offered).toEqual(expect.arrayContaining(['Europe/Kiev', 'Europe/Kyiv']));
    await zone.selectOption('Europe/Kiev');
    await expect(zone.inputValue()).resolves.toBe('Europe/Kiev');
    await context.close();
    const restored = await putSchedule({ cronExpression, timeZone, enabled, runTimeoutSeconds });
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
  });

  it('settings: a role other than coordinator or admin is told what the API tells it', async () => {
    const volunteer = await stack.open({ role: 'volunteer', query: '?view=settings' });
    await viewReady(volunteer.page, 'settings');
    const said = await volunteer.page.locator('main').textContent();
    expect(said).toContain(
      'Your role (volunteer) may not do this. Coordinators and admins see everything, sync now and cancel runs; only admins change connections and schedules.',
    );
    expect(said).not.toContain('may see every integration');
    await volunteer.context.close();
  });

  it('settings: "set on" is written in the schedule\'s time zone, as every other time', async () => {
    // A viewer in New York sees the date the credentials were set in the org's time (Europe/Oslo), as every time.
    const admin = await stack.open({
      role: 'admin',
      query: '?view=settings',
      context: { timezoneId: 'America/New_York' },
    });
    await viewReady(admin.page, 'settings');
    const [row] = await stack.harness.db.sql<{ credentials_set_at: Date }[]>`
      select credentials_set_at from public.sync_connection_settings
      where org_id = ${stack.demoOrg} and integration_type = 'xledger'`;
    const xledger = admin.page.locator('section.settings', {
      has: admin.page.getByRole('heading', { name: 'Xledger' }),
    });
    await expect(xledger.locator('#xledger-credentials-state').textContent()).resolves.toBe(
      `Set on ${format(row?.credentials_set_at.toISOString() ?? '')}. The value is never shown: enter the credentials again to save.`,
    );
    await admin.context.close();
  });

  it('on a phone, a day picked in the ledger shows its periods on screen, one line each', async () => {
    const { page, context } = await stack.open({
      query: '?view=integration&type=xledger',
      context: PHONE,
    });
    await viewReady(page, 'integration');
    // A day of the demo's history, high in the strip, the day's table below the screen.
    const ago = Date.now() - 10 * 86_400_000;
    const oslo = (instant: number) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Oslo' }).format(instant);
    const picked = oslo(ago);
    const day = page.locator(`ol.strip a[href*="day=${picked}"]`);
    await day.scrollIntoViewIfNeeded();
    await day.tap();
    await page.waitForURL(new RegExp(`day=${picked}`));
    const caption = page.locator('table.periods caption');
    const date = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Oslo', day: 'numeric', month: 'long' });
    await expect.poll(() => caption.textContent()).toContain(date.format(ago));
    // The day's periods, box and all, on screen.
    await expect
      .poll(() =>
        page.locator('.ledger .table-scroll').evaluate((box) => {
          const { top, bottom } = box.getBoundingClientRect();
          return top >= 0 && bottom <= innerHeight + 1; // subpixel layout
        }),
      )
      .toBe(true);
    const rows = await page
      .locator('table.periods tbody tr')
      .evaluateAll((trs) => trs.slice(0, 20).map((tr) => tr.getBoundingClientRect().height));
    expect(rows.length).toBeGreaterThan(0);
    for (const height of rows) expect(height).toBeLessThan(48);
    // A day picked with the keyboard leaves the page where the focus is.
    const other = page.locator(`ol.strip a[href*="day=${oslo(ago - 86_400_000)}"]`);
    await page.evaluate(() => window.scrollTo(0, 0)); // the day's table below the fold again
    await other.focus();
    const before = await page.evaluate(() => scrollY);
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`day=${oslo(ago - 86_400_000)}`));
    await expect.poll(() => caption.textContent()).toContain(date.format(ago - 86_400_000));
    expect(await page.evaluate(() => scrollY)).toBe(before);
    await context.close();
  });

  it('a ledger day before the schedule started says so, not that nothing was due', async () => {
    const { integrations } = await api('/integrations');
    const xledger = integrations.find((entry: { integrationType: string }) => entry.integrationType === 'xledger');
    const oslo = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Oslo' });
    const started = Math.min(Date.parse(xledger.schedule.createdAt), Date.parse(xledger.schedule.activeFrom));
    const before = oslo.format(started - 2 * 86_400_000); // a whole day before the schedule
    expect(Date.now() - started).toBeLessThan(27 * 86_400_000); // that day is in the 30-day strip
    const { page, context } = await stack.open({ query: `?view=integration&type=xledger&day=${before}` });
    await viewReady(page, 'integration');
    await expect(page.locator('.ledger .empty').textContent()).resolves.toMatch(
      /: The schedule had not started yet: no periods were due\.$/,
    );
    await context.close();
  });

  it("a run's detail adds the viewer's own time where it is not the schedule's", async () => {
    const { page, context } = await stack.open({
      query: '?view=integration&type=xledger',
      context: { timezoneId: 'America/New_York' },
    });
    await viewReady(page, 'integration');
    await page.locator('table.runs tbody a').first().click();
    await page.waitForSelector('#run-heading:has-text("Run of")');
    const asides = await page.locator('.run-detail .facts .muted').allTextContents();
    expect(asides.length).toBeGreaterThan(0);
    for (const aside of asides) expect(aside).toMatch(/^Your time: .+ (EST|EDT|GMT-[45]) · UTC: .+ UTC$/);
    await context.close();
    // A viewer in Berlin reads Oslo's times as they are (CET, CEST): not written twice.
    const berlin = await stack.open({
      query: '?view=integration&type=xledger',
      context: { timezoneId: 'Europe/Berlin' },
    });
    await viewReady(berlin.page, 'integration');
    await berlin.page.locator('table.runs tbody a').first().click();
    await berlin.page.waitForSelector('#run-heading:has-text("Run of")');
    for (const aside of await berlin.page.locator('.run-detail .facts .muted').allTextContents()) {
      expect(aside).toMatch(/^UTC: .+ UTC$/);
    }
    await berlin.context.close();
  });

  it('a disabled connection says so, and the card offers no Sync now', async () => {
    await stack.harness.db.sql`select 1 from public.set_sync_connection_enabled(${stack.otherOrg}, 'xledger', false)`;
    try {
      const { page, context } = await stack.open({ orgId: stack.otherOrg });
      await viewReady(page, 'overview');
      const xledger = page.locator('article.card', {
        has: page.getByRole('heading', { name: 'Xledger', exact: true }),
      });
      await expect(xledger.locator('.note').textContent()).resolves.toBe(
        'Connection disabled. An admin can enable it under Settings.',
      );
      await expect(xledger.getByRole('button').count()).resolves.toBe(0);
      await context.close();
    } finally {
      await stack.harness.db.sql`select 1 from public.set_sync_connection_enabled(${stack.otherOrg}, 'xledger', true)`;
    }
  });

  it("a coordinator of one org never sees the other org's runs, alerts or settings", async () => {
    const { page, context } = await stack.open({ query: '?view=integration&type=xledger' });
    await viewReady(page, 'integration');
    for (const view of ['?view=overview', '?view=integration&type=xledger', '?view=alerts']) {
      await page.goto(`${stack.dashboard.url}${view}`);
      await viewReady(page, view.includes('integration') ? 'integration' : view.slice(6));
      const html = await page.content();
      expect(html).not.toContain(stack.other.marker);
      expect(html).not.toContain('918273645'); // the other org's Xledger company
      for (const runId of stack.other.runIds) expect(html).not.toContain(runId);
    }
    // Its run, asked for by id, is "not found", as any unknown run.
    await page.goto(`${stack.dashboard.url}?view=integration&type=xledger&run=${stack.other.runIds[0]}`);
    await page.waitForSelector('.run-detail .problem');
    await expect(page.locator('.run-detail .problem').textContent()).resolves.toContain('Not found');
    await context.close();

    // And the other org's own coordinator sees its data, and none of the demo org's.
    const other = await stack.open({ orgId: stack.otherOrg, query: '?view=integration&type=xledger&status=failed' });
    await other.page.waitForSelector('table.runs');
    const html = await other.page.content();
    for (const runId of stack.other.runIds) expect(html).toContain(runId);
    const demoRuns = await stack.harness.db.sql<{ id: string }[]>`
      select id from public.sync_run_log where org_id = ${stack.demoOrg} and integration_type = 'xledger'
      order by started_at desc limit 50`;
    for (const run of demoRuns) expect(html).not.toContain(run.id);
    await other.context.close();
  });

  it('empty states explain themselves, and a card without a connection offers no Sync now but says who can connect it', async () => {
    const { integrations } = await api('/integrations', 'coordinator', stack.otherOrg);
    const bufdir = integrations.find((entry: { integrationType: string }) => entry.integrationType === 'bufdir');
    const at = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Oslo',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
    }).format(new Date(bufdir.schedule.nextPeriods[0]));
    expect(at).toMatch(/^14:00 CES?T$/);
    // Bufdir connected for this test (scheduled, no runs yet); Dynamics neither connected nor scheduled.
    const sql = stack.harness.db.sql;
    await sql`select 1 from public.upsert_sync_connection(${stack.otherOrg}, 'bufdir', '{}'::jsonb,
      ${sql.json({ apiKey: 'local-bufdir-key' })}::jsonb, true)`;
    const { page, context } = await stack.open({ orgId: stack.otherOrg });
    await viewReady(page, 'overview');
    const cardOf = (name: string) =>
      page.locator('article.card', { has: page.getByRole('heading', { name, exact: true }) });
    await expect(cardOf('Bufdir export').textContent()).resolves.toContain(`No runs yet. Sync now, or wait for ${at}.`);
    const dynamics = await cardOf('Microsoft Dynamics').textContent();
    expect(dynamics).toContain('No runs yet.');
    expect(dynamics).not.toContain('Sync now, or');
    expect(dynamics).toContain('No schedule: runs start only with Sync now.');
    expect(dynamics).toContain('Not connected yet. An admin can connect it under Settings.');
    await expect(
      cardOf('Microsoft Dynamics')
        .getByRole('button', { name: /^Sync now/ })
        .count(),
    ).resolves.toBe(0);

    await page.goto(`${stack.dashboard.url}?view=integration&type=dynamics`);
    await page.waitForSelector('.history .empty');
    await expect(page.locator('main .intro').first().textContent()).resolves.toBe(
      'No schedule, so no periods are expected. An admin can set one under Settings.',
    );
    await expect(page.locator('.history .empty').textContent()).resolves.toBe(
      'No runs yet. Sync now, or ask an admin to set a schedule.',
    );
    await context.close();
    await sql`select public.delete_sync_connection(${stack.otherOrg}, 'bufdir')`;
  });

  it('an expired token sends you back to sign in, with a way to sign in again', async () => {
    // Expired before the page loads: the sign-in page at once.
    const before = await stack.open({ expiresIn: -60 });
    await before.page.waitForSelector('h1:has-text("Sign in")');
    await expect(before.page.getByRole('alert').textContent()).resolves.toBe(
      'Your session has expired. Sign in again to continue.',
    );
    await expect(before.page.evaluate(() => sessionStorage.length)).resolves.toBe(0);
    await screenshotPage(before.page, 'sign-in');
    // "Sign in again" leads to a sign-in page whose link signs in.
    await before.page.getByRole('link', { name: 'Sign in again' }).click();
    await before.page.getByRole('link', { name: "the demo org's coordinator" }).click();
    await viewReady(before.page, 'overview');
    await before.context.close();

    // Expiring while you look: the next call's 401 ends the session. Waits for the server to refuse the token
    // (its exp is 8 s away), then moves to another view.
    const during = await stack.open({ expiresIn: 8 });
    await viewReady(during.page, 'overview');
    const token = await during.page.evaluate(() => sessionStorage.getItem('sync-run-log.access-token'));
    await expect
      .poll(async () => (await call(stack.harness.url('sync-run-log', '/integrations'), { token })).status, {
        timeout: 20_000,
        interval: 250,
      })
      .toBe(401);
    await during.page.getByRole('link', { name: 'Alerts', exact: true }).click();
    await during.page.waitForSelector('h1:has-text("Sign in")');
    await expect(during.page.getByRole('alert').textContent()).resolves.toContain('Your session has expired');
    await during.context.close();
  });

  it("in production mode it uses the supabase-js session of the app's own sign-in, or sends you to that sign-in", async () => {
    const supabaseUrl = new URL(stack.harness.host.url).origin;
    const production = await startDashboardServer({
      port: 0,
      config: {
        supabaseUrl,
        publishableKey: LOCAL_PUBLISHABLE_KEY,
        auth: 'supabase',
        signInUrl: 'https://app.example.org/sign-in',
      },
    });
    try {
      // No session: the app's sign-in.
      const context = await stack.browser.newContext({ locale: 'en-GB', timezoneId: 'Europe/Oslo' });
      const page = await context.newPage();
      await page.goto(production.url);
      await page.waitForSelector('h1:has-text("Sign in")');
      await expect(page.getByRole('link', { name: 'Sign in', exact: true }).getAttribute('href')).resolves.toBe(
        'https://app.example.org/sign-in',
      );
      // The session the app's sign-in left in supabase-js's storage (same origin): the dashboard uses it.
      const token = await stack.token({ role: 'admin' });
      const session = {
        access_token: token,
        refresh_token: 'local-refresh-token',
        token_type: 'bearer',
        expires_in: 3600,
        expires_at: Math.floor(Date.now() / 1000) + 3600,
        user: { id: '00000000-0000-4000-8000-000000000001', aud: 'authenticated', role: 'authenticated' },
      };
      await context.addInitScript(
        ([key, value]) => localStorage.setItem(key as string, value as string),
        [`sb-${new URL(supabaseUrl).hostname.split('.')[0]}-auth-token`, JSON.stringify(session)],
      );
      await page.goto(`${production.url}?view=settings`);
      await viewReady(page, 'settings');
      await expect(page.locator('section.settings').count()).resolves.toBe(3);
      await expect(page.locator('.who').textContent()).resolves.toContain('Signed in as admin');
      await context.close();
    } finally {
      await production.stop();
    }
  });

  it('speaks Norwegian (nb-NO) when the browser does', async () => {
    const { page, context } = await stack.open({ context: { locale: 'nb-NO' } });
    await viewReady(page, 'overview');
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('nb');
    await expect(page.locator('h1').textContent()).resolves.toBe('Oversikt');
    await expect(page.getByRole('button', { name: /^Synkroniser nå/ }).count()).resolves.toBe(3);
    await expect(page.locator('article.card').first().textContent()).resolves.toMatch(/Siste kjøring/);
    await screenshotPage(page, 'overview-nb');
    await context.close();
  });
});

const WORDS: Record<string, string> = {
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  running: 'Running',
  pending: 'Queued',
};
const HEALTH: Record<string, string> = { xledger: 'Healthy', dynamics: 'Degraded', bufdir: 'Passive' };

/** What an overview card must say of one integration, from the API's answer (GET /integrations). */
// biome-ignore lint/suspicious/noExplicitAny: the API's JSON as the test reads it
function expectedParts(entry: any, format: (iso: string) => string): string[] {
  const last = entry.lastRun;
  const word = last.recordsFailed > 0 && last.status === 'completed' ? 'Partly failed' : WORDS[last.status];
  const health = HEALTH[entry.integrationType as string] as string;
  const check = entry.health.mode === 'passive' ? entry.health.passiveUntil : entry.health.nextCheckAt;
  return [
    word as string,
    `${last.recordsProcessed.toLocaleString('en-GB')} records processed`,
    // The next period in the schedule's time zone (Europe/Oslo), as "1 Dec 2026, 01:00 CET".
    `Next period${format(entry.schedule.nextPeriods[0])}`,
    // Vendor health in a word (stack.ts seeds the monitor's rows), with the next check.
    `Vendor${health} · ${health === 'Passive' ? 'no checks until' : 'next check'} ${format(check)}`,
    entry.openAlerts === 0 ? 'None' : `${entry.openAlerts} open alert`,
  ];
}

/** The parts a card's text lacks. */
function missing(text: string, parts: string[]): string[] {
  return parts.filter((part) => !text.includes(part));
}
