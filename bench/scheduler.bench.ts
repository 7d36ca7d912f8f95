// The scheduler's tick at scale, in one run on one database: a tick that starts a run for each of 1,000 due
// schedules, a tick that finds nothing due, three tickers racing over the next period (exactly once is checked,
// not assumed), and the reaper failing 1,000 stuck runs in one statement. Then the tick as pg_cron gets it: POST
// /tick through the real sync-scheduler function under Deno, timed from request to response, beside pg_net's timeout,
// with real syncs behind it (each org has a connection the simulated vendor API accepts).
import { randomBytes, randomUUID } from 'node:crypto';
import postgres, { type Sql } from 'postgres';
import { startFunctionsHost } from '../src/local/functions-host.ts';
import { SyncRunLogRepository } from '../supabase/functions/_shared/run-log.repository.ts';
import { SchedulerRepository } from '../supabase/functions/_shared/scheduler/scheduler.repository.ts';
import { tick } from '../supabase/functions/_shared/scheduler/tick.ts';
import { createSqlRpc, type RequestContext } from '../supabase/functions/_shared/sql-rpc.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { LOCAL_CREDENTIALS, startApis } from '../test/integrations/simulated.ts';
import { type BenchContext, type BenchSection, percentile } from './bench-context.ts';

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

    const http = await tickThroughFunction(ctx);
    return {
      title: 'Scheduler tick',
      lines: [
        `tick starting ${SCHEDULES} due runs (8 schedules at a time): ${dueMs.toFixed(0)} ms, ${((SCHEDULES / dueMs) * 1000).toFixed(0)} runs/s`,
        `tick with ${SCHEDULES} schedules and nothing due: ${idleMs.toFixed(0)} ms`,
        `3 tickers racing over ${SCHEDULES} due periods: ${raceMs.toFixed(0)} ms, ${startedInRace} runs started, 0 duplicates`,
        `reaper failing ${SCHEDULES} stuck runs in one statement: ${reapMs.toFixed(0)} ms`,
        ...http.lines,
      ],
      figures: {
        schedules: SCHEDULES,
        tickDueMs: dueMs,
        runsStartedPerSecond: (SCHEDULES / dueMs) * 1000,
        tickIdleMs: idleMs,
        threeTickerRaceMs: raceMs,
        reapMs,
        ...http.figures,
      },
    };
  } finally {
    await Promise.all(tickers.map((t) => t.sql.end()));
    await db.drop();
  }
}

// POST /tick as pg_cron sends it (the secret key in the apikey header), to the function under Deno against a
// database of its own, with the simulated vendor APIs behind the adapters. Each tick has HTTP_SCHEDULES due
// schedules of new orgs (so the health monitor checks every one of them too: its worst tick), each org with an
// xledger connection holding the credentials the simulated API accepts (upsert_sync_connection, Vault), and starts a
// run for each: real syncs, not runs failing not_configured at once. The syncs go on after the response, as on
// Supabase; the next tick waits until they have ended and checks that every one completed, so each tick is timed on
// its own. The first tick, on a function instance that has not ticked yet, is reported apart.
const HTTP_SCHEDULES = 50;
const HTTP_TICKS = 12;
const PG_NET_TIMEOUT_MS = 5_000; // pg_net's default; the job's explicit timeout (migration 20261201000100)

