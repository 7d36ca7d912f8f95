// The OpenAPI 3.1 document of sync-run-log: served to anyone by the function under Deno, valid OpenAPI 3.1
// (@seriousme/openapi-schema-validator), every schema accepted by Ajv's strict 2020-12 compiler and named under
// components.schemas, one operation with an operationId per route of the function, and the response check that the
// e2e tests rely on (openapi-check.ts) shown to fail on every kind of drift.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../supabase/functions/_shared/log.ts';
import { syncRunLogRoutes } from '../../supabase/functions/sync-run-log/app.ts';
import { publicProjectUrl } from '../../supabase/functions/sync-run-log/openapi.ts';
import { call, type Harness, startHarness } from './harness.ts';
import { OpenApiChecker } from './openapi-check.ts';

type Json = Record<string, unknown>;
let h: Harness;
let document: Json;
let checker: OpenApiChecker;
const RUN_ID = '7b0c4d4e-8f0a-4a43-9d55-0f5e0e7a1a11';

beforeAll(async () => {
  h = await startHarness();
  const res = await call(h.url('sync-run-log', '/openapi.json')); // no credentials
  expect(res.status).toBe(200);
  document = res.body;
  checker = new OpenApiChecker(document);
});
afterAll(async () => h?.stop());

const operations = () =>
  Object.entries(document.paths as Record<string, Record<string, Json>>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
  );

describe('the document', () => {
  it('is served to anyone and is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    // Without SUPABASE_URL (this harness signs HS256 and sets none), the server is the local stack's usual URL.
    expect((document.servers as { variables: { projectUrl: { default: string } } }[])[0]?.variables).toEqual({
      projectUrl: { default: 'http://127.0.0.1:54321', description: 'The Supabase project URL.' },
    });
  });

  it("names SUPABASE_URL as its server only where a client outside reaches it (not the CLI's Docker gateway)", () => {
    expect(publicProjectUrl('https://abcdefghij.supabase.co/')).toBe('https://abcdefghij.supabase.co');
    expect(publicProjectUrl(' http://127.0.0.1:55421 ')).toBe('http://127.0.0.1:55421');
    expect(publicProjectUrl('http://localhost:54321')).toBe('http://localhost:54321');
    expect(publicProjectUrl('http://[::1]:54321')).toBe('http://[::1]:54321');
    expect(publicProjectUrl('http://supabase_kong_myproject:8000')).toBeUndefined();
    expect(publicProjectUrl('http://kong:8000')).toBeUndefined();
    expect(publicProjectUrl('not a url')).toBeUndefined();
    expect(publicProjectUrl('')).toBeUndefined();
    expect(publicProjectUrl(undefined)).toBeUndefined();
  });

  it('the validator has teeth: a document without a title, or with an optional path parameter, is refused', async () => {
    const untitled = structuredClone(document) as { info: Json };
    delete untitled.info.title;
    expect((await new Validator().validate(untitled)).valid).toBe(false);
    const optional = structuredClone(document) as { paths: Record<string, Record<string, { parameters: Json[] }>> };
    const idParameter = optional.paths['/runs/{id}']?.get?.parameters.find((p) => p.in === 'path') as Json;
    idParameter.required = false;
    expect((await new Validator().validate(optional)).valid).toBe(false);
  });

  it('every schema is named under components.schemas and compiles in Ajv strict mode', () => {
    const names = checker.compileAll();
    expect(names.length).toBeGreaterThan(30);
    for (const name of names) expect(name).toMatch(/^[A-Z][A-Za-z0-9]+$/);
    // Request bodies and responses are named schemas (a union too: StartRunInput, ConnectionInput), and parameters
    // take their enums by name (RunStatus, IntegrationType): nothing for a generator to name, or make twice, on
    // its own.
    for (const { path, method, operation } of operations()) {
      const bodies = [
        (operation.requestBody as Json | undefined)?.content,
        ...Object.values(operation.responses as Record<string, Json>).map((r) => r.content),
      ];
      for (const content of bodies) {
        const schema = (content as Record<string, { schema: Json }> | undefined)?.['application/json']?.schema;
        if (!schema) continue;
        expect(Object.keys(schema), `${method} ${path}`).toEqual(['$ref']);
      }
      for (const parameter of (operation.parameters ?? []) as { name: string; schema: Json }[]) {
        expect(parameter.schema.enum, `${method} ${path} ${parameter.name}`).toBeUndefined();
      }
    }
    expect(JSON.stringify(document)).not.toMatch(/"\$ref":"(?!#\/components\/(schemas|headers)\/)/);
    // Nullable is written one way: type [T, "null"] for a scalar, oneOf [$ref, { type: "null" }] for a named schema
    // (zod's anyOf form is rewritten), so a generator meets one shape of optional value.
    expect(JSON.stringify(document)).not.toContain('"anyOf"');
    const oneOfs: Json[][] = [];
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value !== null && typeof value === 'object') {
        if (Array.isArray((value as Json).oneOf)) oneOfs.push((value as Json).oneOf as Json[]);
        Object.values(value).forEach(walk);
      }
    };
    walk(document);
    const withNull = oneOfs.filter((branches) => JSON.stringify(branches).includes('"null"'));
    expect(withNull.length).toBeGreaterThan(0);
    for (const branches of withNull) {
      expect(branches).toEqual([{ $ref: expect.stringMatching(/^#\/components\/schemas\/\w+$/) }, { type: 'null' }]);
    }
  });

  it('every operation has a unique camelCase operationId, a tag, and the error shape for each error status', () => {
    const ids = operations().map(({ operation }) => operation.operationId as string);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, method, operation } of operations()) {
      expect(operation.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
      expect(operation.tags).toHaveLength(1);
      const responses = operation.responses as Record<string, Json>;
      const secured = operation.security === undefined;
      for (const status of secured ? ['400', '401', '403', '500', '503'] : ['400', '500']) {
        expect(responses[status], `${method} ${path} ${status}`).toMatchObject({
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } },
          'x-error-codes': expect.any(Array),
        });
      }
    }
    expect((document.components as Json).securitySchemes).toMatchObject({
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      apikey: { type: 'apiKey', in: 'header', name: 'apikey' },
    });
    expect(document.security).toEqual([{ bearerAuth: [] }, { apikey: [] }]);
  });

  it('has exactly one operation per route of the function', () => {
    const deps = { auth: {}, db: {}, log: silentLogger } as unknown as Parameters<typeof syncRunLogRoutes>[0];
    const routes = syncRunLogRoutes(deps).map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    const documented = operations().map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    expect(documented.sort()).toEqual(routes.sort());
  });

  it('a connection can never carry credentials: the schema is closed and has none', () => {
    const connection = ((document.components as Json).schemas as Record<string, Json>).Connection as Json;
    expect(connection.additionalProperties).toBe(false);
    expect(Object.keys(connection.properties as Json)).not.toContain('credentials');
  });
});

