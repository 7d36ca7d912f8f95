// The OpenAPI 3.1 document of the sync-run-log function, served by GET /openapi.json. Request bodies and query
// parameters come from the zod schemas the function validates with (z.toJSONSchema), response schemas from
// openapi-responses.ts; every schema is named under components.schemas and every operation has an operationId (the
// Flutter app generates its Dart client from it). Each operation lists every status it can answer; error responses
// carry `x-error-codes`, the codes that status can have, which the e2e tests check too.
import { z } from 'zod';
import type { ErrorCode } from '../_shared/errors.ts';
import { CONNECTION_SCHEMAS } from '../_shared/integrations/connection-schemas.ts';
import { INTEGRATION_TYPES } from '../_shared/integrations/registry.ts';
import { type JsonSchema, RESPONSE_SCHEMAS, ref } from './openapi-responses.ts';
import * as inputs from './schemas.ts';

export const OPENAPI_VERSION = '3.1.0';
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

interface OperationSpec {
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
  body?: { schema: JsonSchema; description: string };
  ok: { status: 200 | 201 | 204; description: string; schema?: string; location?: boolean };
  /** The error statuses beyond the common ones (400, 401, 403, 500, 503; without credentials: 400, 500). */
  errors?: Partial<Record<number, ErrorCode[]>>;
}

const ERROR_TEXT: Record<number, string> = {
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

const SECURED_ERRORS: Partial<Record<number, ErrorCode[]>> = {
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
  schema: { type: 'string', enum: [...INTEGRATION_TYPES] },
};
const idParam = (thing: string) => ({
  name: 'id',
  description: `The ${thing}'s id; an unknown id and another org's are the same 404.`,
  schema: { type: 'string', format: 'uuid' },
});
const ADMIN = 'Admins and the service role (`orgId` in the query); 403 for coordinators.';
const STAFF = 'Coordinators, admins (their own org), the service role (`orgId` in the query).';

const connectionInputs = Object.fromEntries(INTEGRATION_TYPES.map((t) => [t, `${capital(t)}ConnectionInput`]));

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
      schema: { oneOf: [ref('StartRunAsUser'), ref('StartRunAsService')] },
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
      schema: { oneOf: INTEGRATION_TYPES.map((t) => ref(connectionInputs[t] as string)) },
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
    description: `${STAFF} At most 1000 periods (a wider range is 400). 404 when the org has no schedule for the integration.`,
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
    description: `${STAFF} Acknowledging again keeps the first acknowledgement. No body.`,
    pathParams: [idParam('alert')],
    query: inputs.orgQuery,
    ok: { status: 200, description: 'The alert.', schema: 'AlertResponse' },
    errors: NOT_FOUND,
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

function capital(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** The request schemas, named: derived from the zod schemas the routes parse with. */
function requestSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  registry.add(inputs.userStartRun, { id: 'StartRunAsUser' });
  registry.add(inputs.serviceStartRun, { id: 'StartRunAsService' });
  registry.add(inputs.serviceUpdateRun, { id: 'UpdateRun' });
  registry.add(inputs.scheduleBody, { id: 'ScheduleInput' });
  for (const type of INTEGRATION_TYPES) {
    registry.add(CONNECTION_SCHEMAS[type].settings, { id: `${capital(type)}Settings` });
    registry.add(CONNECTION_SCHEMAS[type].credentials, { id: `${capital(type)}Credentials` });
    registry.add(inputs.connectionBodies[type], { id: connectionInputs[type] as string });
  }
  const { schemas } = z.toJSONSchema(registry, {
    io: 'input',
    uri: (id) => `#/components/schemas/${id}`,
    override: queryIntegerOverride,
  }) as { schemas: Record<string, JsonSchema> };
  return Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, bare(schema)]));
}

/** Query integers are digits on the wire and integers to a client: the document says integer, with the range. */
function queryIntegerOverride(context: { zodSchema: unknown; jsonSchema: JsonSchema }): void {
  const range = inputs.queryIntegerRange(context.zodSchema as z.ZodType);
  if (!range) return;
  const { description } = context.jsonSchema;
  for (const key of Object.keys(context.jsonSchema)) delete context.jsonSchema[key];
  Object.assign(context.jsonSchema, { type: 'integer', ...range }, description ? { description } : {});
}

