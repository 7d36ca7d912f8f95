// The OpenAPI 3.1 document of the sync-run-log function, served by GET /openapi.json. Request bodies and query
// parameters come from the zod schemas the function validates with (z.toJSONSchema), response schemas from
// openapi-responses.ts, the operations from openapi-operations.ts; every schema is named under components.schemas
// and every operation has an operationId (the Flutter app generates its Dart client from it). Each operation lists
// every status it can answer; error responses carry `x-error-codes`, the codes that status can have, which the e2e
// tests check too.
import { z } from 'zod';
import type { ErrorCode } from '../_shared/errors.ts';
import { CONNECTION_SCHEMAS } from '../_shared/integrations/connection-schemas.ts';
import { INTEGRATION_TYPES } from '../_shared/integrations/integration-types.ts';
import {
  capital,
  connectionInputs,
  ERROR_TEXT,
  OPERATIONS,
  type OperationSpec,
  SECURED_ERRORS,
} from './openapi-operations.ts';
import { type JsonSchema, RESPONSE_SCHEMAS, ref } from './openapi-responses.ts';
import * as inputs from './schemas.ts';

export const OPENAPI_VERSION = '3.1.0';
export { OPERATIONS };

/** The request schemas, named: derived from the zod schemas the routes parse with. */
function requestSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  registry.add(inputs.userStartRun, { id: 'StartRunAsUser' });
  registry.add(inputs.serviceStartRun, { id: 'StartRunAsService' });
  registry.add(inputs.serviceUpdateRun, { id: 'UpdateRun' });
  registry.add(inputs.scheduleBody, { id: 'ScheduleInput' });
  registry.add(inputs.acknowledgeBody, { id: 'AcknowledgeAlertInput' });
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
  return {
    ...Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, nullableScalars(bare(schema))])),
    // The bodies that take one of several shapes, named too: a generator would otherwise name the union itself.
    StartRunInput: {
      oneOf: [ref('StartRunAsUser'), ref('StartRunAsService')],
      description: 'StartRunAsUser for coordinators and admins, StartRunAsService for the service role.',
    },
    ConnectionInput: {
      oneOf: INTEGRATION_TYPES.map((type) => ref(connectionInputs[type] as string)),
      description: `The input of the path's integration: ${INTEGRATION_TYPES.map((type) => `${connectionInputs[type]} for ${type}`).join(', ')}.`,
    },
  };
}

/** Query integers are digits on the wire and integers to a client: the document says integer, with the range. */
function queryIntegerOverride(context: { zodSchema: unknown; jsonSchema: JsonSchema }): void {
  const range = inputs.queryIntegerRange(context.zodSchema as z.ZodType);
  if (!range) return;
  const { description } = context.jsonSchema;
  for (const key of Object.keys(context.jsonSchema)) delete context.jsonSchema[key];
  Object.assign(context.jsonSchema, { type: 'integer', ...range }, description ? { description } : {});
}

/**
 * zod writes a nullable scalar as `anyOf: [{ type: 'integer', ... }, { type: 'null' }]`; the response schemas write
 * `type: ['integer', 'null']`, which generators read as a nullable field. One form for both.
 */
function nullableScalars(schema: JsonSchema): JsonSchema {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value === null || typeof value !== 'object') return value;
    const node = Object.fromEntries(Object.entries(value).map(([key, child]) => [key, walk(child)])) as JsonSchema;
    const [scalar, nothing, ...more] = Array.isArray(node.anyOf) ? (node.anyOf as JsonSchema[]) : [];
    if (!scalar || !nothing || more.length > 0 || typeof scalar.type !== 'string') return node;
    if (Object.keys(nothing).length !== 1 || nothing.type !== 'null') return node;
    const { anyOf: _anyOf, ...rest } = node;
    return { ...scalar, ...rest, type: [scalar.type, 'null'] };
  };
  return walk(schema) as JsonSchema;
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
      schema: namedEnum(rest) ?? rest,
    };
  });
}

/** A reference to the named enum (RunStatus, TriggeredBy) with exactly these values: one enum type in a client. */
function namedEnum(schema: JsonSchema): JsonSchema | undefined {
  if (schema.type !== 'string' || !Array.isArray(schema.enum)) return undefined;
  const values = JSON.stringify(schema.enum);
  const name = Object.keys(RESPONSE_SCHEMAS).find((key) => {
    const named = RESPONSE_SCHEMAS[key] as JsonSchema;
    return named.type === 'string' && JSON.stringify(named.enum) === values;
  });
  return name === undefined ? undefined : ref(name);
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
            required: spec.body.optional !== true,
            description: spec.body.description,
            content: { 'application/json': { schema: spec.body.schema } },
          },
        }
      : {}),
    responses,
  };
}

/**
 * SUPABASE_URL when a client outside could call it: a hosted project's (https://<ref>.supabase.co) or an address.
 * Under the Supabase CLI it is the gateway's name inside Docker (http://supabase_kong_<project>:8000), which no
 * client outside reaches: the document then keeps its default, the CLI's http://127.0.0.1:54321.
 */
export function publicProjectUrl(value: string | undefined): string | undefined {
  const url = value?.trim().replace(/\/+$/, '');
  if (!url) return undefined;
  try {
    const { hostname } = new URL(url);
    return hostname.includes('.') || hostname === 'localhost' || hostname.startsWith('[') ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The document. Built once per instance (z.toJSONSchema is not free), then served as is. Its server is the project's
 * URL when the function knows it (SUPABASE_URL), so a client generated from a project's document calls that project.
 */
export function buildOpenApiDocument(options: { projectUrl?: string } = {}): JsonSchema {
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
        variables: {
          projectUrl: {
            default: options.projectUrl ?? 'http://127.0.0.1:54321',
            description: 'The Supabase project URL.',
          },
        },
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
