// get_last_run_per_integration as `authenticated` under RLS, at history depths of 100 to 100,000 runs per
// integration, against the plain `distinct on` query on the same data, in the same run. The function's calls at the
// four depths are interleaved (a call at each depth in turn, a thousand rounds): its p99s are compared with each
// other (flat as history grows), so a burst of load on this shared machine must not land on one depth only.
import postgres, { type Sql } from 'postgres';
import { type BenchContext, type BenchSection, summarize } from './bench-context.ts';

const CALLS = 1_000;
const WARMUP = 50;
const PLAIN_BUDGET_MS = 20_000;

/** Times `calls` calls after a warm-up; with a budget, stops early once it has spent that many ms (at least 30 calls). */
async function timeCalls(
  run: () => Promise<unknown>,
  calls: number,
  budgetMs = Number.POSITIVE_INFINITY,
): Promise<number[]> {
  const start = performance.now();
  for (let i = 0; i < WARMUP && performance.now() - start < budgetMs / 10; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < calls && (i < 30 || performance.now() - start < budgetMs); i++) {
    const t0 = performance.now();
    await run();
    samples.push(performance.now() - t0);
  }
  return samples;
}

/** `calls` rounds after a warm-up, each calling every one of `runs` once in turn: the samples of each, in order. */
async function interleavedCalls(runs: Array<() => Promise<unknown>>, calls: number): Promise<number[][]> {
  for (let i = 0; i < WARMUP; i++) for (const run of runs) await run();
  const samples = runs.map(() => [] as number[]);
  for (let i = 0; i < calls; i++) {
    for (const [j, run] of runs.entries()) {
      const t0 = performance.now();
      await run();
      samples[j]?.push(performance.now() - t0);
    }
  }
  return samples;
}

/** One connection acting as a coordinator of the org: role authenticated, JWT claims set for the session. */
async function coordinatorSession(url: string, orgId: string): Promise<Sql> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const claims = JSON.stringify({ role: 'authenticated', org_id: orgId, user_role: 'coordinator', sub: orgId });
  await sql`select set_config('role', 'authenticated', false), set_config('request.jwt.claims', ${claims}, false)`;
  return sql;
}

export async function runRunLogBench(ctx: BenchContext): Promise<BenchSection> {
  const lines: string[] = [];
  const figures: Record<string, number> = {};
  const fmt = (n: number) => n.toFixed(3).padStart(8);
  lines.push(
    `rows in sync_run_log: ${(await ctx.seeded.sql`select count(*)::int as n from public.sync_run_log`)[0]?.n}`,
  );
  // The floor of this machine in this run: a round trip that does no work, on the same kind of connection.
  const floorSession = await coordinatorSession(ctx.seeded.url, ctx.seeded.orgs[0]?.orgId ?? '');
  const floor = summarize(await timeCalls(() => floorSession`select 1`, CALLS));
  await floorSession.end();
  figures.floor_median_ms = floor.median;
  figures.floor_p99_ms = floor.p99;
  lines.push(
    `round-trip floor (select 1, same connection setup): median ${floor.median.toFixed(3)} ms, p99 ${floor.p99.toFixed(3)} ms`,
  );
  lines.push('runs/integration   function median / p99 (ms)   plain distinct-on median / p99 (ms)   p99 ratio');
  const sessions = await Promise.all(
    ctx.seeded.orgs.map(async ({ depth, orgId }) => ({
      depth,
      orgId,
      sql: await coordinatorSession(ctx.seeded.url, orgId),
    })),
  );
  try {
    for (const { depth, orgId, sql } of sessions) {
      const [check] = await sql`select count(*)::int as n from public.get_last_run_per_integration(${orgId})`;
      if (check?.n !== 10) throw new Error(`expected 10 integrations for the depth-${depth} org, got ${check?.n}`);
    }
    // The function at every depth in rounds, one call per depth each, so that what the machine does meanwhile (a
    // burst of a second or so: another tenant, the seed's aftermath) falls on every depth alike, and not on the
    // depth that happened to be measured then.
    const fnSamples = await interleavedCalls(
      sessions.map(
        ({ orgId, sql }) =>
          () =>
            sql`select * from public.get_last_run_per_integration(${orgId})`,
      ),
      CALLS,
    );
    for (const [i, { depth, orgId, sql }] of sessions.entries()) {
      const fn = summarize(fnSamples[i] as number[]);
      // The plain query reads the org's whole history per call (a second or more at depth): give it a time budget.
      const plainSamples = await timeCalls(
        () => sql`select distinct on (integration_type) * from public.sync_run_log
                  where org_id = ${orgId} order by integration_type, started_at desc`,
        CALLS,
        PLAIN_BUDGET_MS,
      );
      const plainCalls = plainSamples.length;
      const plain = summarize(plainSamples);
      const ratio = plain.p99 / fn.p99;
      figures[`fn_median_ms_${depth}`] = fn.median;
      figures[`fn_p99_ms_${depth}`] = fn.p99;
      figures[`plain_median_ms_${depth}`] = plain.median;
      figures[`plain_p99_ms_${depth}`] = plain.p99;
      figures[`ratio_p99_${depth}`] = ratio;
      figures[`ratio_median_${depth}`] = plain.median / fn.median;
      lines.push(
        `${String(depth).padStart(16)}   ${fmt(fn.median)} / ${fmt(fn.p99)}          ${fmt(plain.median)} / ${fmt(plain.p99)} (${plainCalls} calls)   ${ratio.toFixed(1)}x`,
      );
      ctx.log(`run-log: depth ${depth} done`);
    }
  } finally {
    await Promise.all(sessions.map(({ sql }) => sql.end()));
  }
  const depths = ctx.seeded.orgs.map((o) => o.depth);
  const p99s = depths.map((d) => figures[`fn_p99_ms_${d}`] as number);
  figures.fn_p99_flatness = Math.max(...p99s) / Math.min(...p99s);
  lines.push(`function p99, deepest / shallowest history: ${figures.fn_p99_flatness.toFixed(2)}x (flat = about 1)`);
  lines.push(`targets: p99 < 2 ms at every depth; >= 20x faster than plain at 100k; flat as history grows`);
  return {
    title:
      'get_last_run_per_integration as authenticated under RLS (1,000 calls each, one connection per depth, the depths in turn)',
    lines,
    figures,
  };
}
