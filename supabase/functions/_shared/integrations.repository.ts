// IntegrationsRepository: an org's integrations over the Supabase-shaped rpc port, one typed call per RPC function
// (migrations 20261201001000..1950): connections with credentials in Vault, "Sync now" queueing and the executor's
// claim, the overview of a status screen, the period ledger, and alerts with acknowledgement and paging.
//
// Who may call what (the database enforces it; pass the matching port):
//   as the caller (a user's JWT, RLS):  getConnections, getIntegrationsOverview, getPeriodLedger,
//                                       getAlertsPage
//   service role only:                  upsertConnection, setConnectionEnabled, deleteConnection,
//                                       getConnectionCredentials, queueManualRun, claimPendingRuns, acknowledgeAlert
// Errors are SyncRunLogErrors (errors.ts): invalid_argument, not_found, not_configured, already_running (with
// details.existingRunId), unavailable, internal. Credentials never appear in an error, a log line or a result other
// than getConnectionCredentials's. Everything upsertConnection sends is checked here first, so that the database
// has no reason to refuse the call. The credentials argument (p_credentials) travels as a bound parameter, in the SQL
// adapter as behind PostgREST, so it is never part of the statement text PostgreSQL logs with an error.
import { callRpc, SyncRunLogError } from './errors.ts';
import { INTEGRATION_TYPES } from './integrations/integration-types.ts';
import {
  type AcknowledgeableAlert,
  type AlertWithAcknowledgementRow,
  type ClaimedRun,
  type ClaimedRunRow,
  type Connection,
  type ConnectionRow,
  type IntegrationOverview,
  type IntegrationOverviewRow,
  type PeriodRunsRow,
  toAcknowledgeableAlert,
  toClaimedRun,
  toConnection,
  toIntegrationOverview,
} from './integrations.types.ts';
import { decodeCursor, type Page, pageOf } from './keyset-cursor.ts';
import type { RpcPort } from './rpc-port.ts';
import { INTEGRATION_TYPE_PATTERN, type SyncRun, type SyncRunLogRow, toSyncRun } from './run-log.types.ts';
import {
  ledgerOf,
  nextPeriods,
  type OutcomeOptions,
  type PeriodOutcomeEntry,
  schedulePeriods,
  spanPeriods,
} from './schedule-periods.ts';
import { type Schedule, toSchedule } from './scheduler/schedule.types.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Largest settings or credentials object, as JSON text (the database refuses more too). */
export const MAX_JSON_BYTES = 16 * 1024;

export interface ConnectionInput {
  orgId: string;
  integrationType: string;
  /** The adapter's non-secret settings (validate them per adapter first); omitted: kept ({} for a new one). */
  settings?: Record<string, unknown>;
  /** Replaces the stored credentials (Vault); omitted: kept (none for a new connection). */
  credentials?: Record<string, unknown>;
  /** Omitted: kept (true for a new connection). */
  enabled?: boolean;
}

export interface OverviewOptions {
  /** The clock for next periods. */
  now: Date;
  /** The integration types the project knows (default: the adapter registry's); one entry each, in this order. */
  knownTypes?: readonly string[];
}

export interface PeriodLedgerOptions extends OutcomeOptions {
  /** The clock that decides missed and upcoming. */
  now: Date;
}

export interface PeriodLedger {
  schedule: Schedule;
  /** Oldest first. */
  periods: PeriodOutcomeEntry[];
}

export interface AlertsPageOptions {
  /** 1..1000. */
  limit: number;
  /** The previous page's nextCursor. */
  before?: string;
}

export class IntegrationsRepository {
  constructor(private readonly db: RpcPort) {}

  // Connections -----------------------------------------------------------------------------------------------

  /** Creates or changes a connection; given credentials go to Vault. Returns it without secrets (service role). */
  async upsertConnection(input: ConnectionInput): Promise<Connection> {
    if (typeof input.orgId !== 'string' || !UUID.test(input.orgId)) {
      throw new SyncRunLogError('invalid_argument', 'org id must be a uuid');
    }
    checkIntegrationType(input.integrationType);
    if (input.settings !== undefined) checkJsonObject(input.settings, 'settings', false);
    if (input.credentials !== undefined) checkJsonObject(input.credentials, 'credentials', true);
    if (input.enabled !== undefined && typeof input.enabled !== 'boolean') {
      throw new SyncRunLogError('invalid_argument', 'enabled must be true or false');
    }
    const data = await this.call('upsert_sync_connection', {
      p_org_id: input.orgId,
      p_integration_type: input.integrationType,
      p_settings: input.settings ?? null,
      p_credentials: input.credentials ?? null,
      p_enabled: input.enabled ?? null,
    });
    return toConnection(data as ConnectionRow);
  }

