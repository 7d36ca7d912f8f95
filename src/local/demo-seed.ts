// The demo org of the local stack: `npm start` seeds it after the migrations (DEMO=off: not), so that a fresh
// checkout shows a living org: connections of all three integrations with the credentials the simulated vendor APIs
// accept (stored in Vault by upsert_sync_connection, as in production), their schedules (upsert_sync_schedule,
// Europe/Oslo; one every 5 minutes, so runs appear while you watch), and 14 days of history (demo-history.ts) with
// the alerts the scheduler and its watchdog would have recorded (check_run_drift, record_missed_periods,
// record_run_failure, record_sync_alert).
//
// Once: an org that has anything already (a connection, a schedule, a run, an alert) is left as it is, so a restart
// changes nothing, and neither do changes made since through the API. Everything is written in one transaction
// (all or nothing) under an advisory lock (two starts at once seed once). History rows are local seed data, written
// as the table owner in one statement, in the order they happened: the database's own trigger moves each schedule's
// last_scheduled_for to its newest seeded period, so the ticker starts the next period and never catches up old
// ones; periods whose run would still be going on at `now` are left to it.
import type { Sql } from 'postgres';
import { sanitizeErrorMessage } from '../../supabase/functions/_shared/sanitize-error.ts';
import { parseScheduleCron } from '../../supabase/functions/_shared/scheduler/cron.ts';
import { DRIFT_THRESHOLD_SECONDS } from '../../supabase/functions/_shared/scheduler/tick.ts';
import {
  DEMO_DAYS,
  DEMO_SCHEDULES,
  DEMO_TIME_ZONE,
  type DemoAlert,
  type DemoRun,
  demoHistory,
} from './demo-history.ts';
import { LOCAL_CREDENTIALS } from './simulated-apis/index.ts';

/** The org of the README's examples. */
export const DEMO_ORG_ID = '6f1c1f5e-8a7b-4c0e-9d2a-3b4c5d6e7f80';

/** What the demo org's connections hold: the credentials the simulated APIs accept, and some settings. */
export const DEMO_CONNECTIONS = {
  xledger: { credentials: LOCAL_CREDENTIALS.xledger, settings: { companyId: 24601 } },
  // No environmentUrl: the deployment's DYNAMICS_BASE_URL, i.e. the simulated API.
  dynamics: { credentials: LOCAL_CREDENTIALS.dynamics, settings: {} },
  bufdir: { credentials: LOCAL_CREDENTIALS.bufdir, settings: { organisationNumber: '123456785' } },
} as const;

/** Any key of its own, so that two `npm start` on one database seed one after the other. */
const SEED_LOCK = 7_301_994_511;

export interface DemoSeedResult {
  orgId: string;
  /** False when the org had data already: nothing was written. */
  seeded: boolean;
  runs: number;
  alerts: number;
  openAlerts: number;
}

/**
 * DEMO: `off` (false, 0, no) or `on` (true, 1, yes). Unset: on for the embedded database, off with DATABASE_URL,
 * which may be a Supabase project's, where pg_cron would run the demo's schedules against the real vendors.
 */
export function demoEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env.DEMO ?? '').trim().toLowerCase();
  if (value === '') return !env.DATABASE_URL;
  if (['on', 'true', '1', 'yes'].includes(value)) return true;
  if (['off', 'false', '0', 'no'].includes(value)) return false;
  throw new Error(`DEMO must be on or off, got ${JSON.stringify(env.DEMO)}`);
}

