// Three schedulers at once: three independent tick loops, each with its own database connection pool and its own
// executor, interleaved at random offsets within every simulated minute (and some delayed ticks replaying an
// earlier minute), over 100 simulated minutes. Every period of every schedule is started exactly once.
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScheduleCron } from '../../supabase/functions/_shared/scheduler/cron.ts';
import { RunExecutor } from '../../supabase/functions/_shared/scheduler/executor.ts';
import { tick } from '../../supabase/functions/_shared/scheduler/tick.ts';
import type { TickReport } from '../../supabase/functions/_shared/scheduler/tick.types.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import {
  databaseNow,
  emptyConnections,
  floorTo,
  MINUTE,
  newOrg,
  pagedAdapter,
  plus,
  recordingLogger,
  repositories,
} from './helpers.ts';

let db: TestDatabase;
const pools: Sql[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  await db.drop();
});

/** A seeded PRNG (mulberry32): the interleaving is random but the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('three concurrent tickers over 100 simulated minutes', () => {
  it('start each period exactly once', async () => {
    const random = prng(20261128);
    const setup = repositories(db.sql);
    const base = plus(floorTo(await databaseNow(db.sql), 1), MINUTE);
    const types = ['xledger', 'dynamics', 'bufdir'];
    const schedules = [
      { orgId: newOrg(), integrationType: 'xledger', cron: '* * * * *' },
      { orgId: newOrg(), integrationType: 'dynamics', cron: '*/5 * * * *' },
      { orgId: newOrg(), integrationType: 'bufdir', cron: '*/7 * * * *' },
      { orgId: newOrg(), integrationType: 'xledger', cron: '3,17,41 * * * *' },
    ];
    for (const { orgId, integrationType, cron } of schedules) {
      // A day's run timeout keeps the reaper out: the simulated clock runs far ahead of the database's.
      await setup.scheduler.upsertSchedule({
        orgId,
        integrationType,
        cronExpression: cron,
        activeFrom: base,
        runTimeoutSeconds: 86_400,
      });
    }

    const tickers = [0, 1, 2].map(() => {
      const pool = postgres(db.url, { max: 2, onnotice: () => {}, connection: { TimeZone: 'UTC' } });
      pools.push(pool);
      const repos = repositories(pool);
      const adapters = Object.fromEntries(types.map((type) => [type, pagedAdapter(type, 1)]));
      const executor = new RunExecutor({
        connections: emptyConnections,
        runLog: repos.runLog,
        adapters,
        log: recordingLogger(),
      });
      return { repos, executor, reports: [] as TickReport[] };
    });

    for (let minute = 0; minute < 100; minute++) {
      await Promise.all(
        tickers.map(async (ticker) => {
          const ticks = [plus(base, minute * MINUTE + Math.floor(random() * 55_000))];
          if (minute > 0 && random() < 0.25)
            ticks.push(plus(base, (minute - 1) * MINUTE + Math.floor(random() * 60_000)));
          for (const now of ticks) {
            const report = await tick(now, { ...ticker.repos, execute: (run) => ticker.executor.start(run) });
            ticker.reports.push(report);
          }
        }),
      );
      await Promise.all(tickers.map((ticker) => ticker.executor.idle()));
    }

    const reports = tickers.flatMap((t) => t.reports);
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    expect(reports.flatMap((r) => r.missed)).toEqual([]);
    const startedByTicker = tickers.map((t) => t.reports.reduce((n, r) => n + r.started.length, 0));
    expect(startedByTicker.every((n) => n > 0)).toBe(true); // all three took part
    // They did collide: the database refused the losers (duplicate period, or an older period than one started).
    const skipped = reports.flatMap((r) => r.skipped);
    expect(skipped.length).toBeGreaterThan(0);

    const end = plus(base, 99 * MINUTE);
    let expectedTotal = 0;
    for (const schedule of schedules) {
      const cron = parseScheduleCron(schedule.cron);
      const expected: string[] = [];
      for (let p = cron.cron.nextRun(plus(base, -1)); p && p <= end; p = cron.cron.nextRun(p))
        expected.push(p.toISOString());
      expectedTotal += expected.length;
      const rows = await db.sql<{ scheduled_for: Date; status: string }[]>`
        select scheduled_for, status from public.sync_run_log
        where org_id = ${schedule.orgId} and integration_type = ${schedule.integrationType} order by scheduled_for`;
      expect(
        rows.map((r) => r.scheduled_for.toISOString()),
        schedule.cron,
      ).toEqual(expected);
      expect(rows.every((r) => r.status === 'completed')).toBe(true);
    }
    expect(startedByTicker.reduce((a, b) => a + b, 0)).toBe(expectedTotal);
    const [alerts] = await db.sql`select count(*)::int as n from public.sync_alerts where kind = 'missed_periods'`;
    expect(alerts?.n).toBe(0);
  }, 120_000);
});
