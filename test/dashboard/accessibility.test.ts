// Accessibility in a real browser: axe-core, run inside the page, finds no WCAG 2.2 AA violations on any view, in the
// light and the dark theme; every control of a view is in the tab order, and a keyboard alone can use the dashboard:
// skip to the content, open an integration, pick a ledger day, filter the history, open a run, acknowledge an alert,
// Sync now and Cancel, and save a schedule.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, type Stack, startStack, viewReady } from './stack.ts';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/**
 * axe-core's WCAG 2.2 AA violations of the page as it is now (evaluate is not bound by the page's CSP), or those of
 * the rules named.
 */
async function axeViolations(page: Page, rules?: string[]): Promise<Violation[]> {
  await page.evaluate(AXE_SOURCE);
  const runOnly = rules ? { type: 'rule', values: rules } : { type: 'tag', values: WCAG_22_AA };
  return page.evaluate(async (only) => {
    const axe = (window as unknown as { axe: { run(c: unknown, o: unknown): Promise<{ violations: Violation[] }> } })
      .axe;
    const result = await axe.run(document, { runOnly: only, resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  }, runOnly);
}

/** What has the focus: its tag, role-ish text and href. */
function focused(page: Page): Promise<{ tag: string; text: string; href: string | null; id: string } | null> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return null;
    return {
      tag: el.tagName.toLowerCase(),
      text: (el.textContent ?? '').trim().replace(/\s+/g, ' '),
      href: el.getAttribute('href'),
      id: el.id,
    };
  });
}

/** Presses Tab until the focused element matches (at most `max` times); fails when it never does. */
async function tabTo(
  page: Page,
  matches: (el: { tag: string; text: string; href: string | null; id: string }) => boolean,
  max = 400,
): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const el = await focused(page);
    if (el && matches(el)) return;
  }
  throw new Error('the element was never reached with Tab');
}

