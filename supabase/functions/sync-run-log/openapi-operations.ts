// The operations of the sync-run-log OpenAPI document, one per route (a test holds them to app.ts's route table):
// method, path, operationId, who may call it, its parameters (zod query schemas), its body (named request schemas),
// its success answer and the error statuses beyond the common ones, each with the codes it can carry.
import type { z } from 'zod';
import type { ErrorCode } from '../_shared/errors.ts';
import { INTEGRATION_TYPES } from '../_shared/integrations/integration-types.ts';
import { type JsonSchema, ref } from './openapi-responses.ts';
import * as inputs from './schemas.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface OperationSpec {
  method: Method;
  /** OpenAPI path template under the function, e.g. /runs/{id}. */
  path: string;
  operationId: string;
  tag: 'runs' | 'integrations' | 'alerts' | 'meta';
  summary: string;
  description: string;
  /** false: anyone (no credentials). */
  secured?: boolean;
  pathParams?: Array<{ name: string; description: string; schema: JsonSchema }>;
  query?: z.ZodObject;
  /** The request body; `optional`: it may be left out (required unless said). */
  body?: { schema: JsonSchema; description: string; optional?: boolean };
  ok: { status: 200 | 201 | 204; description: string; schema?: string; location?: boolean };
  /** The error statuses beyond the common ones (400, 401, 403, 500, 503; without credentials: 400, 500). */
  errors?: Partial<Record<number, ErrorCode[]>>;
}

export const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input: the message says which field and why.',
  401: 'No valid credentials.',
  403: 'The caller may not do this (role, or a field only the service role may send).',
  404: 'Not found, or not visible to the caller (another org).',
  409: 'Conflict with the current state.',
  413: 'The body is larger than 16 KiB.',
  415: 'The body is not JSON.',
  500: 'An internal error; nothing about internals is shown.',
  503: 'The database (or Auth) cannot be reached now; worth a retry.',
};

export const SECURED_ERRORS: Partial<Record<number, ErrorCode[]>> = {
  400: ['invalid_argument'],
  401: ['unauthorized'],
  403: ['forbidden'],
  500: ['internal'],
  503: ['unavailable'],
};
const BODY_ERRORS: Partial<Record<number, ErrorCode[]>> = {
  413: ['payload_too_large'],
  415: ['unsupported_media_type'],
};
const NOT_FOUND: Partial<Record<number, ErrorCode[]>> = { 404: ['not_found'] };

const typeParam = {
  name: 'type',
  description: `An integration the project knows (${INTEGRATION_TYPES.join(', ')}); any other is 404.`,
  schema: ref('IntegrationType'),
};
const idParam = (thing: string) => ({
  name: 'id',
  description: `The ${thing}'s id; an unknown id and another org's are the same 404.`,
  schema: { type: 'string', format: 'uuid' },
});
const ADMIN = 'Admins and the service role (`orgId` in the query); 403 for coordinators.';
const STAFF = 'Coordinators, admins (their own org), the service role (`orgId` in the query).';

export const connectionInputs = Object.fromEntries(INTEGRATION_TYPES.map((t) => [t, `${capital(t)}ConnectionInput`]));