function bare(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

function queryParameters(query: z.ZodObject): JsonSchema[] {
  const schema = z.toJSONSchema(query, { io: 'input', override: queryIntegerOverride }) as {
    properties: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(schema.properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: 'query',
      required: schema.required?.includes(name) ?? false,
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

function errorResponse(status: number, codes: ErrorCode[]): JsonSchema {
  return {
    description: `${ERROR_TEXT[status] ?? 'Error.'} Codes: ${codes.join(', ')}.`,
    headers: { 'x-request-id': { $ref: '#/components/headers/RequestId' } },
    content: { 'application/json': { schema: ref('ErrorResponse') } },
    'x-error-codes': codes,
  };
}

function operation(spec: OperationSpec): JsonSchema {
  const secured = spec.secured !== false;
  const errors: Partial<Record<number, ErrorCode[]>> = secured
    ? { ...SECURED_ERRORS, ...spec.errors }
    : { 400: ['invalid_argument'], 500: ['internal'], ...spec.errors };
  const okHeaders: JsonSchema = { 'x-request-id': { $ref: '#/components/headers/RequestId' } };
  if (spec.ok.location) okHeaders.location = { $ref: '#/components/headers/Location' };
  const responses: Record<string, JsonSchema> = {
    [spec.ok.status]: {
      description: spec.ok.description,
      headers: okHeaders,
      ...(spec.ok.schema ? { content: { 'application/json': { schema: ref(spec.ok.schema) } } } : {}),
    },
  };
  for (const [status, codes] of Object.entries(errors).sort(([a], [b]) => Number(a) - Number(b))) {
    responses[status] = errorResponse(Number(status), codes as ErrorCode[]);
  }
  const parameters = [
    ...(spec.pathParams ?? []).map((p) => ({ ...p, in: 'path', required: true })),
    ...(spec.query ? queryParameters(spec.query) : []),
  ];
  return {
    operationId: spec.operationId,
    tags: [spec.tag],
    summary: spec.summary,
    description: spec.description,
    ...(secured ? {} : { security: [] }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(spec.body
      ? {
          requestBody: {
            required: true,
            description: spec.body.description,
            content: { 'application/json': { schema: spec.body.schema } },
          },
        }
      : {}),
    responses,
  };
}

/** The document. Built once per instance (z.toJSONSchema is not free), then served as is. */
export function buildOpenApiDocument(): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const spec of OPERATIONS) {
    paths[spec.path] ??= {};
    (paths[spec.path] as Record<string, JsonSchema>)[spec.method] = operation(spec);
  }
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'sync-run-log',
      version: '1.0.0',
      summary: "An org's sync runs, integrations, schedules, periods and alerts",
      description:
        'The Edge Function the app and the dashboard call. Users send their Supabase access token (claims org_id ' +
        'and user_role coordinator or admin); server callers a secret key in apikey (or the legacy service_role ' +
        'key or JWT) and name the org with orgId. Failures are always an ErrorResponse; branch on error.code.',
    },
    servers: [
      {
        url: '{projectUrl}/functions/v1/sync-run-log',
        variables: { projectUrl: { default: 'http://127.0.0.1:54321', description: 'The Supabase project URL.' } },
      },
    ],
    security: [{ bearerAuth: [] }, { apikey: [] }],
    tags: [
      { name: 'runs', description: 'Sync runs: Sync now, cancel, history, health.' },
      { name: 'integrations', description: 'Connections, schedules and the period ledger.' },
      { name: 'alerts', description: "The org's alerts." },
      { name: 'meta', description: 'This document.' },
    ],
    paths,
    components: {
      schemas: { ...RESPONSE_SCHEMAS, ...requestSchemas() },
      headers: {
        RequestId: {
          description: "The request's id (the caller's x-request-id when sane): in every log line of the request.",
          required: true,
          schema: { type: 'string' },
        },
        Location: { description: 'The new run: /functions/v1/sync-run-log/runs/{id}.', schema: { type: 'string' } },
      },
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "A user's Supabase access token (ES256 from the project's JWKS, or HS256 where a legacy secret is set), " +
            'or a service_role JWT.',
        },
        apikey: {
          type: 'apiKey',
          in: 'header',
          name: 'apikey',
          description: 'A secret key (sb_secret_...) or the legacy service_role key: the service role.',
        },
      },
    },
  };
}