/** Seeds the demo org unless it has data already (see the top of this file). `now`: the seed's clock. */
export async function seedDemoOrg(sql: Sql, options: { now?: Date; orgId?: string } = {}): Promise<DemoSeedResult> {
  const orgId = options.orgId ?? DEMO_ORG_ID;
  const now = options.now ?? new Date();
  const history = demoHistory(now);
  for (const schedule of DEMO_SCHEDULES) parseScheduleCron(schedule.cronExpression, DEMO_TIME_ZONE);

  return (await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${SEED_LOCK})`;
    const [{ used }] = (await tx`
      select exists (select 1 from public.sync_connections where org_id = ${orgId})
        or exists (select 1 from public.sync_schedules where org_id = ${orgId})
        or exists (select 1 from public.sync_run_log where org_id = ${orgId})
        or exists (select 1 from public.sync_run_log_archive where org_id = ${orgId})
        or exists (select 1 from public.sync_alerts where org_id = ${orgId}) as used`) as unknown as [
      { used: boolean },
    ];
    if (used) return { orgId, seeded: false, runs: 0, alerts: 0, openAlerts: 0 };

    for (const [type, connection] of Object.entries(DEMO_CONNECTIONS)) {
      await tx`select 1 from public.upsert_sync_connection(${orgId}, ${type},
        ${tx.json(connection.settings)}::jsonb, ${tx.json(connection.credentials)}::jsonb, true)`;
    }
    for (const schedule of DEMO_SCHEDULES) {
      await tx`select 1 from public.upsert_sync_schedule(${orgId}, ${schedule.integrationType},
        ${schedule.cronExpression}, ${DEMO_TIME_ZONE}, true, ${schedule.runTimeoutSeconds}, ${history.activeFrom})`;
    }
    await insertRuns(tx as unknown as Sql, orgId, history.runs);
    const alerts = await recordAlerts(tx as unknown as Sql, orgId, history.alerts);
    return {
      orgId,
      seeded: true,
      runs: history.runs.length,
      alerts: alerts.length,
      openAlerts: alerts.filter((alert) => alert.acknowledgedAt === null).length,
    };
  })) as DemoSeedResult;
}

/** Every run in one statement, oldest first (the period trigger refuses an older period after a newer one). */
async function insertRuns(tx: Sql, orgId: string, runs: DemoRun[]): Promise<void> {
  const rows = runs.map((run, ord) => ({
    ord,
    id: run.id,
    integration_type: run.integrationType,
    status: run.status,
    started_at: run.startedAt,
    ended_at: run.endedAt,
    heartbeat_at: run.heartbeatAt,
    records_processed: run.recordsProcessed,
    records_failed: run.recordsFailed,
    error_message: run.errorMessage === null ? null : sanitizeErrorMessage(run.errorMessage),
    triggered_by: run.triggeredBy,
    scheduled_for: run.scheduledFor,
    idempotency_key: run.idempotencyKey,
  }));
  await tx`
    insert into public.sync_run_log (id, org_id, integration_type, status, started_at, ended_at, heartbeat_at,
      records_processed, records_failed, error_message, triggered_by, scheduled_for, idempotency_key)
    select r.id, ${orgId}::uuid, r.integration_type, r.status, r.started_at, r.ended_at, r.heartbeat_at,
      r.records_processed, r.records_failed, r.error_message, r.triggered_by, r.scheduled_for, r.idempotency_key
    from jsonb_to_recordset(${tx.json(rows as never)}::jsonb) as r(ord integer, id uuid, integration_type text,
      status text, started_at timestamptz, ended_at timestamptz, heartbeat_at timestamptz, records_processed integer,
      records_failed integer, error_message text, triggered_by text, scheduled_for timestamptz, idempotency_key text)
    order by r.ord`;
}

interface RecordedAlert {
  id: string;
  createdAt: Date;
  acknowledgedAt: Date | null;
}

/**
 * Records the incidents through the scheduler's own functions (same kinds, details and dedupe keys as a tick), then
 * dates them when they happened: the functions stamp now().
 */
async function recordAlerts(tx: Sql, orgId: string, planned: DemoAlert[]): Promise<RecordedAlert[]> {
  const recorded: RecordedAlert[] = [];
  for (const alert of planned) {
    let rows: { id: string | null }[];
    if (alert.kind === 'schedule_drift') {
      rows = await tx`select alert_id as id from public.check_run_drift(${alert.runId}, ${DRIFT_THRESHOLD_SECONDS})`;
    } else if (alert.kind === 'missed_periods') {
      const periods = `{${alert.missed.map((period) => period.toISOString()).join(',')}}`;
      rows = await tx`select id from public.record_missed_periods(${alert.runId}, ${periods}::timestamptz[],
        ${alert.missed.length})`;
    } else if (alert.kind === 'scheduler_stalled') {
      // As check_scheduler_pulse records it (that function looks at every org's schedules, so not called here).
      const lastTick = alert.lastTickAt.toISOString().replace(/Z$/, '000Z');
      const details = { last_tick_at: alert.lastTickAt, checked_at: alert.at, silent_seconds: 300 };
      rows = await tx`select id from public.record_sync_alert(${orgId}, 'scheduler_stalled', ${alert.integrationType},
        null, ${tx.json(details as never)}::jsonb, ${`scheduler_stalled:${alert.integrationType}:${lastTick}`})`;
    } else if (alert.kind === 'run_failed') {
      rows = await tx`select id from public.record_run_failure(${alert.runId})`;
    } else {
      rows = await tx`select id from public.record_sync_alert(${orgId}, 'stuck_run', ${alert.integrationType},
        ${alert.runId}, ${tx.json(alert.details as never)}::jsonb, ${`stuck_run:${alert.runId}`})`;
    }
    const id = rows[0]?.id;
    if (!id) throw new Error(`the demo's ${alert.kind} alert was not recorded`);
    // Acknowledged before the next alert is recorded: a run_failed alert acknowledged no longer takes later failures.
    const acknowledgedAt = 'acknowledgedAt' in alert ? alert.acknowledgedAt : null;
    if (acknowledgedAt) await tx`select 1 from public.acknowledge_sync_alert(${orgId}, ${id}, null)`;
    recorded.push({ id, createdAt: alert.at, acknowledgedAt });
  }
  const dates = recorded.map((alert) => ({
    id: alert.id,
    created_at: alert.createdAt,
    acknowledged_at: alert.acknowledgedAt,
  }));
  await tx`
    update public.sync_alerts a
    set created_at = b.created_at, acknowledged_at = b.acknowledged_at
    from jsonb_to_recordset(${tx.json(dates as never)}::jsonb)
      as b(id uuid, created_at timestamptz, acknowledged_at timestamptz)
    where a.id = b.id and a.org_id = ${orgId}`;
  return recorded;
}