async function tickThroughFunction(ctx: BenchContext): Promise<Pick<BenchSection, 'lines' | 'figures'>> {
  const db = await ctx.createDatabase();
  const apis = await startApis();
  const secretKey = `sb_secret_${randomBytes(24).toString('base64url')}`;
  const env: Record<string, string> = { SUPABASE_SECRET_KEYS: JSON.stringify({ default: secretKey }) };
  for (const [key, value] of Object.entries(apis.env)) if (value !== undefined) env[key] = value;
  const host = await startFunctionsHost({ databaseUrl: db.url, port: await freePort(), env, log: () => {} });
  try {
    ctx.log(`scheduler: POST /tick through the function, ${HTTP_TICKS + 1} ticks of ${HTTP_SCHEDULES} due schedules`);
    const samples: number[] = [];
    const syncMs: number[] = [];
    let firstMs = Number.NaN;
    for (let i = 0; i <= HTTP_TICKS; i++) {
      await db.sql`delete from public.sync_schedules`;
      const orgs = Array.from({ length: HTTP_SCHEDULES }, () => randomUUID());
      await db.sql`
        select public.upsert_sync_connection(o.org_id, 'xledger', '{}'::jsonb,
          ${db.sql.json(LOCAL_CREDENTIALS.xledger)}::jsonb, true)
        from unnest(${orgs}::uuid[]) as o(org_id)`;
      await db.sql`
        insert into public.sync_schedules (org_id, integration_type, cron_expression, time_zone, active_from)
        select o.org_id, 'xledger', '* * * * *', 'Europe/Oslo', now() - interval '2 minutes'
        from unnest(${orgs}::uuid[]) as o(org_id)`;
      const t0 = performance.now();
      const response = await fetch(`${host.url}/sync-scheduler/tick`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', apikey: secretKey },
        body: '{}',
      });
      const report = (await response.json()) as { started?: unknown[] };
      const ms = performance.now() - t0;
      if (response.status !== 200 || report.started?.length !== HTTP_SCHEDULES) {
        throw new Error(
          `POST /tick: ${response.status}, ${report.started?.length} runs started: ${JSON.stringify(report)}`,
        );
      }
      if (i === 0) firstMs = ms;
      else samples.push(ms);
      await syncsEnded(db.sql);
      syncMs.push(...(await syncsCompleted(db.sql, orgs)));
    }
    const sorted = [...samples].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    const share = (ms: number) => `${((ms / PG_NET_TIMEOUT_MS) * 100).toFixed(1)}%`;
    const syncSorted = syncMs.sort((a, b) => a - b);
    return {
      lines: [
        `POST /tick through the function (Deno, HTTP), ${HTTP_SCHEDULES} due schedules, ${HTTP_TICKS} ticks: p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms (${share(p99)} of pg_net's ${PG_NET_TIMEOUT_MS / 1000} s timeout); first tick of the instance ${firstMs.toFixed(0)} ms (${share(firstMs)})`,
        `  behind it ${syncMs.length} real syncs (each org's xledger connection, simulated API), all completed: run p50 ${percentile(syncSorted, 50).toFixed(0)} ms, max ${(syncSorted[syncSorted.length - 1] ?? Number.NaN).toFixed(0)} ms from start to end`,
      ],
      figures: {
        httpTickSyncsCompleted: syncMs.length,
        httpTickSyncP50Ms: percentile(syncSorted, 50),
        httpTickSyncMaxMs: syncSorted[syncSorted.length - 1] ?? Number.NaN,
        httpTickSchedules: HTTP_SCHEDULES,
        httpTicks: HTTP_TICKS,
        httpTickP50Ms: p50,
        httpTickP99Ms: p99,
        httpTickFirstMs: firstMs,
        httpTickP99ShareOfPgNetTimeout: p99 / PG_NET_TIMEOUT_MS,
      },
    };
  } finally {
    await host.stop();
    await apis.stop();
    await db.drop();
  }
}

/**
 * The tick's runs, one per org, all completed with records (a run that failed, e.g. not_configured, is an error
 * here, not a fast tick); returns each run's time from start to end in ms.
 */
async function syncsCompleted(sql: Sql, orgs: string[]): Promise<number[]> {
  const runs = await sql<
    { status: string; records_processed: number | null; error_message: string | null; ms: number }[]
  >`
    select status, records_processed, error_message,
      extract(epoch from (ended_at - started_at)) * 1000 as ms
    from public.sync_run_log where org_id = any(${orgs}::uuid[])`;
  const bad = runs.filter((run) => run.status !== 'completed' || !(Number(run.records_processed) > 0));
  if (runs.length !== orgs.length || bad.length > 0) {
    throw new Error(
      `POST /tick: ${runs.length} runs for ${orgs.length} orgs, ${bad.length} not completed with records: ${JSON.stringify(bad.slice(0, 3))}`,
    );
  }
  return runs.map((run) => Number(run.ms));
}

/** Waits (bounded) until no run is running: the tick's syncs, which go on after its response, have ended. */
async function syncsEnded(sql: Sql): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const [row] = await sql<
      { n: number }[]
    >`select count(*)::int as n from public.sync_run_log where status = 'running'`;
    if ((row as { n: number }).n === 0) return;
    if (Date.now() > deadline) throw new Error(`${(row as { n: number }).n} syncs still running after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
