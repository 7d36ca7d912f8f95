// Archival over a million old runs: the rate (rows per second) of the batched move that the daily job and the
// local ticker run, and the longest stall it causes a concurrent writer (insert_run_log in a loop), against that
// writer's median with no archival running, in the same run on the same database.
import postgres from 'postgres';
import { archiveOldRuns } from '../supabase/functions/_shared/archive/run-log-archive.ts';
import { createSqlRpc, type RequestContext } from '../supabase/functions/_shared/sql-rpc.ts';
import { type BenchContext, type BenchSection, summarize } from './bench-context.ts';

const SERVICE: RequestContext = { role: 'service_role', claims: { role: 'service_role' } };
const ORGS = 200;
const INTEGRATIONS = ['xledger', 'dynamics', 'bufdir', 'visma', 'tripletex'];
const SEED_CHUNK = 100_000;
const BASELINE_MS = 5_000;
const LIVE_ORG = 'ffffffff-0000-4000-8000-00000000000f';

/** Runs insert_run_log (+ completing the run) back to back until stopped; the insert_run_log latencies in ms. */
function writerLoop(url: string): { stop: () => Promise<number[]> } {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const rpc = createSqlRpc(sql, SERVICE);
  const samples: number[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const t0 = performance.now();
      const started = await rpc.rpc('insert_run_log', {
        p_org_id: LIVE_ORG,
        p_integration_type: `live_${i % 10}`,
        p_triggered_by: 'manual',
      });
      samples.push(performance.now() - t0);
      if (started.error) throw new Error(`insert_run_log failed: ${started.error.message}`);
      const done = await rpc.rpc('update_run_log_status', {
        p_run_id: started.data,
        p_status: 'completed',
        p_records_processed: 1,
        p_records_failed: 0,
        p_error_message: null,
      });
      if (done.error) throw new Error(`update_run_log_status failed: ${done.error.message}`);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      await sql.end();
      return samples;
    },
  };
}

export async function runArchiveBench(ctx: BenchContext): Promise<BenchSection> {
  const rows = Number(process.env.BENCH_ARCHIVE_ROWS ?? 1_000_000);
  const batchSize = Number(process.env.BENCH_ARCHIVE_BATCH ?? 1_000);
  const db = await ctx.createDatabase();
  try {
    ctx.log(
      `archive: seeding ${rows.toLocaleString('en')} runs older than 90 days (${ORGS} orgs x ${INTEGRATIONS.length} integrations)`,
    );
    for (let from = 1; from <= rows; from += SEED_CHUNK) {
      const to = Math.min(rows, from + SEED_CHUNK - 1);
      await db.sql`
        insert into public.sync_run_log
          (org_id, integration_type, started_at, ended_at, status, triggered_by, records_processed, records_failed, error_message)
        select ('00000000-0000-4000-8000-' || lpad((g % ${ORGS})::text, 12, '0'))::uuid,
               (${INTEGRATIONS}::text[])[1 + (g / ${ORGS}) % ${INTEGRATIONS.length}],
               s.t, s.t + interval '90 seconds',
               (array['completed', 'completed', 'completed', 'failed', 'cancelled'])[1 + g % 5],
               'scheduler', g % 5000, case when g % 5 = 3 then 2 else 0 end,
               case when g % 5 = 3 then 'Xledger answered 503 three times' end
        from generate_series(${from}::int, ${to}::int) g,
             lateral (select now() - interval '91 days' - g * interval '20 seconds' as t) s`;
      ctx.log(`archive: seeded ${to.toLocaleString('en')}/${rows.toLocaleString('en')}`);
    }
    // The newest run of every (org, integration), recent: it stays, so every seeded run is due.
    await db.sql`
      insert into public.sync_run_log (org_id, integration_type, started_at, ended_at, status, triggered_by)
      select ('00000000-0000-4000-8000-' || lpad(o::text, 12, '0'))::uuid, i, now() - interval '1 hour', now(), 'completed', 'scheduler'
      from generate_series(0, ${ORGS - 1}) o, unnest(${INTEGRATIONS}::text[]) i`;
    await db.sql`vacuum analyze public.sync_run_log`;

    ctx.log(`archive: writer baseline for ${BASELINE_MS / 1000} s (no archival)`);
    const baselineWriter = writerLoop(db.url);
    await new Promise((resolve) => setTimeout(resolve, BASELINE_MS));
    const alone = await baselineWriter.stop();
    const baseline = summarize(alone);
    const baselineMax = Math.max(...alone);

    ctx.log(`archive: archiving in batches of ${batchSize.toLocaleString('en')} beside the writer`);
    const writer = writerLoop(db.url);
    const archiver = postgres(db.url, { max: 1, onnotice: () => {} });
    const t0 = performance.now();
    let result: Awaited<ReturnType<typeof archiveOldRuns>>;
    let during: number[];
    try {
      result = await archiveOldRuns(createSqlRpc(archiver, SERVICE), {
        batchSize,
        source: 'manual',
        onBatch: (moved, total) => {
          if (moved > 0 && total % (100 * batchSize) === 0) ctx.log(`archive: moved ${total.toLocaleString('en')}`);
        },
      });
    } finally {
      during = await writer.stop();
      await archiver.end();
    }
    const seconds = (performance.now() - t0) / 1000;
    const [check] = await db.sql`select (select count(*) from public.sync_run_log_archive)::int as archived`;
    if (check?.archived !== rows || result.rowsMoved !== rows) {
      throw new Error(
        `archive: expected ${rows} rows moved, archive has ${check?.archived}, reported ${result.rowsMoved}`,
      );
    }

    const load = summarize(during);
    const max = Math.max(...during);
    const figures: Record<string, number> = {
      archive_rows: rows,
      archive_batch_size: batchSize,
      archive_batches: result.batches,
      archive_seconds: seconds,
      archive_rows_per_second: rows / seconds,
      insert_baseline_median_ms: baseline.median,
      insert_baseline_p99_ms: baseline.p99,
      insert_baseline_max_ms: baselineMax,
      insert_during_median_ms: load.median,
      insert_during_p99_ms: load.p99,
      insert_during_max_ms: max,
      insert_during_calls: during.length,
      longest_stall_ms: max - baseline.median,
      longest_stall_ratio: max / baseline.median,
    };
    const ms = (n: number) => `${n.toFixed(2)} ms`;
    return {
      title: 'Archival: rate over a million rows, and the stall it causes a concurrent insert',
      lines: [
        `moved ${rows.toLocaleString('en')} runs in ${result.batches.toLocaleString('en')} batches of ${batchSize.toLocaleString('en')} in ${seconds.toFixed(1)} s: ${Math.round(rows / seconds).toLocaleString('en')} rows/s`,
        `insert_run_log alone:           median ${ms(baseline.median)}, p99 ${ms(baseline.p99)}, max ${ms(baselineMax)} (${alone.length.toLocaleString('en')} calls)`,
        `insert_run_log during archival: median ${ms(load.median)}, p99 ${ms(load.p99)}, max ${ms(max)} (${during.length.toLocaleString('en')} calls)`,
        `longest stall: ${ms(max - baseline.median)} over the baseline median (max / baseline median = ${(max / baseline.median).toFixed(1)}x)`,
      ],
      figures,
    };
  } finally {
    await db.drop();
  }
}
