// Alert webhooks go out beside the tick's work: a hanging webhook delays the tick's report, never the periods it
// starts, and at most 4 posts are in flight at once. Every post has ended when the tick returns.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tick } from '../../supabase/functions/_shared/scheduler/tick.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { databaseNow, floorTo, MINUTE, newOrg, plus, recordingLogger, repositories, runsOf } from './helpers.ts';

let db: TestDatabase;
let repos: ReturnType<typeof repositories>;

beforeAll(async () => {
  db = await createTestDatabase();
  repos = repositories(db.sql);
});
afterAll(() => db.drop());

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('condition not met within 10 s');
}

it('a hanging webhook delays the report, never the periods; at most 4 posts at once', async () => {
  // Two hours on: the 6 running runs below are stuck (6 stuck_run alerts), and one schedule has a period due.
  const now = plus(floorTo(await databaseNow(db.sql), 1), 2 * 60 * MINUTE);
  for (let i = 0; i < 6; i++) await repos.runLog.insertRunLog(newOrg(), 'xledger', 'manual');
  const org = newOrg();
  await repos.scheduler.upsertSchedule({
    orgId: org,
    integrationType: 'bufdir',
    cronExpression: '* * * * *',
    timeZone: 'UTC',
    activeFrom: now, // one period due: this minute (no missed periods, no drift)
  });

  const held: Array<() => void> = [];
  let inFlight = 0;
  let most = 0;
  const posted: string[] = [];
  const fetch = (async (_url: string, init: RequestInit) => {
    posted.push(String(init.body));
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise<void>((resolve) => held.push(resolve));
    inFlight--;
    return new Response(null, { status: 204 });
  }) as unknown as typeof globalThis.fetch;

  let returned = false;
  const log = recordingLogger();
  const ticking = tick(now, { ...repos, log, alertWebhookUrl: 'http://hooks.example/alerts', fetch }).then((report) => {
    returned = true;
    return report;
  });
  // Every post hangs, and still the due period's run is started.
  await until(async () => (await runsOf(db.sql, org)).length === 1);
  await until(async () => held.length === 4);
  expect(returned).toBe(false);
  expect(log.lines.filter((l) => l.fields.event === 'sync_alert')).toHaveLength(6); // logged at once

  while (!returned) {
    held.shift()?.();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const report = await ticking;
  expect(report.reaped).toHaveLength(6);
  expect(report.started.map((s) => s.orgId)).toEqual([org]);
  expect(posted).toHaveLength(6);
  expect(most).toBe(4);
  expect(inFlight).toBe(0);
});
