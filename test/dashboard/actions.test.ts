// What the dashboard does, in a real browser against the local stack: Sync now -> queued/running -> completed, seen
// live with its progress; polling pauses in a hidden tab; Cancel; acknowledging an alert (a failed-run alert with the
// failures on screen, refused when more were counted in after the page loaded); an admin saves a schedule
// (its cron said in words with the next 3 periods first) and a connection; a role that may not use the API is told
// what its role may do.
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, PHONE, POLL_MS, type Stack, startStack, viewReady } from './stack.ts';

// A browser test does many round trips; under the whole suite's load it gets more than vitest's default 30 s.
describe.skipIf(browserUnavailable !== null)('dashboard actions in chromium', { timeout: 120_000 }, () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 180_000);
  afterAll(async () => stack?.stop());

  const api = (name: string) => stack.apis.find((server) => server.name === name);
  const card = (page: Page, name: string) =>
    page.locator('article.card', { has: page.getByRole('heading', { name, exact: true }) });

  /** Every text the card's last run showed, in order (a MutationObserver in the page). */
  async function recordCard(page: Page, name: string): Promise<void> {
    await page.evaluate((heading) => {
      const article = Array.from(document.querySelectorAll('article.card')).find(
        (a) => a.querySelector('h2')?.textContent === heading,
      ) as HTMLElement;
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      const note = () => {
        const text = article.querySelector('dd')?.textContent ?? '';
        if (seen.at(-1) !== text) seen.push(text);
      };
      new MutationObserver(note).observe(article, { subtree: true, childList: true, characterData: true });
      note();
    }, name);
  }

  it('Sync now: queued, running with its progress, then completed, seen live', async () => {
    api('xledger')?.control.set({ latencyMs: 150 }); // 13 pages of data: a few seconds of running to watch
    const { page, context } = await stack.open();
    await viewReady(page, 'overview');
    await recordCard(page, 'Xledger');
    await card(page, 'Xledger')
      .getByRole('button', { name: /^Sync now/ })
      .click();
    await expect.poll(() => card(page, 'Xledger').locator('.message').textContent()).toBe('Xledger: sync started.');
    // The button that replaced Sync now has the focus (keyboard users keep their place).
    await page.waitForFunction(() => document.activeElement?.textContent?.startsWith('Cancel run'));
    await page.waitForFunction(
      () => document.querySelector('article.card .message')?.textContent?.includes('the run ended'),
      undefined,
      { timeout: 60_000 },
    );
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    // A queued run waits to start: no "running for", no records yet.
    for (const text of seen.filter((shown) => shown.startsWith('Queued'))) expect(text).toMatch(/waiting to start for/);
    const words = seen.map((text) => text.match(/^(Queued|Running|Completed|Partly failed|Failed)/)?.[1]);
    expect(words[0]).toBe('Completed'); // the demo's last run
    expect(words).toContain('Running');
    expect(words.at(-1)).toMatch(/Completed|Partly failed/);
    expect(words.indexOf('Running')).toBeLessThan(words.lastIndexOf(words.at(-1)));
    // Progress moved while it ran: more than one "N records so far".
    const progress = new Set(seen.map((text) => text.match(/([\d,]+) records so far/)?.[1]).filter(Boolean));
    expect(progress.size).toBeGreaterThan(1);

    const [run] = await stack.harness.db.sql<{ status: string; records_processed: number; triggered_by: string }[]>`
      select status, records_processed, triggered_by from public.sync_run_log
      where org_id = ${stack.demoOrg} and integration_type = 'xledger' order by started_at desc limit 1`;
    expect(run?.triggered_by).toBe('manual');
    expect(run?.status).toBe('completed');
    expect(seen.at(-1)).toContain(`${run?.records_processed.toLocaleString('en-GB')} records processed`);
    await expect(
      card(page, 'Xledger')
        .getByRole('button', { name: /^Sync now/ })
        .isEnabled(),
    ).resolves.toBe(true);
    await context.close();
  });

  it('polls only while the tab is visible, and at once when it is shown again (or as soon as a call still out answers)', async () => {
    // A vendor this slow keeps the run going for the whole test: a poll that saw it end would stop polling. 25 s,
    // under the adapter's 30 s timeout.
    api('bufdir')?.control.set({ latencyMs: 25_000 });
    const context = await stack.browser.newContext({ locale: 'en-GB', timezoneId: 'Europe/Oslo' });
    await context.clock.install();
    // The polls as the page sends them, counted in the page: each with the tab's visibility when it was sent, and
    // how many have answered. Counted from Playwright's request events instead, a poll sent just before the tab was
    // hidden could be reported just after it, as a poll sent while hidden.
    await context.addInitScript(() => {
      const record = { sent: [] as string[], answered: 0 };
      (window as unknown as { polls: typeof record }).polls = record;
      const fetch = window.fetch.bind(window);
      window.fetch = (input, init) => {
        const url = input instanceof Request ? input.url : String(input);
        if (!/\/sync-run-log\/runs\/[0-9a-f-]{36}$/.test(new URL(url, location.href).pathname))
          return fetch(input, init);
        record.sent.push(document.visibilityState);
        return fetch(input, init).finally(() => {
          record.answered += 1;
        });
      };
    });
    const page = await context.newPage();
    await page.goto(`${stack.dashboard.url}#access_token=${await stack.token()}`);
    await viewReady(page, 'overview');
    await card(page, 'Bufdir export')
      .getByRole('button', { name: /^Sync now/ })
      .click();
    await page.waitForFunction(() => document.activeElement?.textContent?.startsWith('Cancel run'));
    const isPoll = (url: string) => /\/sync-run-log\/runs\/[0-9a-f-]{36}$/.test(new URL(url).pathname);
    const polls = () =>
      page.evaluate(() => (window as unknown as { polls: { sent: string[]; answered: number } }).polls);
    const sent = async () => (await polls()).sent.length;
    // Holds the next poll's request until released: a call still out when the tab is shown again.
    let holdNext = false;
    let release = () => {};
    await page.route(
      (url) => isPoll(url.href),
      async (route) => {
        if (holdNext) {
          holdNext = false;
          await new Promise<void>((resolve) => {
            release = resolve;
          });
        }
        await route.continue();
      },
    );
    const setVisibility = (state: 'hidden' | 'visible') =>
      page.evaluate((value) => {
        Object.defineProperty(document, 'visibilityState', { value, configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }, state);
    /** Every poll sent has answered, so the next waits for the (paused) clock. */
    const settled = () =>
      expect
        .poll(async () => {
          const { sent, answered } = await polls();
          return answered === sent.length;
        })
        .toBe(true);

    await page.clock.pauseAt(Date.now() + 1000);
    await settled(); // a poll still out now sets its next one's timer on the paused clock
    const before = await sent();
    await page.clock.runFor(POLL_MS * 2);
    await expect.poll(sent).toBeGreaterThan(before); // polling while visible
    await settled();

    await setVisibility('hidden');
    const hiddenAt = await sent();
    await page.clock.runFor(POLL_MS * 20);
    expect(await sent()).toBe(hiddenAt); // nothing while hidden
    await setVisibility('visible');
    await expect.poll(sent).toBe(hiddenAt + 1); // at once when shown: no clock time passes
    await settled();

    // A call still out when the tab is hidden and shown again: no second call beside it, and the next goes as soon
    // as it answers, without waiting for the clock.
    holdNext = true;
    const heldAt = await sent();
    await page.clock.runFor(POLL_MS);
    await expect.poll(sent).toBe(heldAt + 1);
    await setVisibility('hidden');
    await page.clock.runFor(POLL_MS * 20);
    await setVisibility('visible');
    expect(await sent()).toBe(heldAt + 1);
    release();
    await expect.poll(sent).toBe(heldAt + 2);
    await settled();
    expect(await sent()).toBe(heldAt + 2);
    expect((await polls()).sent.every((visibility) => visibility === 'visible')).toBe(true);

    await context.close();
    const [run] = await stack.harness.db.sql<{ id: string }[]>`
      select id from public.sync_run_log where org_id = ${stack.demoOrg} and integration_type = 'bufdir'
        and status in ('pending', 'running')`;
    if (run)
      await stack.harness.db.sql`select 1 from public.update_run_log_status(${run.id}, 'cancelled', null, null, null)`;
    api('bufdir')?.control.set({ latencyMs: 0 });
  });

  it('Cancel stops a running run; the card says so', async () => {
    api('dynamics')?.control.set({ latencyMs: 1500 }); // a slow vendor: the run is still going when we cancel
    const { page, context } = await stack.open();
    await viewReady(page, 'overview');
    const dynamics = card(page, 'Microsoft Dynamics');
    await dynamics.getByRole('button', { name: /^Sync now/ }).click();
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('article.card dd')).some((dd) => dd.textContent?.startsWith('Running')),
    );
    await dynamics.getByRole('button', { name: /^Cancel run/ }).click();
    await expect.poll(() => dynamics.locator('.message').textContent()).toBe('Microsoft Dynamics: run cancelled.');
    await expect(dynamics.locator('dd').first().textContent()).resolves.toMatch(/^Cancelled/);
    const [run] = await stack.harness.db.sql<{ status: string }[]>`
      select status from public.sync_run_log where org_id = ${stack.demoOrg} and integration_type = 'dynamics'
      order by started_at desc limit 1`;
    expect(run?.status).toBe('cancelled');
    await expect(dynamics.getByRole('button', { name: /^Sync now/ }).isEnabled()).resolves.toBe(true);
    api('dynamics')?.control.set({ latencyMs: 0 });
    await context.close();
  });

  it('Cancel answered before a poll that saw the run end: the card still says "run cancelled"', async () => {
    api('dynamics')?.control.set({ latencyMs: 1500 });
    const { page, context } = await stack.open();
    await viewReady(page, 'overview');
    const dynamics = card(page, 'Microsoft Dynamics');
    await dynamics.getByRole('button', { name: /^Sync now/ }).click();
    await expect.poll(() => dynamics.locator('dd').first().textContent()).toMatch(/^Running/);
    // The order a loaded machine gave: the cancel's answer first, then a poll that read the run after the cancel.
    let cancelled!: () => void;
    const cancelAnswered = new Promise<void>((resolve) => {
      cancelled = resolve;
    });
    let polled!: () => void;
    const pollAsked = new Promise<void>((resolve) => {
      polled = resolve;
    });
    await page.route(/\/runs\/[0-9a-f-]{36}$/, async (route) => {
      if (route.request().method() === 'PATCH') {
        const answer = await route.fetch();
        await pollAsked; // a poll is under way before the page hears of the cancel
        await route.fulfill({ response: answer });
        await new Promise((resolve) => setTimeout(resolve, 200)); // the page has read the cancel's answer
        cancelled();
        return;
      }
      polled();
      await cancelAnswered;
      await route.fulfill({ response: await route.fetch() }); // read after the cancel: cancelled
    });
    await dynamics.getByRole('button', { name: /^Cancel run/ }).click();
    await expect.poll(() => dynamics.locator('dd').first().textContent()).toMatch(/^Cancelled/);
    await page.waitForTimeout(POLL_MS * 2); // every poll under way has answered
    await expect(dynamics.locator('.message').textContent()).resolves.toBe('Microsoft Dynamics: run cancelled.');
    api('dynamics')?.control.set({ latencyMs: 0 });
    await context.close();
  });

  it('Sync now while a run is already going: the card shows that run with Cancel, and polls it', async () => {
    const { page, context } = await stack.open();
    await viewReady(page, 'overview');
    const xledger = card(page, 'Xledger');
    // A run that started after the page loaded (in another tab, say): the card still shows the one before it.
    const [existing] = await stack.harness.db.sql<{ id: string }[]>`
      insert into public.sync_run_log (org_id, integration_type, status, started_at, heartbeat_at, records_processed,
        records_failed, triggered_by)
      values (${stack.demoOrg}, 'xledger', 'running', now(), now(), 7, 0, 'manual')
      returning id`;
    const id = existing?.id as string;
    try {
      await expect(xledger.locator('dd').first().textContent()).resolves.not.toMatch(/^Running/);
      await xledger.getByRole('button', { name: /^Sync now/ }).click();
      await expect
        .poll(() => xledger.locator('.message').textContent())
        .toBe('A run of this integration is already queued or running. Wait for it to finish, or cancel it.');
      await expect.poll(() => xledger.locator('dd').first().textContent()).toMatch(/^Running.*7 records so far/);
      await page.waitForFunction(() => document.activeElement?.textContent === 'Cancel run (Xledger)');
      // Polled like a run the card started itself.
      await stack.harness.db.sql`select 1 from public.update_run_log_status(${id}, 'running', 4321, 0, null)`;
      await expect.poll(() => xledger.locator('dd').first().textContent()).toContain('4,321 records so far');
      await xledger.getByRole('button', { name: /^Cancel run/ }).click();
      await expect.poll(() => xledger.locator('.message').textContent()).toBe('Xledger: run cancelled.');
      const [run] = await stack.harness.db.sql<{ status: string }[]>`
        select status from public.sync_run_log where id = ${id}`;
      expect(run?.status).toBe('cancelled');
    } finally {
      await stack.harness.db.sql`update public.sync_run_log set status = 'cancelled', ended_at = now()
        where id = ${id} and status = 'running'`;
      await context.close();
    }
  });

  it("the overview's times move on while it is open, and it asks again once the next period has passed", async () => {
    const { page, context } = await stack.open({ prepare: (c) => c.clock.install() });
    await viewReady(page, 'overview');
    let asked = 0;
    page.on('request', (request) => {
      if (request.method() === 'GET' && new URL(request.url()).pathname.endsWith('/sync-run-log/integrations')) asked++;
    });
    await page.clock.pauseAt(Date.now() + 1000);
    const relative = () => card(page, 'Xledger').locator('dl > div:nth-child(2) .muted').textContent();
    const before = await relative();
    await page.clock.runFor(60_000);
    await expect.poll(relative).not.toBe(before);

    // Past the earliest next period shown: GET /integrations again (not in a loop: at most every half minute).
    const shown = await page
      .locator('article.card dl > div:nth-child(2) time')
      .evaluateAll((times) => times.map((time) => Date.parse(time.getAttribute('datetime') ?? '')));
    const earliest = Math.min(...shown);
    const pageNow = await page.evaluate(() => Date.now());
    const askedBefore = asked;
    await page.clock.runFor(Math.max(0, earliest - pageNow) + 60_000);
    await expect.poll(() => asked).toBeGreaterThan(askedBefore);
    const askedAfter = asked;
    await page.clock.runFor(60_000);
    await page.evaluate(() => 0);
    expect(asked - askedAfter).toBeLessThanOrEqual(2);

    // Gone with the view: the alerts view asks once (its zones), and nothing more follows. (The clock runs while the
    // view changes: the page's effects wait for animation frames, which a paused clock holds back.)
    await page.clock.resume();
    await page.getByRole('link', { name: 'Alerts', exact: true }).click();
    await viewReady(page, 'alerts');
    const onAlerts = asked;
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1000);
    await page.clock.runFor(120_000);
    await page.evaluate(() => 0);
    expect(asked).toBe(onAlerts);
    await context.close();
  });

  it('acknowledging an alert: it says so, and the overview counts one open alert fewer', async () => {
    const open = async () =>
      Number(
        (
          await stack.harness.db.sql<{ n: number }[]>`
            select count(*)::int as n from public.sync_alerts where org_id = ${stack.demoOrg} and acknowledged_at is null`
        )[0]?.n,
      );
    const before = await open();
    const { page, context } = await stack.open({ query: '?view=alerts' });
    await viewReady(page, 'alerts');
    const row = page.locator('table.alerts tbody tr', { has: page.getByRole('button', { name: /^Acknowledge/ }) });
    const first = row.first();
    const kind = await first.locator('td:nth-child(2)').textContent();
    await first.getByRole('button', { name: /^Acknowledge/ }).click();
    await expect.poll(() => page.locator('p.message').textContent()).toBe('Alert acknowledged.');
    await expect(
      page
        .locator('table.alerts tbody tr', { hasText: kind ?? '' })
        .first()
        .locator('td:nth-child(6)')
        .textContent(),
    ).resolves.toMatch(/^Acknowledged/);
    expect(await open()).toBe(before - 1);
    await page.getByRole('link', { name: 'Overview' }).click();
    await viewReady(page, 'overview');
    const counts = await page
      .locator('article.card dd:has-text("open alert"), article.card dd:text-is("None")')
      .allTextContents();
    const total = counts.reduce((sum, text) => sum + (Number(text.match(/^(\d+)/)?.[1]) || 0), 0);
    expect(total).toBe(before - 1);
    await context.close();
  });

  it('a failed-run alert that counted more failures after the page loaded: not acknowledged, says so, shows them', async () => {
    // An org of its own: its one alert, a run_failed alert of Bufdir showing 3 failures when the page loads.
    const org = randomUUID();
    const db = stack.harness.db.sql;
    const failure = (n: number) => ({
      failed_count: n,
      error_message: 'bufdir: HTTP 503',
      last_failed_at: new Date(Date.UTC(2026, 10, 26 + n, 1)).toISOString(),
      last_error_message: `bufdir: HTTP 503 (failure ${n})`,
    });
    const [alert] = await db<{ id: string }[]>`
      insert into public.sync_alerts (org_id, kind, integration_type, details)
      values (${org}, 'run_failed', 'bufdir', ${db.json(failure(3))}) returning id`;
    const acknowledgedAt = async () =>
      (
        await db<
          { at: Date | null }[]
        >`select acknowledged_at as at from public.sync_alerts where id = ${alert?.id as string}`
      )[0]?.at;
    const { page, context } = await stack.open({ orgId: org, query: '?view=alerts' });
    const sent: (string | null)[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/acknowledge')) sent.push(request.postData());
    });
    await viewReady(page, 'alerts');
    const row = page.locator('table.alerts tbody tr').first();
    await expect(row.locator('td:nth-child(4)').textContent()).resolves.toMatch(/^3 scheduled runs failed/);

    // A 4th failure is counted in while the page is open (as record_run_failure does).
    await db`update public.sync_alerts set details = details || ${db.json(failure(4))} where id = ${alert?.id as string}`;
    await row.getByRole('button', { name: /^Acknowledge/ }).click();
    await expect
      .poll(() => page.locator('p.message').textContent())
      .toBe(
        'Not acknowledged: more runs failed after this page was loaded (4 failures now). Look at the alert again, then acknowledge it.',
      );
    // The alerts were read again: the row shows the 4 failures, and it is still open, its button back in place.
    await expect.poll(() => row.locator('td:nth-child(4)').textContent()).toMatch(/^4 scheduled runs failed/);
    await expect(row.getByRole('button', { name: /^Acknowledge/ }).isEnabled()).resolves.toBe(true);
    expect(await acknowledgedAt()).toBeNull();

    // Pressed again with the 4 failures on screen: acknowledged.
    await row.getByRole('button', { name: /^Acknowledge/ }).click();
    await expect.poll(() => page.locator('p.message').textContent()).toBe('Alert acknowledged.');
    await expect(row.locator('td:nth-child(6)').textContent()).resolves.toMatch(/^Acknowledged/);
    expect(await acknowledgedAt()).toBeInstanceOf(Date);
    expect(sent.map((body) => (body ? JSON.parse(body) : body))).toEqual([{ failedCount: 3 }, { failedCount: 4 }]);
    await context.close();
  });

  it('on a phone, what came of a save is scrolled on screen (the line under the button may start below the fold)', async () => {
    const { page, context } = await stack.open({
      role: 'admin',
      query: '?view=settings',
      context: PHONE,
    });
    await viewReady(page, 'settings');
    const form = page.locator('form:has(#dynamics-schedule-cron)');
    await form.getByLabel('Cron expression').fill('0 25 * * *');
    const save = form.getByRole('button', { name: /^Save schedule/ });
    // The button at the very bottom of the screen, as a thumb finds it after scrolling.
    await save.evaluate((button) => window.scrollBy(0, button.getBoundingClientRect().bottom - window.innerHeight));
    await save.tap();
    const message = form.locator('.message');
    await expect.poll(() => message.textContent()).toMatch(/^The service refused this: /);
    const box = await message.evaluate((el) => ({ bottom: el.getBoundingClientRect().bottom, fold: innerHeight }));
    expect(box.bottom).toBeLessThanOrEqual(box.fold + 1); // subpixel layout
    await context.close();
  });

  it('an admin saves a schedule: the cron field says what it means and the next 3 periods before saving', async () => {
    const { page, context } = await stack.open({ role: 'admin', query: '?view=settings' });
    await viewReady(page, 'settings');
    const section = page.locator('section.settings', {
      has: page.getByRole('heading', { name: 'Microsoft Dynamics' }),
    });
    const cron = section.getByLabel('Cron expression');
    await cron.fill('61 * * * *');
    await expect(section.locator('.preview').textContent()).resolves.toContain('This expression cannot be used');
    // The server says what is wrong, too.
    await section.getByRole('button', { name: /^Save schedule/ }).click();
    await expect
      .poll(() => section.locator('form:has(h3:text("Schedule")) .message').textContent())
      .toMatch(/^The service refused this: invalid cron expression '61 \* \* \* \*'/);

    await cron.fill('30 6 * * 1-5');
    const preview = section.locator('.preview');
    await expect(preview.textContent()).resolves.toContain('on Monday to Friday at 06:30 (Europe/Oslo time)');
    const shown = await preview
      .locator('ol li time')
      .evaluateAll((times) => times.map((t) => t.getAttribute('datetime')));
    expect(shown).toHaveLength(3);
    for (const iso of shown) {
      const local = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Oslo',
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
      }).format(new Date(iso as string));
      expect(local).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 06:30$/);
    }
    await section.getByRole('button', { name: /^Save schedule/ }).click();
    await expect
      .poll(() => section.locator('form:has(h3:text("Schedule")) .message').textContent())
      .toMatch(/^Microsoft Dynamics: schedule saved\. Next period /);
    const [saved] = await stack.harness.db.sql<{ cron_expression: string; time_zone: string }[]>`
      select cron_expression, time_zone from public.sync_schedules
      where org_id = ${stack.demoOrg} and integration_type = 'dynamics'`;
    expect(saved).toEqual({ cron_expression: '30 6 * * 1-5', time_zone: 'Europe/Oslo' });
    // The server's next period is the first one the preview showed.
    const first = await preview.locator('ol li time').first().textContent();
    await expect(section.locator('form:has(h3:text("Schedule")) .message').textContent()).resolves.toContain(
      `Next period ${first}.`,
    );
    await context.close();
  });

  it('an admin replaces a connection: credentials are write-only, "set on" moves, the fields are emptied', async () => {
    const { page, context } = await stack.open({ role: 'admin', query: '?view=settings' });
    await viewReady(page, 'settings');
    const section = page.locator('section.settings', { has: page.getByRole('heading', { name: 'Xledger' }) });
    const form = section.locator('form:has(h3:text("Connection"))');
    await form.getByLabel('Xledger company id (optional)').fill('24602');
    await form.getByRole('button', { name: /^Save connection/ }).click();
    await expect
      .poll(() => form.locator('.message').textContent())
      .toBe('Enter the credentials to save the connection.');
    await form.getByLabel('API token').fill('local-xledger-token');
    await form.getByRole('button', { name: /^Save connection/ }).click();
    await expect.poll(() => form.locator('.message').textContent()).toBe('Xledger: connection saved.');
    await expect(form.getByLabel('API token').inputValue()).resolves.toBe('');
    const [row] = await stack.harness.db.sql<{ settings: { companyId: number }; credentials_set_at: Date }[]>`
      select settings, credentials_set_at from public.sync_connection_settings
      where org_id = ${stack.demoOrg} and integration_type = 'xledger'`;
    expect(row?.settings).toEqual({ companyId: 24602 });
    expect(Date.now() - (row?.credentials_set_at.getTime() ?? 0)).toBeLessThan(60_000);
    expect(await page.content()).not.toContain('local-xledger-token');
    await context.close();
  });

  it('a role that may not use the API (a volunteer) is told what coordinators and admins may do', async () => {
    const { page, context } = await stack.open({ role: 'volunteer' });
    await page.waitForSelector('.problem');
    await expect(page.locator('.problem p').textContent()).resolves.toBe(
      'Your role (volunteer) may not do this. Coordinators and admins see everything, sync now and cancel runs; only admins change connections and schedules.',
    );
    await context.close();
  });
});
