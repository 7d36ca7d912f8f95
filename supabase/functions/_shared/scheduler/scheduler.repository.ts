// SchedulerRepository: the scheduler's database calls (schedules, alerts, drift, reaper), each a typed call of an
// RPC function through the Supabase-shaped port, as the run log's repository does. Runs themselves are started
// and moved on through SyncRunLogRepository.
import { callRpc, SyncRunLogError } from '../errors.ts';
import type { RpcPort } from '../rpc-port.ts';
import { DEFAULT_TIME_ZONE, MAX_LISTED_PERIODS, parseScheduleCron } from './cron.ts';
import {
  type Alert,
  type AlertRow,
  type ReapedRun,
  type Schedule,
  type ScheduleRow,
  toAlert,
  toSchedule,
} from './schedule.types.ts';

export interface ScheduleInput {
  orgId: string;
  integrationType: string;
  cronExpression: string;
  /** IANA time zone (default Europe/Oslo). */
  timeZone?: string;
  enabled?: boolean;
  /** A running run silent for longer is failed by the reaper (60..86400 s, default 1800). */
  runTimeoutSeconds?: number;
  /** Periods before this are never run (default: now, when the schedule is created or enabled again). */
  activeFrom?: Date;
}

export interface AlertInput {
  orgId: string;
  kind: string;
  integrationType?: string | null;
  runId?: string | null;
  details?: Record<string, unknown>;
  /** One alert per key and org, however many tickers report it. */
  dedupeKey?: string | null;
}

export interface DriftCheck {
  runId: string;
  driftSeconds: number | null;
  /** The alert recorded by this call; null when under the threshold or recorded already by someone else. */
  alertId: string | null;
}

export class SchedulerRepository {
  constructor(private readonly db: RpcPort) {}

  /**
   * Creates or replaces the schedule of an org's integration. The cron expression and the time zone are checked
   * with croner first (invalid_argument with a clear message, nothing written); PostgreSQL checks them again.
   */
  async upsertSchedule(input: ScheduleInput): Promise<Schedule> {
    const timeZone = input.timeZone ?? DEFAULT_TIME_ZONE;
    const parsed = parseScheduleCron(input.cronExpression, timeZone);
    const data = await this.call('upsert_sync_schedule', {
      p_org_id: input.orgId,
      p_integration_type: input.integrationType,
      p_cron_expression: parsed.expression,
      p_time_zone: timeZone,
      p_enabled: input.enabled ?? true,
      p_run_timeout_seconds: input.runTimeoutSeconds ?? 1800,
      p_active_from: input.activeFrom ? input.activeFrom.toISOString() : null,
    });
    return toSchedule(data as ScheduleRow);
  }

  async setScheduleEnabled(orgId: string, integrationType: string, enabled: boolean): Promise<Schedule> {
    const data = await this.call('set_sync_schedule_enabled', {
      p_org_id: orgId,
      p_integration_type: integrationType,
      p_enabled: enabled,
    });
    return toSchedule(data as ScheduleRow);
  }

  async deleteSchedule(orgId: string, integrationType: string): Promise<boolean> {
    return (await this.call('delete_sync_schedule', { p_org_id: orgId, p_integration_type: integrationType })) === true;
  }

  /** The schedules of an org (as the caller: RLS applies). */
  async getSchedules(orgId: string): Promise<Schedule[]> {
    return ((await this.call('get_sync_schedules', { p_org_id: orgId })) as ScheduleRow[]).map(toSchedule);
  }

  /** Every enabled schedule (service role): what the tick works through. */
  async getSchedulesForTick(): Promise<Schedule[]> {
    return ((await this.call('get_schedules_for_tick', {})) as ScheduleRow[]).map(toSchedule);
  }

