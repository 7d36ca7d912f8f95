// Seeding for the archival tests: runs written straight into the hot table as the superuser, with a start
// `daysAgo` days before the database's now() (the archival measures age against now(), so the test clock is
// the database's own, and no test waits).
import type { Sql } from 'postgres';

export const ORG_A = 'aaaaaaaa-0000-4000-8000-000000000001';
export const ORG_B = 'bbbbbbbb-0000-4000-8000-000000000002';

export interface SeedRun {
  orgId?: string;
  integrationType?: string;
  daysAgo: number;
  status?: 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
  errorMessage?: string | null;
}

/** Inserts the runs and returns their ids, in order. */
export async function seedRuns(sql: Sql, runs: SeedRun[]): Promise<string[]> {
  const ids: string[] = [];
  for (const run of runs) {
    const status = run.status ?? 'completed';
    const final = status === 'completed' || status === 'failed' || status === 'cancelled';
    const [row] = await sql<{ id: string }[]>`
      insert into public.sync_run_log
        (org_id, integration_type, started_at, ended_at, status, triggered_by, records_processed, error_message)
      values (
        ${run.orgId ?? ORG_A}, ${run.integrationType ?? 'xledger'},
        now() - make_interval(days => ${run.daysAgo}),
        case when ${final} then now() - make_interval(days => ${run.daysAgo}) + interval '90 seconds' end,
        ${status}, 'manual', 42, ${run.errorMessage ?? null}
      )
      returning id`;
    ids.push((row as { id: string }).id);
  }
  return ids;
}

/**
 * `count` completed runs of one (org, integration), the first started `fromDaysAgo` days ago and each next one
 * `stepMinutes` later (default one day).
 */
export async function seedSeries(
  sql: Sql,
  orgId: string,
  integrationType: string,
  count: number,
  fromDaysAgo: number,
  stepMinutes = 24 * 60,
): Promise<void> {
  await sql`
    insert into public.sync_run_log (org_id, integration_type, started_at, ended_at, status, triggered_by)
    select ${orgId}, ${integrationType}, s.t, s.t + interval '1 minute', 'completed', 'scheduler'
    from generate_series(0, ${count - 1}) g,
      lateral (select now() - make_interval(days => ${fromDaysAgo}) + make_interval(mins => g * ${stepMinutes}) as t) s`;
}

export async function hotIds(sql: Sql): Promise<Set<string>> {
  return new Set((await sql<{ id: string }[]>`select id from public.sync_run_log`).map((r) => r.id));
}

export async function archivedIds(sql: Sql): Promise<Set<string>> {
  return new Set((await sql<{ id: string }[]>`select id from public.sync_run_log_archive`).map((r) => r.id));
}
