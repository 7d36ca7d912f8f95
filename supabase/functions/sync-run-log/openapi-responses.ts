// The response schemas of the sync-run-log OpenAPI document, written once here (JSON Schema 2020-12, as OpenAPI 3.1
// uses it) and held to the code by the e2e tests, which validate every response they receive against them. Objects
// are closed (additionalProperties: false): a field the code adds without documenting it fails a test, and so would
// a credential in a connection. Nullable fields are `type: [..., 'null']`, or `oneOf [ref, null]` for objects.
import { ERROR_CODES } from '../_shared/errors.ts';
import { INTEGRATION_TYPES } from '../_shared/integrations/integration-types.ts';
import { RUN_STATUSES, TRIGGERS } from '../_shared/run-log.types.ts';
import { PERIOD_OUTCOMES } from '../_shared/schedule-periods.ts';

export type JsonSchema = Record<string, unknown>;

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const orNull = (name: string): JsonSchema => ({ oneOf: [ref(name), { type: 'null' }] });
const object = (properties: Record<string, JsonSchema>, description: string, optional: string[] = []) => ({
  type: 'object',
  description,
  properties,
  required: Object.keys(properties).filter((key) => !optional.includes(key)),
  additionalProperties: false,
});

const uuid = { type: 'string', format: 'uuid' };
const nullableUuid = { type: ['string', 'null'], format: 'uuid' };
const instant = { type: 'string', format: 'date-time' };
const nullableInstant = { type: ['string', 'null'], format: 'date-time' };
const text = { type: 'string' };
const nullableText = { type: ['string', 'null'] };
const counter = { type: 'integer', minimum: 0 };
const nullableCounter = { type: ['integer', 'null'], minimum: 0 };
const freeObject = (description: string) => ({ type: 'object', description, additionalProperties: true });