  /** Fails runs silent for longer than their schedule's timeout (default 30 min) as of `now`; returns them. */
  async reapStuckRuns(now: Date, defaultTimeoutSeconds = 1800): Promise<ReapedRun[]> {
    const data = (await this.call('reap_stuck_runs', {
      p_now: now.toISOString(),
      p_default_timeout_seconds: defaultTimeoutSeconds,
    })) as Array<Record<string, unknown>>;
    return data.map((row) => ({
      runId: String(row.run_id),
      orgId: String(row.org_id),
      integrationType: String(row.integration_type),
      lastSeenAt: String(row.last_seen_at),
      timeoutSeconds: Number(row.timeout_seconds),
      errorMessage: String(row.error_message),
    }));
  }

  /** The run's drift; a schedule_drift alert is recorded (once) when it is over the threshold. */
  async checkRunDrift(runId: string, thresholdSeconds: number): Promise<DriftCheck> {
    const data = (await this.call('check_run_drift', {
      p_run_id: runId,
      p_threshold_seconds: Math.round(thresholdSeconds),
    })) as Array<{ run_id: string; drift_seconds: number | string | null; alert_id: string | null }>;
    const row = data[0];
    if (!row) throw new SyncRunLogError('internal', 'check_run_drift returned nothing');
    return {
      runId: row.run_id,
      driftSeconds: row.drift_seconds === null ? null : Number(row.drift_seconds),
      alertId: row.alert_id,
    };
  }

  /** Records the periods skipped in favour of a started run; null when none remain or it was recorded already. */
  /**
   * Starts a scheduled period under `runId` (the period's key) and records the periods it overtook, in one
   * transaction: the missed_periods alert it recorded, or null (none missed, or none left without a run). Refusals
   * are insert_run_log's: already_running, duplicate_period (details.existingRunId), superseded.
   */
  async startScheduledPeriod(start: {
    orgId: string;
    integrationType: string;
    period: Date;
    /** The period's key (the tick's); a service caller's own, or none. */
    idempotencyKey: string | null;
    runId: string;
    missed: Date[];
    missedCount: number;
  }): Promise<Alert | null> {
    const listed = start.missed.slice(0, MAX_LISTED_PERIODS).map((period) => period.toISOString());
    const data = (await this.call('start_scheduled_period', {
      p_org_id: start.orgId,
      p_integration_type: start.integrationType,
      p_scheduled_for: start.period.toISOString(),
      p_idempotency_key: start.idempotencyKey,
      p_run_id: start.runId,
      p_missed_periods: `{${listed.join(',')}}`,
      p_total_missed: start.missedCount,
    })) as AlertRow[];
    return data[0] ? toAlert(data[0]) : null;
  }

  /**
   * The run's alert of `kind`, whenever it was recorded; null when it has none. `run_failed`: the alert a failed
   * scheduled run's final write opened (null when the failure was counted into the integration's open alert, or the
   * run is a manual one); `schedule_drift`, `missed_periods`: what a retried tick call recorded.
   */
  async runAlert(orgId: string, runId: string, kind: string): Promise<Alert | null> {
    const data = (await this.call('run_alert', { p_org_id: orgId, p_run_id: runId, p_kind: kind })) as AlertRow[];
    return data[0] ? toAlert(data[0]) : null;
  }

  /** Records an alert; null when one with the same dedupe key exists already. */
  async recordAlert(input: AlertInput): Promise<Alert | null> {
    const data = (await this.call('record_sync_alert', {
      p_org_id: input.orgId,
      p_kind: input.kind,
      p_integration_type: input.integrationType ?? null,
      p_run_id: input.runId ?? null,
      p_details: input.details ?? {},
      p_dedupe_key: input.dedupeKey ?? null,
    })) as AlertRow[];
    return data[0] ? toAlert(data[0]) : null;
  }

  /** The newest alerts of an org (as the caller: RLS applies). */
  async getAlerts(orgId: string, limit = 100): Promise<Alert[]> {
    return ((await this.call('get_sync_alerts', { p_org_id: orgId, p_limit: limit })) as AlertRow[]).map(toAlert);
  }

  private call(fn: string, args: Record<string, unknown>): Promise<unknown> {
    return callRpc(this.db, fn, args, 'the scheduler database could not be reached');
  }
}