describe('the response check fails on drift', () => {
  const headers = (more: Record<string, string> = {}) =>
    new Headers({ 'content-type': 'application/json', 'x-request-id': 'r1', ...more });
  const url = (path: string) => `http://local/functions/v1/sync-run-log${path}`;
  const run = {
    id: RUN_ID,
    orgId: RUN_ID,
    integrationType: 'xledger',
    startedAt: '2026-12-01T10:00:00.123456+00:00',
    endedAt: null,
    status: 'pending',
    recordsProcessed: 0,
    recordsFailed: 0,
    errorMessage: null,
    triggeredBy: 'manual',
    scheduledFor: null,
    idempotencyKey: null,
    heartbeatAt: null,
    durationSeconds: null,
  };
  const alert = {
    id: RUN_ID,
    orgId: RUN_ID,
    kind: 'run_failed',
    integrationType: 'bufdir',
    runId: RUN_ID,
    details: { failed_count: 3 },
    dedupeKey: null,
    createdAt: run.startedAt,
    acknowledgedAt: run.startedAt,
    acknowledgedBy: null,
  };
  const check =
    (method: string, path: string, status: number, body: unknown, h = headers(), sent?: unknown) =>
    () =>
      checker.check({ method, url: url(path), body: sent }, { status, headers: h, body });

  it('accepts what the document says', () => {
    expect(check('GET', `/runs/${RUN_ID}`, 200, { run })).not.toThrow();
    expect(check('GET', '/runs/latest', 401, { error: { code: 'unauthorized', message: 'no' } })).not.toThrow();
    const sent = { credentials: { apiToken: 't' } };
    expect(check('PUT', '/integrations/xledger/connection', 200, { connection }, headers(), sent)).not.toThrow();
    expect(check('DELETE', '/integrations/xledger/schedule', 204, null)).not.toThrow();
    // The acknowledgement's body is optional: none, a blank one, or the failures seen; 409 says how many there are.
    const acknowledge = `/alerts/${RUN_ID}/acknowledge`;
    for (const sent of [undefined, '', { failedCount: 3 }, {}]) {
      expect(check('POST', acknowledge, 200, { alert }, headers(), sent)).not.toThrow();
    }
    const changed = { code: 'alert_changed', message: 'the alert has changed', details: { failedCount: 4 } };
    expect(check('POST', acknowledge, 409, { error: changed })).not.toThrow();
  });

  it('documents the acknowledgement body as optional, and failedCount among the error details', () => {
    const operation = (document.paths as Record<string, Record<string, Json>>)['/alerts/{id}/acknowledge']
      ?.post as Json;
    expect(operation.requestBody).toMatchObject({
      required: false,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/AcknowledgeAlertInput' } } },
    });
    expect((operation.responses as Record<string, Json>)['409']?.['x-error-codes']).toEqual(['alert_changed']);
    const schemas = (document.components as Json).schemas as Record<string, Json>;
    expect(schemas.AcknowledgeAlertInput).toMatchObject({
      type: 'object',
      properties: { failedCount: { type: 'integer', minimum: 1 } },
      additionalProperties: false,
    });
    expect(schemas.AcknowledgeAlertInput?.required).toBeUndefined();
    expect(((schemas.ErrorDetails as Json).properties as Json).failedCount).toMatchObject({
      type: 'integer',
      minimum: 1,
    });
    // Every other body stays required.
    const required = operations()
      .filter(({ operation: o }) => o.requestBody && o.operationId !== 'acknowledgeAlert')
      .map(({ operation: o }) => (o.requestBody as Json).required);
    expect(required.length).toBeGreaterThan(0);
    expect(required.every((r) => r === true)).toBe(true);
  });

  const connection = {
    id: RUN_ID,
    orgId: RUN_ID,
    integrationType: 'xledger',
    settings: {},
    enabled: true,
    credentialsSetAt: null,
    createdAt: run.startedAt,
    updatedAt: run.startedAt,
  };
  const plain = new Headers({ 'content-type': 'application/json' });
  const created = headers({ location: '/x' });

  it.each([
    [
      'an undocumented status',
      check('GET', '/runs/latest', 409, { error: { code: 'already_running', message: 'x' } }),
      /does not describe this status/,
    ],
    ['an undocumented field', check('GET', `/runs/${RUN_ID}`, 200, { run: { ...run, x: 1 } }), /additional/],
    [
      'a missing field',
      check('GET', `/runs/${RUN_ID}`, 200, { run: { ...run, status: undefined } }),
      /required property/,
    ],
    ['a wrong type', check('GET', `/runs/${RUN_ID}`, 200, { run: { ...run, recordsProcessed: '0' } }), /integer/],
    [
      'a value outside its enum',
      check('GET', `/runs/${RUN_ID}`, 200, { run: { ...run, status: 'queued' } }),
      /allowed values/,
    ],
    [
      'a malformed timestamp',
      check('GET', `/runs/${RUN_ID}`, 200, { run: { ...run, startedAt: 'yesterday' } }),
      /date-time/,
    ],
    [
      'an error code its status does not have',
      check('GET', '/runs/latest', 403, { error: { code: 'not_found', message: 'x' } }),
      /x-error-codes/,
    ],
    [
      'credentials in a connection',
      check(
        'PUT',
        '/integrations/xledger/connection',
        200,
        { connection: { ...connection, credentials: {} } },
        headers(),
        {
          credentials: { apiToken: 't' },
        },
      ),
      /additional/,
    ],
    ['no x-request-id', check('GET', `/runs/${RUN_ID}`, 200, { run }, plain), /x-request-id/],
    ['a body on a 204', check('DELETE', '/integrations/xledger/schedule', 204, { deleted: 1 }), /describes none/],
    [
      'a 2xx to a query parameter the document lacks',
      check('GET', '/runs/latest?verbose=1', 200, { runs: [] }),
      /query parameter verbose/,
    ],
    [
      'a 2xx to a body the document refuses',
      check('POST', '/runs', 201, { run }, created, { integrationType: 'x', more: 1 }),
      /request body/,
    ],
    ['a 2xx without the body the document requires', check('POST', '/runs', 201, { run }, created), /requires a/],
    [
      'a 2xx to an acknowledgement body the document refuses',
      check('POST', `/alerts/${RUN_ID}/acknowledge`, 200, { alert }, headers(), { failedCount: 0 }),
      /request body/,
    ],
    [
      'an alert_changed answer with details it does not document',
      check('POST', `/alerts/${RUN_ID}/acknowledge`, 409, {
        error: { code: 'alert_changed', message: 'x', details: { failedCount: 4, seen: 3 } },
      }),
      /additional/,
    ],
  ])('%s', (_name, act, reason) => {
    expect(act).toThrow(reason);
  });

  it('end to end: call() rejects an answer the document does not describe', async () => {
    const served = JSON.stringify(document);
    const server = createServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      response.setHeader('x-request-id', 'fake');
      if (request.url?.endsWith('/openapi.json')) return response.end(served);
      response.end(JSON.stringify({ runs: [], nextCursor: null, leaked: 'x' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/functions/v1/sync-run-log`;
      await expect(call(`${base}/runs/latest`)).rejects.toThrow(/leaked|additional/);
      await expect(call(`${base}/runs/latest`, { unchecked: true })).resolves.toMatchObject({ status: 200 });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
