// The period ledger on daylight-saving days, with a fixed clock (page.clock) and the browser in Europe/Oslo: an
// hourly schedule has 25 periods on 25 October 2026 (02:00 twice: CEST, then CET) and 23 on 29 March 2026 (no
// 02:00), each day of the strip is a calendar day in the schedule's time zone, and each period keeps its own outcome.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, type Stack, screenshotPath, startStack, viewReady } from './stack.ts';

const ORG = randomUUID();
/** The autumn night's second 02:00 (CET) has no run: missed. 05:00 CET started 10 minutes late; 07:00 CET failed. */
const MISSED = '2026-10-25T01:00:00Z';
const LATE = '2026-10-25T04:00:00Z';
const FAILED = '2026-10-25T06:00:00Z';

// A browser test does many round trips; under the whole suite's load it gets more than vitest's default 30 s.
describe.skipIf(browserUnavailable !== null)(
  'the ledger on daylight-saving days (Europe/Oslo, fixed clock)',
  { timeout: 120_000 },
  () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ seedDemo: false });
      const sql = stack.harness.db.sql;
      await sql`select 1 from public.upsert_sync_schedule(${ORG}, 'dynamics', '0 * * * *', 'Europe/Oslo', true, 1800,
      '2026-03-01T00:00:00Z')`;
      // One scheduler run per hourly period from 20 to 31 October, in period order (as the tick writes them).
      await sql`
      insert into public.sync_run_log (org_id, integration_type, status, started_at, ended_at, heartbeat_at,
        records_processed, records_failed, error_message, triggered_by, scheduled_for, idempotency_key)
      select ${ORG}::uuid, 'dynamics', case when p = ${FAILED}::timestamptz then 'failed' else 'completed' end,
        p + d.drift, p + d.drift + interval '40 seconds', p + d.drift + interval '40 seconds',
        100, 0, case when p = ${FAILED}::timestamptz then 'dynamics answered 503 three times' end, 'scheduler', p,
        'dynamics:' || to_char(p at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      from generate_series('2026-10-19T22:00:00Z'::timestamptz, '2026-10-31T22:00:00Z', interval '1 hour') p
      cross join lateral (select case when p = ${LATE}::timestamptz then interval '600 seconds'
        else interval '4 seconds' end as drift) d
      where p <> ${MISSED}::timestamptz
      order by p`;
    }, 180_000);
    afterAll(async () => stack?.stop());

    /** Waits until an element with the text is in the page. */
    const shown = (page: Awaited<ReturnType<Stack['open']>>['page'], selector: string, text: string) =>
      page.locator(selector, { hasText: text }).waitFor({ timeout: 20_000 });

    /** The period column of the chosen day's table. */
    const periodTimes = async (stackPage: Awaited<ReturnType<Stack['open']>>['page']) =>
      (await stackPage.locator('table.periods tbody th').allTextContents()).map((text) => text.trim());

    it('25 October 2026 has 25 periods, 02:00 twice (CEST, then CET), each with its own outcome', async () => {
      const { page, context } = await stack.open({
        orgId: ORG,
        query: '?view=integration&type=dynamics',
        prepare: (c) => c.clock.setFixedTime(new Date('2026-11-10T12:00:00+01:00')),
      });
      await viewReady(page, 'integration');
      // Today, by the fixed clock, is the strip's last day; 30 days back from it.
      await expect(page.locator('ol.strip a[aria-current="true"]').getAttribute('href')).resolves.toContain(
        'day=2026-11-10',
      );
      await expect(page.locator('ol.strip a').first().getAttribute('href')).resolves.toContain('day=2026-10-12');

      await page.locator('ol.strip a[href*="day=2026-10-25"]').click();
      await shown(page, 'table.periods caption', 'Sunday, 25 October 2026');
      const times = await periodTimes(page);
      expect(times).toHaveLength(25);
      expect(times.slice(0, 5)).toEqual(['00:00 CEST', '01:00 CEST', '02:00 CEST', '02:00 CET', '03:00 CET']);
      expect(times.at(-1)).toBe('23:00 CET');
      const outcomes = (await page.locator('table.periods tbody td:nth-child(2)').allTextContents()).map((t) =>
        t.trim(),
      );
      expect(outcomes[3]).toBe('Missed'); // 02:00 CET, the hour that came twice
      expect(outcomes[2]).toBe('On time'); // 02:00 CEST
      expect(outcomes[times.indexOf('05:00 CET')]).toBe('Late');
      expect(outcomes[times.indexOf('07:00 CET')]).toBe('Failed');
      expect(outcomes.filter((o) => o === 'On time')).toHaveLength(22);
      // The day's mark says the same in words.
      await expect(page.locator('ol.strip a[href*="day=2026-10-25"] .visually-hidden').textContent()).resolves.toBe(
        'Sunday, 25 October 2026: 1 missed, 1 failed, 1 late, 22 on time',
      );
      // The days around it have 24.
      for (const day of ['2026-10-24', '2026-10-26']) {
        await page.locator(`ol.strip a[href*="day=${day}"]`).click();
        await shown(
          page,
          'table.periods caption',
          day === '2026-10-24' ? 'Saturday, 24 October' : 'Monday, 26 October',
        );
        expect(await periodTimes(page)).toHaveLength(24);
      }
      await page.locator('ol.strip a[href*="day=2026-10-25"]').click();
      await shown(page, 'table.periods caption', 'Sunday, 25 October 2026');
      await page.screenshot({ path: screenshotPath('ledger-dst') });
      await context.close();
    });

    it('29 March 2026 has 23 periods: there is no 02:00', async () => {
      const { page, context } = await stack.open({
        orgId: ORG,
        query: '?view=integration&type=dynamics&day=2026-03-29',
        prepare: (c) => c.clock.setFixedTime(new Date('2026-04-10T12:00:00+02:00')),
      });
      await viewReady(page, 'integration');
      await shown(page, 'table.periods caption', 'Sunday, 29 March 2026');
      const times = await periodTimes(page);
      expect(times).toHaveLength(23);
      expect(times.slice(0, 3)).toEqual(['00:00 CET', '01:00 CET', '03:00 CEST']);
      expect(times).not.toContain('02:00 CET');
      expect(times).not.toContain('02:00 CEST');
      // No runs that spring: each period was missed.
      const outcomes = await page.locator('table.periods tbody td:nth-child(2)').allTextContents();
      expect(new Set(outcomes.map((o) => o.trim()))).toEqual(new Set(['Missed']));
      await context.close();
    });
  },
);