// A browser test does many round trips; under the whole suite's load it gets more than vitest's default 30 s.
describe.skipIf(browserUnavailable !== null)('dashboard accessibility in chromium', { timeout: 120_000 }, () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 180_000);
  afterAll(async () => stack?.stop());

  const views = [
    { name: 'overview', query: '?view=overview', role: 'coordinator', ready: 'overview' },
    { name: 'integration', query: '?view=integration&type=xledger', role: 'coordinator', ready: 'integration' },
    { name: 'alerts', query: '?view=alerts', role: 'coordinator', ready: 'alerts' },
    { name: 'settings (admin)', query: '?view=settings', role: 'admin', ready: 'settings' },
    { name: 'settings (coordinator)', query: '?view=settings', role: 'coordinator', ready: 'settings' },
  ];

  for (const scheme of ['light', 'dark'] as const) {
    it(`axe-core finds no WCAG 2.2 AA violations on any view (${scheme})`, async () => {
      const found: Record<string, Violation[]> = {};
      for (const view of views) {
        const { page, context } = await stack.open({
          role: view.role,
          query: view.query,
          context: { colorScheme: scheme },
        });
        await viewReady(page, view.ready);
        found[view.name] = await axeViolations(page);
        if (view.name === 'integration') {
          // With a run's detail open, and a ledger day's table.
          const run = await page.locator('table.runs a').first().getAttribute('href');
          await page.goto(`${stack.dashboard.url}${run}`);
          await page.waitForSelector('#run-heading:has-text("Run of")');
          found['run detail'] = await axeViolations(page);
        }
        await context.close();
      }
      const signIn = await stack.open({ expiresIn: -60, context: { colorScheme: scheme } });
      await signIn.page.waitForSelector('h1:has-text("Sign in")');
      found['sign in'] = await axeViolations(signIn.page);
      await signIn.context.close();
      const nb = await stack.open({ context: { colorScheme: scheme, locale: 'nb-NO' } });
      await viewReady(nb.page, 'overview');
      found['overview (nb-NO)'] = await axeViolations(nb.page);
      await nb.context.close();
      expect(found).toEqual(Object.fromEntries(Object.keys(found).map((name) => [name, []])));
    });
  }

  it('landmarks have names of their own (axe best practice landmark-unique)', async () => {
    const found: Record<string, Violation[]> = {};
    for (const view of views) {
      const { page, context } = await stack.open({ role: view.role, query: view.query });
      await viewReady(page, view.ready);
      found[view.name] = await axeViolations(page, ['landmark-unique']);
      if (view.name === 'integration') {
        const run = await page.locator('table.runs a').first().getAttribute('href');
        await page.goto(`${stack.dashboard.url}${run}`);
        await page.waitForSelector('#run-heading:has-text("Run of")');
        found['run detail'] = await axeViolations(page, ['landmark-unique']);
      }
      await context.close();
    }
    expect(found).toEqual(Object.fromEntries(Object.keys(found).map((name) => [name, []])));
  });

  it('every control of every view is in the tab order', async () => {
    for (const view of views.slice(0, 4)) {
      const { page, context } = await stack.open({ role: view.role, query: view.query });
      await viewReady(page, view.ready);
      const controls = await page.evaluate(() => {
        const all = Array.from(
          document.querySelectorAll<HTMLElement>('a[href], button:not([disabled]), input, select, [tabindex="0"]'),
        ).filter((el) => el.getClientRects().length > 0 || el.classList.contains('skip'));
        all.forEach((el, i) => {
          el.dataset.control = String(i);
        });
        return all.length;
      });
      const reached = new Set<string>();
      for (let i = 0; i < controls + 5; i++) {
        await page.keyboard.press('Tab');
        const id = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.control);
        if (id !== undefined) reached.add(id);
      }
      expect({ view: view.name, reached: reached.size }).toEqual({ view: view.name, reached: controls });
      await context.close();
    }
  });

  it('a keyboard alone can skip to the content, open an integration, filter, open a run, and come back', async () => {
    const { page, context } = await stack.open();
    await viewReady(page, 'overview');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ tag: 'a', text: 'Skip to content' });
    await page.keyboard.press('Enter');
    expect(await focused(page)).toMatchObject({ tag: 'main' });

    await tabTo(page, (el) => el.tag === 'a' && el.text === 'Xledger');
    await page.keyboard.press('Enter');
    await viewReady(page, 'integration');
    expect(page.url()).toContain('view=integration&type=xledger');
    expect(await focused(page)).toMatchObject({ tag: 'h1', text: 'Xledger' });

    const dayKey = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Oslo' }).format(Date.now() - 2 * 86_400_000);
    await tabTo(page, (el) => el.href?.includes(`day=${dayKey}`) === true);
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`day=${dayKey}`));
    await page.waitForSelector('table.periods caption');

    await tabTo(page, (el) => el.tag === 'select' && el.text.startsWith('All'));
    await page.keyboard.type('Failed');
    await tabTo(page, (el) => el.tag === 'button' && el.text === 'Apply filters');
    await page.keyboard.press('Enter');
    await page.waitForURL(/status=failed/);
    await page.waitForSelector('table.runs caption:has-text("Failed")');

    await tabTo(page, (el) => el.tag === 'a' && el.text.startsWith('Details') && el.href?.includes('run=') === true);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#run-heading:has-text("Run of")');
    expect(await focused(page)).toMatchObject({ tag: 'h2', id: 'run-heading' });
    await tabTo(page, (el) => el.text === 'Close the run’s details');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !location.search.includes('run='));

    // Back to the overview by the header's link (Shift+Tab walks back up to it).
    for (let i = 0; i < 400; i++) {
      await page.keyboard.press('Shift+Tab');
      const el = await focused(page);
      if (el?.tag === 'a' && el.text === 'Overview') break;
    }
    await page.keyboard.press('Enter');
    await viewReady(page, 'overview');
    await context.close();
  });

  it('a keyboard alone can Sync now, Cancel, acknowledge an alert and save a schedule', async () => {
    stack.apis.find((api) => api.name === 'bufdir')?.control.set({ latencyMs: 1500 });
    const { page, context } = await stack.open();
    await viewReady(page, 'overview');
    await tabTo(page, (el) => el.tag === 'button' && el.text === 'Sync now (Bufdir export)');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.textContent === 'Cancel run (Bufdir export)');
    await page.keyboard.press('Space');
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('.message')).some((m) => m.textContent === 'Bufdir export: run cancelled.'),
    );
    await page.waitForFunction(() => document.activeElement?.textContent === 'Sync now (Bufdir export)');

    await page.goto(`${stack.dashboard.url}?view=alerts`);
    await viewReady(page, 'alerts');
    await tabTo(page, (el) => el.tag === 'button' && el.text.startsWith('Acknowledge'));
    await page.keyboard.press('Space');
    await page.waitForFunction(() => document.querySelector('p.message')?.textContent === 'Alert acknowledged.');
    await context.close();

    const admin = await stack.open({ role: 'admin', query: '?view=settings' });
    await viewReady(admin.page, 'settings');
    await tabTo(admin.page, (el) => el.tag === 'input' && el.id === 'bufdir-schedule-cron');
    await admin.page.keyboard.press('Control+A');
    await admin.page.keyboard.type('0 3 * * *');
    await admin.page.waitForFunction(() =>
      document.querySelector('#bufdir-schedule-means')?.textContent?.includes('every day at 03:00'),
    );
    await tabTo(admin.page, (el) => el.tag === 'button' && el.text === 'Save schedule (Bufdir export)');
    await admin.page.keyboard.press('Enter');
    await admin.page.waitForFunction(() =>
      Array.from(document.querySelectorAll('.message')).some((m) =>
        m.textContent?.startsWith('Bufdir export: schedule saved.'),
      ),
    );
    const [row] = await stack.harness.db.sql<{ cron_expression: string }[]>`
      select cron_expression from public.sync_schedules where org_id = ${stack.demoOrg} and integration_type = 'bufdir'`;
    expect(row?.cron_expression).toBe('0 3 * * *');
    await admin.context.close();
  });

  // Soft: each control's own failure is reported.
  it('the focus stays in place when filters, pages of history or a run detail replace the control pressed', async () => {
    const { page, context } = await stack.open({ query: '?view=integration&type=xledger' });
    await viewReady(page, 'integration');
    const historyLoaded = () =>
      page.waitForFunction(() => document.querySelector('table.runs') && !document.querySelector('.history .loading'));

    await page.locator('.history select[name="status"]').selectOption('completed');
    await page.getByRole('button', { name: 'Apply filters' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('table.runs caption:has-text("Completed")');
    expect.soft(await focused(page)).toMatchObject({ tag: 'h2', id: 'history-heading' });

    await page.getByRole('link', { name: 'Older runs' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/cursor=/);
    await historyLoaded();
    expect.soft(await focused(page)).toMatchObject({ tag: 'h2', id: 'history-heading' });
    await page.getByRole('link', { name: 'Newest runs' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !location.search.includes('cursor='));
    await historyLoaded();
    expect.soft(await focused(page)).toMatchObject({ tag: 'h2', id: 'history-heading' });

    // Closing a run's detail puts the focus back on the link that opened it.
    const details = page.locator('table.runs tbody a').nth(2);
    const href = await details.getAttribute('href');
    await details.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#run-heading:has-text("Run of")');
    await page.getByRole('link', { name: 'Close the run’s details' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !location.search.includes('run='));
    expect.soft(await focused(page)).toMatchObject({ tag: 'a', href });
    await context.close();
  });

  it("the focus goes to the alerts' heading when a page of alerts replaces the link pressed", async () => {
    // More alerts than a page holds (the demo org has 9), taken away again at the end.
    const marker = `pager-${Date.now()}`;
    await stack.harness.db.sql`insert into public.sync_alerts (org_id, kind, integration_type, details, dedupe_key)
      select ${stack.demoOrg}, 'schedule_drift', 'xledger', '{}'::jsonb, ${marker} || g
      from generate_series(1, 60) g`; // a page holds 50 (alerts.tsx, ALERTS_PAGE_SIZE)
    const { page, context } = await stack.open({ query: '?view=alerts' });
    try {
      await viewReady(page, 'alerts');
      await page.getByRole('link', { name: 'Older alerts' }).focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(/cursor=/);
      await page.getByRole('link', { name: 'Newest alerts' }).waitFor();
      expect.soft(await focused(page)).toMatchObject({ tag: 'h1' });
      await page.getByRole('link', { name: 'Newest alerts' }).focus();
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => !location.search.includes('cursor='));
      await page.getByRole('link', { name: 'Older alerts' }).waitFor();
      expect.soft(await focused(page)).toMatchObject({ tag: 'h1' });
    } finally {
      await context.close();
      await stack.harness.db.sql`delete from public.sync_alerts where dedupe_key like ${`${marker}%`}`;
    }
  });

  it('the focus stays in place after Cancel in a run detail, Acknowledge and Save connection', async () => {
    const [running] = await stack.harness.db.sql<{ id: string }[]>`
      insert into public.sync_run_log (org_id, integration_type, status, started_at, heartbeat_at, records_processed,
        records_failed, triggered_by)
      values (${stack.demoOrg}, 'dynamics', 'running', now(), now(), 0, 0, 'manual')
      returning id`;
    const { page, context } = await stack.open({ query: `?view=integration&type=dynamics&run=${running?.id}` });
    try {
      await page.waitForSelector('#run-heading:has-text("Run of")');
      await page.getByRole('button', { name: 'Cancel run' }).focus();
      await page.keyboard.press('Enter');
      await page.waitForFunction(
        () => document.querySelector('.run-detail .message')?.textContent === 'Microsoft Dynamics: run cancelled.',
      );
      expect.soft(await focused(page)).toMatchObject({ tag: 'p', text: 'Microsoft Dynamics: run cancelled.' });
    } finally {
      await stack.harness.db.sql`update public.sync_run_log set status = 'cancelled', ended_at = now()
        where id = ${running?.id ?? null} and status = 'running'`;
    }

    await page.goto(`${stack.dashboard.url}?view=alerts`);
    await viewReady(page, 'alerts');
    await page
      .getByRole('button', { name: /^Acknowledge/ })
      .first()
      .focus();
    await page.keyboard.press('Space');
    await page.waitForFunction(() => document.querySelector('p.message')?.textContent === 'Alert acknowledged.');
    expect.soft(await focused(page)).toMatchObject({ tag: 'span', text: expect.stringMatching(/^Acknowledged /) });
    await context.close();

    // The form stays (its status line too, so that screen readers announce what it says); the credentials are emptied.
    const admin = await stack.open({ role: 'admin', query: '?view=settings' });
    await viewReady(admin.page, 'settings');
    const form = admin.page.locator('form:has(#bufdir-connection)');
    await form.locator('.message').evaluate((status) => {
      status.dataset.before = 'yes';
    });
    await form.getByLabel('API key').fill('local-bufdir-key');
    await form.getByRole('button', { name: /^Save connection/ }).focus();
    await admin.page.keyboard.press('Enter');
    await expect.poll(() => form.locator('.message').textContent()).toBe('Bufdir export: connection saved.');
    await expect.soft(form.locator('.message').getAttribute('data-before')).resolves.toBe('yes');
    await expect(form.getByLabel('API key').inputValue()).resolves.toBe('');
    expect.soft(await focused(admin.page)).toMatchObject({ tag: 'button', text: 'Save connection (Bufdir export)' });
    await admin.context.close();
  });

  it('reflows at 320 CSS px (WCAG 1.4.10): no view scrolls sideways, the charts fit their boxes, the alerts are one block each, and every control is a 24 px target', async () => {
    const found: Record<string, unknown> = {};
    const detail = await stack.open({ query: '?view=integration&type=xledger' });
    await viewReady(detail.page, 'integration');
    const run = await detail.page.locator('table.runs a').first().getAttribute('href');
    await detail.context.close();
    for (const view of [
      ...views,
      { name: 'run detail', query: run as string, role: 'coordinator', ready: 'integration' },
    ]) {
      const { page, context } = await stack.open({
        role: view.role,
        query: view.query,
        context: { viewport: { width: 320, height: 800 } },
      });
      await viewReady(page, view.ready);
      if (view.name === 'run detail') await page.waitForSelector('#run-heading:has-text("Run of")');
      found[view.name] = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        // The history and the ledger's day are data tables (excepted by 1.4.10): they scroll in their own region.
        overflowing: Array.from(
          document.querySelectorAll<HTMLElement>('.plot, .panel, .card, table.alerts, .run-detail, .facts'),
        )
          .filter((el) => el.scrollWidth > el.clientWidth || el.getBoundingClientRect().right > 320)
          .map((el) => el.className),
        // Every control a thumb may tap is at least 24 x 24 CSS px (WCAG 2.5.8 without its spacing exception).
        small: Array.from(document.querySelectorAll<HTMLElement>('a, button, input, select, summary'))
          .filter((el) => !el.closest('.skip, .visually-hidden') && el.getClientRects().length > 0)
          .map((el) => ({ el, box: el.getBoundingClientRect() }))
          .filter(({ box }) => box.width < 24 || box.height < 24)
          .map(({ el, box }) => `${el.tagName} ${el.textContent?.trim()} ${box.width}x${box.height}`),
      }));
      if (view.name === 'alerts') {
        found['alerts violations'] = await axeViolations(page);
        // Laid out as blocks, the table is still a table to the browser's accessibility tree (Chromium's own, over
        // CDP): its column heads, and a row of six cells per alert.
        const cdp = await context.newCDPSession(page);
        const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
          nodes: { role?: { value?: string }; name?: { value?: string } }[];
        };
        const roles = nodes.map((node) => node.role?.value);
        const alerts = await page.locator('table.alerts tbody tr').count();
        found['alerts tree'] = {
          table: nodes.filter((n) => n.role?.value === 'table').map((n) => n.name?.value),
          columnheaders: roles.filter((role) => role === 'columnheader').length,
          rows: roles.filter((role) => role === 'row').length,
          cells: roles.filter((role) => role === 'cell' || role === 'gridcell').length,
        };
        expect(alerts).toBeGreaterThan(0);
        expect(found['alerts tree']).toEqual({
          table: ['Alerts, newest first'],
          columnheaders: 6,
          rows: alerts + 1,
          cells: alerts * 5,
        });
      }
      await context.close();
    }
    expect(found).toMatchObject({
      overview: { page: 320, overflowing: [], small: [] },
      integration: { page: 320, overflowing: [], small: [] },
      alerts: { page: 320, overflowing: [], small: [] },
      'settings (admin)': { page: 320, overflowing: [], small: [] },
      'settings (coordinator)': { page: 320, overflowing: [], small: [] },
      'run detail': { page: 320, overflowing: [], small: [] },
      'alerts violations': [],
    });
  });
});