export const OPERATIONS: OperationSpec[] = [
  {
    method: 'post',
    path: '/runs',
    operationId: 'startRun',
    tag: 'runs',
    summary: 'Sync now (coordinator, admin); record a run (service role)',
    description:
      'A coordinator or admin queues a manual run of their org (status pending; the executor starts it): 400 for an ' +
      'integration no adapter knows, 409 not_configured without an enabled connection with credentials, 409 ' +
      'already_running (details.existingRunId) when one is queued or running. The service role records a run it ' +
      'executes itself (status running), for any org.',
    query: undefined,
    body: {
      schema: ref('StartRunInput'),
      description: 'StartRunAsUser for coordinators and admins, StartRunAsService for the service role.',
    },
    ok: { status: 201, description: 'The run, queued or started.', schema: 'RunResponse', location: true },
    errors: {
      ...BODY_ERRORS,
      409: ['already_running', 'not_configured', 'duplicate_period', 'period_superseded'],
    },
  },
  {
    method: 'get',
    path: '/runs',
    operationId: 'listRuns',
    tag: 'runs',
    summary: "One integration's runs, newest first, filtered and keyset-paged",
    description: `${STAFF} A full page has a nextCursor; pass it as before for the next one.`,
    query: inputs.historyQuery,
    ok: { status: 200, description: 'A page of runs.', schema: 'RunPage' },
  },
  {
    method: 'get',
    path: '/runs/latest',
    operationId: 'getLatestRuns',
    tag: 'runs',
    summary: 'The newest run of each integration of the org',
    description: STAFF,
    query: inputs.latestQuery,
    ok: { status: 200, description: 'Runs, by integration type.', schema: 'RunList' },
  },
  {
    method: 'get',
    path: '/runs/{id}',
    operationId: 'getRun',
    tag: 'runs',
    summary: 'One run',
    description: STAFF,
    pathParams: [idParam('run')],
    query: inputs.orgQuery,
    ok: { status: 200, description: 'The run.', schema: 'RunResponse' },
    errors: NOT_FOUND,
  },
  {
    method: 'patch',
    path: '/runs/{id}',
    operationId: 'updateRun',
    tag: 'runs',
    summary: 'Cancel a run (coordinator, admin); any transition (service role)',
    description:
      'Coordinators and admins send only {"status": "cancelled"} (a queued or running run of their org); the ' +
      'service role may record progress and end runs. Other fields from a user are 403.',
    pathParams: [idParam('run')],
    body: { schema: ref('UpdateRun'), description: 'The new status, and for the service role the counters.' },
    ok: { status: 200, description: 'The run after the change.', schema: 'RunResponse' },
    errors: { ...BODY_ERRORS, ...NOT_FOUND, 409: ['not_running', 'invalid_transition'] },
  },
  {
    method: 'get',
    path: '/health',
    operationId: 'getHealth',
    tag: 'runs',
    summary: "The health monitor's state of each integration",
    description: STAFF,
    query: inputs.orgQuery,
    ok: { status: 200, description: 'Health rows, by integration type.', schema: 'HealthList' },
  },
  {
    method: 'get',
    path: '/integrations',
    operationId: 'listIntegrations',
    tag: 'integrations',
    summary: 'Every integration the project knows: connection, schedule, health, last run, open alerts',
    description: `${STAFF} One database call.`,
    query: inputs.orgQuery,
    ok: { status: 200, description: 'One entry per known integration.', schema: 'IntegrationList' },
  },
  {
    method: 'put',
    path: '/integrations/{type}/connection',
    operationId: 'putConnection',
    tag: 'integrations',
    summary: 'Create or replace the connection (credentials are write-only)',
    description:
      `${ADMIN} The body replaces the whole connection: omitted settings are {}, omitted enabled is true, the ` +
      'credentials replace the stored ones (Supabase Vault). They are never returned, logged or echoed in errors.',
    pathParams: [typeParam],
    query: inputs.orgQuery,
    body: {
      schema: ref('ConnectionInput'),
      description: `The input of the path's integration: ${Object.values(connectionInputs).join(', ')}.`,
    },
    ok: { status: 200, description: 'The connection as stored, without credentials.', schema: 'ConnectionResponse' },
    errors: { ...BODY_ERRORS, ...NOT_FOUND },
  },
  {
    method: 'delete',
    path: '/integrations/{type}/connection',
    operationId: 'deleteConnection',
    tag: 'integrations',
    summary: 'Delete the connection and its credentials',
    description: `${ADMIN} 404 when there is none.`,
    pathParams: [typeParam],
    query: inputs.orgQuery,
    ok: { status: 204, description: 'Deleted, with its Vault secret.' },
    errors: NOT_FOUND,
  },
  {
    method: 'put',
    path: '/integrations/{type}/schedule',
    operationId: 'putSchedule',
    tag: 'integrations',
    summary: 'Create or replace the schedule',
    description:
      `${ADMIN} Omitted fields take their defaults (Europe/Oslo, enabled, 1800 s). A bad cron expression or time ` +
      'zone is 400 with a message that says what is wrong.',
    pathParams: [typeParam],
    query: inputs.orgQuery,
    body: { schema: ref('ScheduleInput'), description: 'The whole schedule.' },
    ok: { status: 200, description: 'The schedule with its next periods.', schema: 'ScheduleResponse' },
    errors: { ...BODY_ERRORS, ...NOT_FOUND },
  },
  {
    method: 'delete',
    path: '/integrations/{type}/schedule',
    operationId: 'deleteSchedule',
    tag: 'integrations',
    summary: 'Delete the schedule (its runs stay in the log)',
    description: `${ADMIN} 404 when there is none.`,
    pathParams: [typeParam],
    query: inputs.orgQuery,
    ok: { status: 204, description: 'Deleted.' },
    errors: NOT_FOUND,
  },
  {
    method: 'get',
    path: '/integrations/{type}/periods',
    operationId: 'listPeriods',
    tag: 'integrations',
    summary: "The schedule's periods in [from, to) and the outcome of each",
    description: `${STAFF} The periods the schedule had due, each by the expression and time zone in force then (a period missed before a change stays missed), and every period with a scheduler run. At most 1000 periods of the schedule in the range (a wider range is 400, and so is a range holding more than 10000 scheduler runs). 404 when the org has no schedule for the integration.`,
    pathParams: [typeParam],
    query: inputs.periodsQuery,
    ok: { status: 200, description: 'The periods, oldest first.', schema: 'PeriodList' },
    errors: NOT_FOUND,
  },
  {
    method: 'get',
    path: '/alerts',
    operationId: 'listAlerts',
    tag: 'alerts',
    summary: "The org's alerts, newest first, keyset-paged",
    description: STAFF,
    query: inputs.alertsQuery,
    ok: { status: 200, description: 'A page of alerts.', schema: 'AlertPage' },
  },
  {
    method: 'post',
    path: '/alerts/{id}/acknowledge',
    operationId: 'acknowledgeAlert',
    tag: 'alerts',
    summary: 'Acknowledge an alert (it stops counting in openAlerts)',
    description:
      `${STAFF} Acknowledging again keeps the first acknowledgement. The body is optional: without one the alert ` +
      'is acknowledged whatever it counts now; with {"failedCount": n}, the failures the caller saw, an open alert ' +
      'that counts more failures now (a run_failed alert counts later failures into itself) is 409 alert_changed ' +
      '(details.failedCount: the count now) and stays open: show the new count and ask again.',
    pathParams: [idParam('alert')],
    query: inputs.orgQuery,
    body: {
      schema: ref('AcknowledgeAlertInput'),
      description: 'Optional: the failures the caller saw (details.failed_count of a run_failed alert).',
      optional: true,
    },
    ok: { status: 200, description: 'The alert.', schema: 'AlertResponse' },
    errors: { ...BODY_ERRORS, ...NOT_FOUND, 409: ['alert_changed'] },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    tag: 'meta',
    summary: 'This document',
    description: 'Anyone, without credentials.',
    secured: false,
    ok: { status: 200, description: 'The OpenAPI 3.1 document.', schema: 'OpenApiDocument' },
  },
];

export function capital(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
