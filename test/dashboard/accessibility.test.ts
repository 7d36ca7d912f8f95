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

/** axe-core's WCAG 2.2 AA violations of the page as it is now (evaluate is not bound by the page's CSP). */
async function axeViolations(page: Page): Promise<Violation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run(c: unknown, o: unknown): Promise<{ violations: Violation[] }> } })
      .axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  }, WCAG_22_AA);
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
});
