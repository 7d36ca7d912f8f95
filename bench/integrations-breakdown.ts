// Where the time of the integrations routes goes: the steps their handlers take, one at a time, in this process
// (Node: the same V8 as Deno, the same repository code, the SQL adapter as the coordinator under RLS, the same pool
// size), against the seeded database, at concurrency 1. For the ledger: the schedule lookup, croner computing the
// periods, get_period_runs as the handler calls it (the runs as JSON columns, sent and parsed), and of that what
// PostgreSQL spends executing the function (EXPLAIN ANALYZE's execution time), then matching the runs to the
// periods with their outcomes, the JSON text, and the whole repository call. For the overview: get_integrations_overview, the next periods (croner) of the three schedules, and the
// whole repository call. GET /runs/latest's repository call stands beside them for scale.
import type { Sql } from 'postgres';
import { INTEGRATION_TYPES } from '../supabase/functions/_shared/integrations/integration-types.ts';
import { IntegrationsRepository } from '../supabase/functions/_shared/integrations.repository.ts';
import type { PeriodRunsRow } from '../supabase/functions/_shared/integrations.types.ts';
import { SyncRunLogRepository } from '../supabase/functions/_shared/run-log.repository.ts';
import { ledgerOf, nextPeriods, schedulePeriods } from '../supabase/functions/_shared/schedule-periods.ts';
import { SchedulerRepository } from '../supabase/functions/_shared/scheduler/scheduler.repository.ts';
import { createSqlRpc, type RequestContext, withRequestContext } from '../supabase/functions/_shared/sql-rpc.ts';
import { summarize } from './bench-context.ts';
import { LEDGER_SCHEDULE, type LedgerFixture } from './integration-fixtures.ts';

const SAMPLES = 100;
const WARMUP = 20;

async function timed(once: () => unknown): Promise<{ median: number; p99: number }> {
  for (let i = 0; i < WARMUP; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await once();
    samples.push(performance.now() - t0);
  }
  return summarize(samples);
}

/** Median and p99 of EXPLAIN ANALYZE's execution time of `statement` as the caller. */
async function executionTime(sql: Sql, context: RequestContext, statement: string, params: unknown[]) {
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const plan = await withRequestContext(sql, context, (tx) =>
      tx.unsafe(`explain (analyze, timing off) ${statement}`, params as never[]),
    );
    const line = (plan as unknown as Record<string, string>[]).map((row) => Object.values(row)[0]).join('\n');
    const ms = /Execution Time: ([\d.]+) ms/.exec(line)?.[1];
    if (ms === undefined) throw new Error(`no execution time in the plan of ${statement}`);
    if (i >= WARMUP) samples.push(Number(ms));
  }
  return summarize(samples);
}

export async function measureBreakdown(
  sql: Sql,
  orgId: string,
  ledger: LedgerFixture,
  figures: Record<string, number>,
): Promise<string[]> {
  const context: RequestContext = {
    role: 'authenticated',
    claims: { role: 'authenticated', sub: orgId, org_id: orgId, user_role: 'coordinator' },
  };
  const rpc = createSqlRpc(sql, context);
  const integrations = new IntegrationsRepository(rpc);
  const schedules = new SchedulerRepository(rpc);
  const runLog = new SyncRunLogRepository(rpc);
  const all = await schedules.getSchedules(orgId);
  const schedule = all.find((s) => s.integrationType === LEDGER_SCHEDULE.integrationType);
  const newest = ledger.chunks[ledger.chunks.length - 1];
  if (!schedule || !newest) throw new Error('the ledger fixture has no xledger schedule');
  const periods = schedulePeriods(schedule, newest.from, newest.to);
  const runsArgs = {
    p_org_id: orgId,
    p_integration_type: schedule.integrationType,
    p_from: newest.from.toISOString(),
    p_to: newest.to.toISOString(),
  };
  const { runs } = (await rpc.rpc('get_period_runs', runsArgs)).data as PeriodRunsRow;
  const now = new Date();

  const steps: Array<[key: string, name: string, once: () => unknown]> = [
    [
      'latest_repository',
      'GET /runs/latest: get_last_run_per_integration',
      () => runLog.getLastRunPerIntegration(orgId),
    ],
    [
      'overview_rpc',
      'GET /integrations: get_integrations_overview',
      () => rpc.rpc('get_integrations_overview', { p_org_id: orgId, p_integration_types: INTEGRATION_TYPES }),
    ],
    ['overview_next_periods', '  next periods of the 3 schedules (croner)', () => all.map((s) => nextPeriods(s, now))],
    ['overview_repository', '  the whole repository call', () => integrations.getIntegrationsOverview(orgId, { now })],
    [
      'ledger_croner',
      `periods (${periods.length}): the periods (cron expression, schedulePeriods)`,
      () => schedulePeriods(schedule, newest.from, newest.to),
    ],
    [
      'ledger_rpc',
      '  get_period_runs: schedule and runs (columns as JSON, sent, parsed)',
      () => rpc.rpc('get_period_runs', runsArgs),
    ],
    ['ledger_match', '  runs matched to the periods, outcomes', () => ledgerOf(schedule, periods, runs, now)],
    ['ledger_json', '  the response JSON', () => JSON.stringify({ periods: ledgerOf(schedule, periods, runs, now) })],
    [
      'ledger_repository',
      '  the whole repository call',
      () => integrations.getPeriodLedger(orgId, schedule.integrationType, newest.from, newest.to, { now }),
    ],
  ];
  const lines = [
    `where the time goes: the handlers' steps one at a time in process (Node), as the coordinator, concurrency 1, ${SAMPLES} samples`,
    `${'step'.padEnd(58)}p50 ms    p99 ms`,
  ];
  const line = (name: string, s: { median: number; p99: number }) =>
    `${name.padEnd(58)}${s.median.toFixed(2).padStart(6)}   ${s.p99.toFixed(2).padStart(7)}`;
  for (const [key, name, once] of steps) {
    const s = await timed(once);
    figures[`breakdown_${key}_p50_ms`] = s.median;
    figures[`breakdown_${key}_p99_ms`] = s.p99;
    lines.push(line(name, s));
    if (key === 'ledger_rpc') {
      const server = await executionTime(sql, context, 'select public.get_period_runs($1, $2, $3, $4) is null', [
        runsArgs.p_org_id,
        runsArgs.p_integration_type,
        runsArgs.p_from,
        runsArgs.p_to,
      ]);
      figures.breakdown_ledger_sql_execution_p50_ms = server.median;
      figures.breakdown_ledger_sql_execution_p99_ms = server.p99;
      lines.push(line('    of which PostgreSQL executing it (EXPLAIN ANALYZE)', server));
    }
  }
  return lines;
}