  /** Turns a connection on or off; `not_found` when there is none (service role). */
  async setConnectionEnabled(orgId: string, integrationType: string, enabled: boolean): Promise<Connection> {
    const data = await this.call('set_sync_connection_enabled', {
      p_org_id: orgId,
      p_integration_type: integrationType,
      p_enabled: enabled,
    });
    return toConnection(data as ConnectionRow);
  }

  /** Deletes a connection and its Vault secret; false when there was none (service role). */
  async deleteConnection(orgId: string, integrationType: string): Promise<boolean> {
    return (
      (await this.call('delete_sync_connection', { p_org_id: orgId, p_integration_type: integrationType })) === true
    );
  }

  /** The org's connections, by integration type, without secrets (as the caller: RLS applies). */
  async getConnections(orgId: string): Promise<Connection[]> {
    return ((await this.call('get_sync_connections', { p_org_id: orgId })) as ConnectionRow[]).map(toConnection);
  }

  /**
   * The decrypted credentials of an enabled connection, for the executor, once per run (service role only).
   * `not_configured` when there is no enabled connection with credentials. Never log or store the result.
   */
  async getConnectionCredentials(orgId: string, integrationType: string): Promise<Record<string, unknown>> {
    const data = await this.call('get_connection_credentials', {
      p_org_id: orgId,
      p_integration_type: integrationType,
    });
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw new SyncRunLogError('not_configured', `${integrationType} has no readable credentials for this org`);
    }
    return data as Record<string, unknown>;
  }

  // "Sync now" ------------------------------------------------------------------------------------------------

  /**
   * Queues a manual run (status pending) and returns it (service role). `not_configured` without an enabled
   * connection with credentials; `already_running` with `details.existingRunId` when one is queued or running.
   */
  async queueManualRun(orgId: string, integrationType: string): Promise<SyncRun> {
    checkIntegrationType(integrationType);
    const data = await this.call('queue_manual_run', { p_org_id: orgId, p_integration_type: integrationType });
    return toSyncRun(data as SyncRunLogRow);
  }

  /** Claims up to `limit` (1..1000) queued runs, oldest first, now running (service role: the executor). */
  async claimPendingRuns(limit: number, claimId?: string): Promise<ClaimedRun[]> {
    const args = claimId === undefined ? { p_limit: limit } : { p_limit: limit, p_claim_id: claimId };
    return ((await this.call('claim_pending_runs', args)) as ClaimedRunRow[]).map(toClaimedRun);
  }

  // Reads for the status screen -------------------------------------------------------------------------------

  /**
   * One entry per known integration type, in the order given: connection, schedule with its next periods, health,
   * last run and open alerts, nulls (and 0) where the org has nothing. One database call.
   */
  async getIntegrationsOverview(orgId: string, options: OverviewOptions): Promise<IntegrationOverview[]> {
    const types = options.knownTypes ?? INTEGRATION_TYPES;
    if (types.length === 0) return [];
    const rows = (await this.call('get_integrations_overview', {
      p_org_id: orgId,
      p_integration_types: types,
    })) as IntegrationOverviewRow[];
    return rows.map((row) => toIntegrationOverview(row, (schedule) => nextPeriods(schedule, options.now)));
  }

  /**
   * The period ledger of an org's integration in [from, to): its schedule and each of the schedule's periods
   * (computed from the cron expression in the schedule's time zone, at most 1000: `invalid_argument` beyond) with its
   * scheduler run's facts and its outcome (schedule-periods.ts). One database call, get_period_runs, which reads the
   * schedule and the runs of the range by their period. Null when the caller sees no schedule of that integration
   * (another org's, or none).
   */
  async getPeriodLedger(
    orgId: string,
    integrationType: string,
    from: Date,
    to: Date,
    options: PeriodLedgerOptions,
  ): Promise<PeriodLedger | null> {
    checkIntegrationType(integrationType);
    if (!(from.getTime() < to.getTime())) {
      throw new SyncRunLogError('invalid_argument', 'the period range is empty: from must be before to');
    }
    const data = (await this.call('get_period_runs', {
      p_org_id: orgId,
      p_integration_type: integrationType,
      p_from: from.toISOString(),
      p_to: to.toISOString(),
    })) as PeriodRunsRow | null;
    if (data === null) return null;
    const schedule = toSchedule(data.schedule);
    // At most 1,000 periods of the schedule in the range, whatever part of it the schedule was in force (a range's
    // bound does not move with the history); counted again only when the open span does not cover the range.
    const open = data.spans.at(-1);
    if (!open || open.activeUntil !== null || Date.parse(open.activeFrom) > from.getTime()) {
      schedulePeriods(schedule, from, to);
    }
    const due = spanPeriods(data.spans, from, to);
    return { schedule, periods: ledgerOf(schedule, due, data.runs, options.now, options) };
  }

  // Alerts ----------------------------------------------------------------------------------------------------

  /**
   * Acknowledges an alert of the org (service role; pass the org and user id from the verified JWT). Acknowledging
   * again keeps the first acknowledgement. `not_found` for an unknown id or another org's alert. With
   * `seenFailedCount` (the failures the user saw), an open alert that counts more now is `alert_changed`
   * (`details.failedCount`, the count now) and stays open.
   */
  async acknowledgeAlert(
    orgId: string,
    alertId: string,
    acknowledgedBy: string | null,
    seenFailedCount?: number,
  ): Promise<AcknowledgeableAlert> {
    const data = await this.call('acknowledge_sync_alert', {
      p_org_id: orgId,
      p_alert_id: alertId,
      p_acknowledged_by: acknowledgedBy,
      // Named only when given: an acknowledgement without a count is the call it always was, which a database not
      // yet migrated to 20261202013000 still answers.
      ...(seenFailedCount === undefined ? {} : { p_seen_failed_count: seenFailedCount }),
    });
    return toAcknowledgeableAlert(data as AlertWithAcknowledgementRow);
  }

  /** A page of the org's alerts, newest first (as the caller: RLS applies). */
  async getAlertsPage(orgId: string, options: AlertsPageOptions): Promise<Page<AcknowledgeableAlert>> {
    const before = options.before === undefined ? null : decodeCursor('alerts', options.before);
    const data = await this.call('get_sync_alerts_page', {
      p_org_id: orgId,
      p_limit: options.limit,
      p_before_created_at: before?.at ?? null,
      p_before_id: before?.id ?? null,
    });
    const alerts = (data as AlertWithAcknowledgementRow[]).map(toAcknowledgeableAlert);
    return pageOf('alerts', alerts, options.limit, (alert) => ({ at: alert.createdAt, id: alert.id }));
  }

  private call(fn: string, args: Record<string, unknown>): Promise<unknown> {
    return callRpc(this.db, fn, args, 'the integrations database could not be reached');
  }
}