export const RESPONSE_SCHEMAS: Record<string, JsonSchema> = {
  RunStatus: { type: 'string', enum: [...RUN_STATUSES], description: 'pending: queued, not started yet.' },
  TriggeredBy: { type: 'string', enum: [...TRIGGERS] },
  IntegrationType: {
    type: 'string',
    enum: [...INTEGRATION_TYPES],
    description: 'An integration this project has an adapter for.',
  },
  Run: object(
    {
      id: uuid,
      orgId: uuid,
      integrationType: text,
      startedAt: { ...instant, description: 'When it started, or for a queued run when it was queued.' },
      endedAt: nullableInstant,
      status: ref('RunStatus'),
      recordsProcessed: counter,
      recordsFailed: counter,
      errorMessage: { ...nullableText, description: 'Sanitised: no secrets, no stack traces.' },
      triggeredBy: ref('TriggeredBy'),
      scheduledFor: { ...nullableInstant, description: 'The schedule period a scheduler run stands for.' },
      idempotencyKey: nullableText,
      heartbeatAt: nullableInstant,
      durationSeconds: { type: ['number', 'null'], minimum: 0 },
    },
    'One sync run of an integration of an org.',
  ),
  Connection: object(
    {
      id: uuid,
      orgId: uuid,
      integrationType: text,
      settings: freeObject("The adapter's non-secret settings (XledgerSettings, DynamicsSettings or BufdirSettings)."),
      enabled: { type: 'boolean' },
      credentialsSetAt: {
        ...nullableInstant,
        description: 'When the credentials were last set (never the credentials).',
      },
      createdAt: instant,
      updatedAt: instant,
    },
    "An org's connection to an integration, without its credentials (they are write-only).",
  ),
  Schedule: object(
    {
      id: uuid,
      orgId: uuid,
      integrationType: text,
      cronExpression: text,
      timeZone: { ...text, description: 'The IANA time zone the cron expression is read in.' },
      enabled: { type: 'boolean' },
      runTimeoutSeconds: { type: 'integer', minimum: 60, maximum: 86_400 },
      activeFrom: { ...instant, description: 'Periods before it are never run.' },
      lastScheduledFor: { ...nullableInstant, description: 'The newest period a scheduler run was started for.' },
      createdAt: instant,
      updatedAt: instant,
      nextPeriods: {
        type: 'array',
        items: instant,
        maxItems: 3,
        description: 'The next periods the scheduler will run; empty while the schedule is disabled.',
      },
    },
    "When the scheduler runs an org's integration, with its next periods.",
  ),
  IntegrationHealth: object(
    {
      orgId: uuid,
      integrationType: text,
      status: { type: 'string', enum: ['unknown', 'healthy', 'unhealthy'] },
      mode: { type: 'string', enum: ['active', 'passive'] },
      consecutiveFailures: counter,
      nextCheckAt: instant,
      passiveUntil: nullableInstant,
      lastCheckedAt: nullableInstant,
      lastSuccessAt: nullableInstant,
      lastLatencyMs: nullableCounter,
      lastError: nullableText,
      lastSyncAt: nullableInstant,
      lastSyncSucceeded: { type: ['boolean', 'null'] },
      updatedAt: instant,
    },
    "The health monitor's view of an integration of an org.",
  ),
  IntegrationOverview: object(
    {
      integrationType: text,
      connection: orNull('Connection'),
      schedule: orNull('Schedule'),
      health: orNull('IntegrationHealth'),
      lastRun: orNull('Run'),
      openAlerts: { ...counter, description: 'Alerts of this integration not acknowledged yet.' },
    },
    'Everything a status screen shows of one integration; nulls where the org has nothing yet.',
  ),
  PeriodOutcome: {
    type: 'string',
    enum: [...PERIOD_OUTCOMES],
    description:
      'late: started more than 5 minutes after its period; missed: no run 5 minutes after it; running: queued or running.',
  },
  Period: object(
    {
      scheduledFor: instant,
      outcome: ref('PeriodOutcome'),
      runId: nullableUuid,
      status: { oneOf: [ref('RunStatus'), { type: 'null' }] },
      startedAt: nullableInstant,
      endedAt: nullableInstant,
      recordsProcessed: nullableCounter,
      recordsFailed: nullableCounter,
      driftSeconds: {
        type: ['number', 'null'],
        description: 'startedAt - scheduledFor in seconds, where a run exists.',
      },
      archived: { type: 'boolean', description: 'The run was found in the archive (older than the retention).' },
    },
    "One period of a schedule and what came of it (the scheduler's run for it, if any).",
  ),
  Alert: object(
    {
      id: uuid,
      orgId: uuid,
      kind: {
        ...text,
        description: 'e.g. schedule_drift, missed_periods, stuck_run, run_failed, cold_start, scheduler_stalled',
      },
      integrationType: nullableText,
      runId: nullableUuid,
      details: freeObject(
        'Facts of the alert, by kind, with the keys as stored. run_failed: failed_count (send it as failedCount ' +
          'to acknowledge what you saw), scheduled_for, failed_at, error_message of the first failure; ' +
          'last_run_id, last_scheduled_for, last_failed_at, last_error_message of the latest. schedule_drift: ' +
          'drift_seconds, threshold_seconds, scheduled_for, started_at. missed_periods: missed_count, ' +
          'missed_periods (the first 100), first_missed, last_missed, ran_instead. stuck_run: last_seen_at, ' +
          'timeout_seconds, records_processed, records_failed, scheduled_for. scheduler_stalled: last_tick_at, ' +
          'checked_at, silent_seconds. cold_start: url, period, latencyMs, thresholdMs, status, timedOut, error.',
      ),
      dedupeKey: nullableText,
      createdAt: instant,
      acknowledgedAt: nullableInstant,
      acknowledgedBy: { ...nullableUuid, description: 'The user (JWT sub) who acknowledged it, when known.' },
    },
    'An incident the scheduler or the health monitor recorded for an org.',
  ),
  ErrorCode: { type: 'string', enum: [...ERROR_CODES] },
  ErrorDetails: object(
    {
      existingRunId: { ...uuid, description: 'already_running, duplicate_period: the run in the way.' },
      status: { ...ref('RunStatus'), description: 'not_running: the status the run has.' },
      newestPeriod: { ...instant, description: 'period_superseded: the newest period started.' },
      failedCount: {
        type: 'integer',
        minimum: 1,
        description: 'alert_changed: the failures the alert counts now, more than the caller saw.',
      },
    },
    'Safe facts of an error, by code.',
    ['existingRunId', 'status', 'newestPeriod', 'failedCount'],
  ),
  ApiError: object(
    {
      code: ref('ErrorCode'),
      message: { ...text, description: 'Safe to show; branch on code, never on it.' },
      details: ref('ErrorDetails'),
    },
    'What went wrong.',
    ['details'],
  ),
  ErrorResponse: object({ error: ref('ApiError') }, 'Every failure: a code, a message that is safe to show, details.'),

  RunResponse: object({ run: ref('Run') }, 'One run.'),
  RunList: object({ runs: { type: 'array', items: ref('Run') } }, 'Runs.'),
  RunPage: object(
    {
      runs: { type: 'array', items: ref('Run') },
      nextCursor: { ...nullableText, description: 'Pass it as `before` for the next page; null: no more.' },
    },
    'A page of runs, newest first.',
  ),
  HealthList: object({ health: { type: 'array', items: ref('IntegrationHealth') } }, 'Health per integration.'),
  IntegrationList: object(
    { integrations: { type: 'array', items: ref('IntegrationOverview') } },
    'One entry per integration the project knows.',
  ),
  ConnectionResponse: object({ connection: ref('Connection') }, 'The connection as stored (no credentials).'),
  ScheduleResponse: object({ schedule: ref('Schedule') }, 'The schedule as stored, with its next periods.'),
  PeriodList: object({ periods: { type: 'array', items: ref('Period'), maxItems: 1000 } }, 'Periods, oldest first.'),
  AlertPage: object(
    {
      alerts: { type: 'array', items: ref('Alert') },
      nextCursor: { ...nullableText, description: 'Pass it as `before` for the next page; null: no more.' },
    },
    'A page of alerts, newest first.',
  ),
  AlertResponse: object({ alert: ref('Alert') }, 'One alert.'),
  OpenApiDocument: {
    type: 'object',
    description: 'This document (OpenAPI 3.1).',
    properties: {
      openapi: { type: 'string', pattern: '^3\\.1\\.\\d+$' },
      info: { type: 'object' },
      paths: { type: 'object' },
    },
    required: ['openapi', 'info', 'paths'],
    additionalProperties: true,
  },
};
