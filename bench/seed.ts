// Seeds the run log with realistic history: many small orgs and a few orgs with deep histories.
import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';

export const INTEGRATIONS = [
  'bufdir',
  'dynamics',
  'xledger',
  'visma',
  'tripletex',
  'poweroffice',
  'fiken',
  'unit4',
  'sap',
  'netsuite',
];

/** Inserts `perIntegration` finished runs for each of the 10 integrations of each org, hourly, newest now. */
async function seedOrgs(sql: Sql, orgIds: string[], perIntegration: number): Promise<void> {
  await sql`
    insert into public.sync_run_log
      (org_id, integration_type, started_at, ended_at, status, triggered_by, scheduled_for, idempotency_key,
       records_processed, records_failed, error_message, heartbeat_at)
    select o.org_id, i.t, s.ts, s.ts + interval '90 seconds',
      case when g % 23 = 0 then 'failed' else 'completed' end,
      case when g % 7 = 0 then 'manual' else 'scheduler' end,
      case when g % 7 = 0 then null else s.ts end,
      case when g % 7 = 0 then null else i.t || ':' || to_char(s.ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') end,
      (g * 37) % 5000, case when g % 23 = 0 then 3 else 0 end,
      case when g % 23 = 0 then 'Xledger answered 503 three times' end,
      s.ts + interval '90 seconds'
    from unnest(${orgIds}::uuid[]) o(org_id)
    cross join unnest(${INTEGRATIONS}::text[]) i(t)
    cross join generate_series(1, ${perIntegration}) g
    cross join lateral (select date_trunc('hour', now()) - g * interval '1 hour' as ts) s`;
}

export interface SeededOrgs {
  /** Orgs with a known history depth (runs per integration). */
  orgs: { depth: number; orgId: string }[];
  rows: number;
}

export async function seedRunLog(sql: Sql, log: (line: string) => void, smallOrgs = 1000): Promise<SeededOrgs> {
  const small = Array.from({ length: smallOrgs }, () => randomUUID());
  for (let i = 0; i < small.length; i += 100) {
    await seedOrgs(sql, small.slice(i, i + 100), 100);
    log(`seed: ${Math.min(i + 100, small.length)}/${small.length} orgs x 10 integrations x 100 runs`);
  }
  const orgs = [
    { depth: 100, orgId: small[0] as string },
    { depth: 1_000, orgId: randomUUID() },
    { depth: 10_000, orgId: randomUUID() },
    { depth: 100_000, orgId: randomUUID() },
  ];
  for (const org of orgs.slice(1)) {
    // 100k runs per integration is 1M rows: insert it in slices so that progress shows
    await seedOrgs(sql, [org.orgId], org.depth);
    log(`seed: one org x 10 integrations x ${org.depth.toLocaleString('en')} runs`);
  }
  log('seed: vacuum analyze');
  await sql`vacuum analyze public.sync_run_log`;
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from public.sync_run_log`;
  return { orgs, rows: row?.n ?? 0 };
}