function checkIntegrationType(integrationType: string): void {
  if (typeof integrationType !== 'string' || !INTEGRATION_TYPE_PATTERN.test(integrationType)) {
    throw new SyncRunLogError(
      'invalid_argument',
      'integration type must be a lowercase identifier (^[a-z][a-z0-9_]{1,62}$)',
    );
  }
}

/**
 * A plain JSON object of at most MAX_JSON_BYTES whose keys and strings PostgreSQL's jsonb accepts (no NUL, no lone
 * surrogate: it would refuse them and quote the value in its error). The message names the field, never its content.
 */
function checkJsonObject(value: unknown, name: string, nonEmpty: boolean): void {
  const invalid = (why: string) => new SyncRunLogError('invalid_argument', `${name} ${why}`);
  if (!isPlainObject(value)) throw invalid('must be a JSON object');
  if (nonEmpty && Object.keys(value).length === 0) throw invalid('must not be empty');
  let text: string;
  try {
    text = JSON.stringify(value, (key, item) => {
      if (!storable(key) || (typeof item === 'string' && !storable(item))) throw new TypeError('not storable');
      return item;
    });
  } catch {
    throw invalid('must be plain JSON without NUL characters or unpaired surrogates');
  }
  if (new TextEncoder().encode(text).length > MAX_JSON_BYTES) {
    throw invalid(`must be at most ${MAX_JSON_BYTES} bytes of JSON`);
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function storable(text: string): boolean {
  return !text.includes('\u0000') && !LONE_SURROGATE.test(text);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