/** The start-up lines: what was seeded, and ready-to-paste commands for a coordinator and an admin. */
/** The settings `npm run token` must share with this `npm start` to mint tokens it accepts (signing, key, issuer). */
const TOKEN_SETTINGS = ['AUTH_SIGNING', 'DATA_DIR', 'FUNCTIONS_PORT'] as const;

export function demoLines(result: DemoSeedResult, functionsUrl: string, env: NodeJS.ProcessEnv = {}): string[] {
  // Pasted into another shell, the token commands need this stack's settings, or their tokens are refused.
  const settings = TOKEN_SETTINGS.filter((name) => env[name]).map(
    (name) => `${name}=${shellWord(env[name] as string)} `,
  );
  const token = `${settings.join('')}npm run -s token --`;
  const schedules = DEMO_SCHEDULES.map((s) => `${s.integrationType} ${s.describe}`).join(', ');
  return [
    result.seeded
      ? `demo: org ${result.orgId} seeded: connections and schedules (${schedules}, ${DEMO_TIME_ZONE}), ` +
        `${DEMO_DAYS} days of history (${result.runs} runs, ${result.alerts} alerts, ${result.openAlerts} open)`
      : `demo: org ${result.orgId} has data already: left as it is`,
    'demo: as its coordinator or admin (DEMO=off leaves the demo org out):',
    `  ORG=${result.orgId}`,
    `  COORDINATOR=$(${token} --org $ORG --role coordinator)`,
    `  ADMIN=$(${token} --org $ORG --role admin)`,
    `  curl -s ${functionsUrl}/functions/v1/sync-run-log/integrations -H "authorization: Bearer $COORDINATOR"`,
  ];
}

/** What `npm start` calls after the migrations: seeds (unless DEMO says not to) and prints the lines. */
export async function seedDemoOnStart(
  sql: Sql,
  options: { env: NodeJS.ProcessEnv; functionsUrl: string; log: (line: string) => void; now?: Date },
): Promise<DemoSeedResult | null> {
  if (!demoEnabled(options.env)) {
    options.log(
      options.env.DEMO
        ? 'demo: off (DEMO=off)'
        : 'demo: off, since DATABASE_URL is set (DEMO=on seeds the demo org there too)',
    );
    return null;
  }
  const result = await seedDemoOrg(sql, { now: options.now });
  for (const line of demoLines(result, options.functionsUrl, options.env)) options.log(line);
  return result;
}

/** A value as one shell word: as it is when plain, else in single quotes. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}
