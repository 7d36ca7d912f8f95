// What the integrations bench gives the seeded org with the deepest history, so that its status screen has real
// content: a connection per integration (the demo org's settings and the credentials the simulated APIs accept,
// through upsert_sync_connection, credentials in Vault), a schedule per integration (upsert_sync_schedule, Europe/Oslo;
// xledger every 15 minutes), health rows and open alerts, and 30 days of the xledger schedule's runs as the scheduler
// writes them: one per period, scheduled_for on the period, idempotency key periodKey() (`xledger:<ISO with ms>`),
// periods from schedulePeriods() in 10-day chunks (the ledger's limit is 1,000 periods per request). Outcomes vary:
// some failed, some completed with failed records, some late, a few cancelled, a few missing. The seed's own hourly
// xledger runs of those 30 days are put aside first (a period has one run, whatever its key: the period trigger
// refuses a second). remove() takes it all away again and puts them back, so that later sections (archive) see the
// seeded database as it was.
import type { Sql } from 'postgres';
import { DEMO_CONNECTIONS } from '../src/local/demo-seed.ts';
import { SERVICE_CONTEXT } from '../supabase/functions/_shared/database.ts';
import { IntegrationsRepository } from '../supabase/functions/_shared/integrations.repository.ts';
import { schedulePeriods } from '../supabase/functions/_shared/schedule-periods.ts';
import { periodKey } from '../supabase/functions/_shared/scheduler/cron.ts';
import { SchedulerRepository } from '../supabase/functions/_shared/scheduler/scheduler.repository.ts';
import { createSqlRpc } from '../supabase/functions/_shared/sql-rpc.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
export const LEDGER_DAYS = 30;
export const CHUNK_DAYS = 10;
export const TIME_ZONE = 'Europe/Oslo';
export const LEDGER_SCHEDULE = { integrationType: 'xledger', cronExpression: '*/15 * * * *', timeZone: TIME_ZONE };
const OTHER_SCHEDULES = [
  { integrationType: 'dynamics', cronExpression: '0 * * * *' },
  { integrationType: 'bufdir', cronExpression: '0 2 * * *' },
];

type PlannedOutcome = 'completed' | 'completed_with_failures' | 'late' | 'failed' | 'cancelled' | 'missed';

/** The outcome the i-th period of the ledger gets: a fixed pattern, so every run of the bench has the same ledger. */
function plannedOutcome(i: number): PlannedOutcome {
  if (i % 97 === 13) return 'missed';
  if (i % 211 === 50) return 'cancelled';
  if (i % 41 === 7) return 'failed';
  if (i % 29 === 3) return 'late';
  if (i % 17 === 5) return 'completed_with_failures';
  return 'completed';
}

export interface LedgerFixture {
  /** [from, to) of each request of the 30 days, oldest first; the last one is the newest 10 days. */
  chunks: Array<{ from: Date; to: Date; periods: number }>;
  periods: number;
  /** How many periods got each outcome. */
  planned: Record<PlannedOutcome, number>;
  /** Removes everything this fixture added to the org. */
  remove(): Promise<void>;
}

