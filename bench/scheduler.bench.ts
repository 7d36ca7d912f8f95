// The scheduler's tick at scale, in one run on one database: a tick that starts a run for each of 1,000 due
// schedules, a tick that finds nothing due, three tickers racing over the next period (exactly once is checked,
// not assumed), and the reaper failing 1,000 stuck runs in one statement.
import postgres from 'postgres';
import { SyncRunLogRepository } from '../supabase/functions/_shared/run-log.repository.ts';
import { SchedulerRepository } from '../supabase/functions/_shared/scheduler/scheduler.repository.ts';
import { tick } from '../supabase/functions/_shared/scheduler/tick.ts';
import { createSqlRpc, type RequestContext } from '../supabase/functions/_shared/sql-rpc.ts';
import type { BenchContext, BenchSection } from './bench-context.ts';

const SERVICE: RequestContext = { role: 'service_role', claims: { role: 'service_role' } };
const SCHEDULES = 1_000;
const MINUTE = 60_000;

function deps(url: string) {
  const sql = postgres(url, { max: 8, onnotice: () => {}, connection: { TimeZone: 'UTC' } });
  const rpc = createSqlRpc(sql, SERVICE);
  return {
    sql,
    deps: { runLog: new SyncRunLogRepository(rpc), scheduler: new SchedulerRepository(rpc), concurrency: 8 },
  };
}

export async function runSchedulerBench(ctx: BenchContext): Promise<BenchSection> {
  const db = await ctx.createDatabase();
  const tickers = [deps(db.url), deps(db.url), deps(db.url)];
  try {
    const [row] = await db.sql<{ now: Date }[]>`select now() as now`;
    const base = new Date(Math.floor((row as { now: Date }).now.getTime() / MINUTE) * MINUTE + MINUTE);
    await db.sql`
      insert into public.sync_schedules (org_id, integration_type, cron_expression, time_zone, active_from, run_timeout_seconds)
      select gen_random_uuid(), 'xledger', '* * * * *', 'Europe/Oslo', ${base}, 1800 from generate_series(1, ${SCHEDULES})`;
    const one = tickers[0] as (typeof tickers)[number];
    ctx.log(`scheduler: ${SCHEDULES} every-minute schedules`);

    let t0 = performance.now();
    const first = await tick(new Date(base.getTime() + 5_000), one.deps);
    const dueMs = performance.now() - t0;
    if (first.started.length !== SCHEDULES)
      throw new Error(`first tick started ${first.started.length} runs, expected ${SCHEDULES}`);

    t0 = performance.now();
    const idle = await tick(new Date(base.getTime() + 30_000), one.deps);
    const idleMs = performance.now() - t0;
    if (idle.started.length !== 0) throw new Error('a tick in the same minute started runs');

    await db.sql`update public.sync_run_log set status = 'completed', ended_at = now() where status = 'running'`;
    t0 = performance.now();
    const raced = await Promise.all(tickers.map((t, i) => tick(new Date(base.getTime() + MINUTE + 1_000 * i), t.deps)));
    const raceMs = performance.now() - t0;
    const startedInRace = raced.reduce((n, r) => n + r.started.length, 0);
    const [dup] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from (
        select org_id, scheduled_for from public.sync_run_log group by org_id, scheduled_for having count(*) > 1
      ) d`;
    if (startedInRace !== SCHEDULES || (dup as { n: number }).n !== 0) {
      throw new Error(`race started ${startedInRace} runs with ${(dup as { n: number }).n} duplicate periods`);
    }

    t0 = performance.now();
    const reaped = await one.deps.scheduler.reapStuckRuns(new Date(Date.now() + 31 * MINUTE));
    const reapMs = performance.now() - t0;
    if (reaped.length !== SCHEDULES) throw new Error(`reaper failed ${reaped.length} runs, expected ${SCHEDULES}`);

    return {
      title: 'Scheduler tick',
      lines: [
        `tick starting ${SCHEDULES} due runs (8 schedules at a time): ${dueMs.toFixed(0)} ms, ${((SCHEDULES / dueMs) * 1000).toFixed(0)} runs/s`,
        `tick with ${SCHEDULES} schedules and nothing due: ${idleMs.toFixed(0)} ms`,
        `3 tickers racing over ${SCHEDULES} due periods: ${raceMs.toFixed(0)} ms, ${startedInRace} runs started, 0 duplicates`,
        `reaper failing ${SCHEDULES} stuck runs in one statement: ${reapMs.toFixed(0)} ms`,
      ],
      figures: {
        schedules: SCHEDULES,
        tickDueMs: dueMs,
        runsStartedPerSecond: (SCHEDULES / dueMs) * 1000,
        tickIdleMs: idleMs,
        threeTickerRaceMs: raceMs,
        reapMs,
      },
    };
  } finally {
    await Promise.all(tickers.map((t) => t.sql.end()));
    await db.drop();
  }
}