export async function seedOrgIntegrations(sql: Sql, orgId: string): Promise<LedgerFixture> {
  const rpc = createSqlRpc(sql, SERVICE_CONTEXT);
  const integrations = new IntegrationsRepository(rpc);
  const schedules = new SchedulerRepository(rpc);
  const [row] = await sql<{ now: Date }[]>`select now() as now`;
  const now = (row as { now: Date }).now.getTime();
  // The newest period is the last whole quarter hour: every period of the ledger is over, none upcoming.
  const to = new Date(Math.floor(now / (15 * MINUTE)) * 15 * MINUTE);
  const from = new Date(to.getTime() - LEDGER_DAYS * DAY);

  const columns = sql`org_id, integration_type, status, started_at, ended_at, heartbeat_at, records_processed,
    records_failed, error_message, triggered_by, scheduled_for, idempotency_key`;
  let displaced: Record<string, unknown>[] = [];
  const remove = async () => {
    await sql`delete from public.sync_run_log
      where org_id = ${orgId} and integration_type = ${LEDGER_SCHEDULE.integrationType}
        and scheduled_for >= ${from} and idempotency_key like '%.___Z'`;
    await sql`delete from public.sync_alerts where org_id = ${orgId}`;
    await sql`delete from public.integration_health where org_id = ${orgId}`;
    for (const type of Object.keys(DEMO_CONNECTIONS)) {
      await schedules.deleteSchedule(orgId, type);
      await integrations.deleteConnection(orgId, type);
    }
    if (displaced.length > 0) {
      await sql`insert into public.sync_run_log (id, ${columns})
        select id, ${columns} from jsonb_populate_recordset(null::public.sync_run_log, ${sql.json(displaced as never)}::jsonb)
        order by scheduled_for`;
      displaced = [];
    }
  };

  try {
    displaced = await sql`delete from public.sync_run_log
      where org_id = ${orgId} and integration_type = ${LEDGER_SCHEDULE.integrationType}
        and scheduled_for >= ${from} and scheduled_for < ${to}
      returning id, ${columns}`;
    for (const [type, connection] of Object.entries(DEMO_CONNECTIONS)) {
      await integrations.upsertConnection({
        orgId,
        integrationType: type,
        settings: { ...connection.settings },
        credentials: { ...connection.credentials },
        enabled: true,
      });
      await sql`select 1 from public.register_integration_health(${orgId}, ${type}, now())`;
    }
    for (const schedule of [LEDGER_SCHEDULE, ...OTHER_SCHEDULES]) {
      await schedules.upsertSchedule({
        orgId,
        integrationType: schedule.integrationType,
        cronExpression: schedule.cronExpression,
        timeZone: TIME_ZONE,
        enabled: true,
        runTimeoutSeconds: 1800,
        activeFrom: from,
      });
    }

    const chunks: LedgerFixture['chunks'] = [];
    const periods: Date[] = [];
    for (let start = from.getTime(); start < to.getTime(); start += CHUNK_DAYS * DAY) {
      const chunk = { from: new Date(start), to: new Date(Math.min(start + CHUNK_DAYS * DAY, to.getTime())) };
      const found = schedulePeriods(LEDGER_SCHEDULE, chunk.from, chunk.to);
      chunks.push({ ...chunk, periods: found.length });
      periods.push(...found);
    }

    const planned: Record<PlannedOutcome, number> = {
      completed: 0,
      completed_with_failures: 0,
      late: 0,
      failed: 0,
      cancelled: 0,
      missed: 0,
    };
    const runs = [];
    for (const [i, period] of periods.entries()) {
      const outcome = plannedOutcome(i);
      planned[outcome]++;
      if (outcome === 'missed') continue;
      // On time: started 2-41 s after the period; late: 6-20 minutes after it.
      const delayMs = outcome === 'late' ? (6 + (i % 15)) * MINUTE : (2 + ((i * 7) % 40)) * 1000;
      const startedAt = new Date(period.getTime() + delayMs);
      const endedAt = new Date(startedAt.getTime() + (60 + (i % 60)) * 1000);
      const failed = outcome === 'failed';
      runs.push({
        ord: i,
        status: failed ? 'failed' : outcome === 'cancelled' ? 'cancelled' : 'completed',
        started_at: startedAt,
        ended_at: endedAt,
        records_processed: failed ? 400 : outcome === 'cancelled' ? 200 : 1000,
        records_failed: failed ? 0 : outcome === 'completed_with_failures' ? 1 + (i % 4) : 0,
        error_message: failed ? 'Xledger answered 503 three times' : null,
        scheduled_for: period,
        idempotency_key: periodKey(LEDGER_SCHEDULE.integrationType, period),
      });
    }
    // One statement, oldest period first: the period trigger refuses an older period after a newer one.
    await sql`
      insert into public.sync_run_log (org_id, integration_type, status, started_at, ended_at, heartbeat_at,
        records_processed, records_failed, error_message, triggered_by, scheduled_for, idempotency_key)
      select ${orgId}::uuid, ${LEDGER_SCHEDULE.integrationType}, r.status, r.started_at, r.ended_at, r.ended_at,
        r.records_processed, r.records_failed, r.error_message, 'scheduler', r.scheduled_for, r.idempotency_key
      from jsonb_to_recordset(${sql.json(runs as never)}::jsonb) as r(ord integer, status text,
        started_at timestamptz, ended_at timestamptz, records_processed integer, records_failed integer,
        error_message text, scheduled_for timestamptz, idempotency_key text)
      order by r.ord`;

    // Open alerts of the kinds the scheduler records: xledger's missed periods and a late run, a stuck dynamics run.
    const missed = periods.filter((_, i) => plannedOutcome(i) === 'missed');
    await sql`select 1 from public.record_sync_alert(${orgId}, 'missed_periods', 'xledger', null,
      ${sql.json({ count: missed.length, periods: missed.map((p) => p.toISOString()) })}::jsonb, 'bench:missed')`;
    await sql`select 1 from public.record_sync_alert(${orgId}, 'schedule_drift', 'xledger', null,
      ${sql.json({ driftSeconds: 600 })}::jsonb, 'bench:drift')`;
    await sql`select 1 from public.record_sync_alert(${orgId}, 'stuck_run', 'dynamics', null,
      ${sql.json({ runTimeoutSeconds: 1800 })}::jsonb, 'bench:stuck')`;
    return { chunks, periods: periods.length, planned, remove };
  } catch (error) {
    await remove().catch(() => {});
    throw error;
  }
}
