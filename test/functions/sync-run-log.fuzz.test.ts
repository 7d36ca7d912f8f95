// A fast-check fuzz of malformed requests against sync-run-log under Deno: whatever comes in, the answer is never
// a 5xx, every error is the JSON shape { error: { code, message } }, and every answer of a documented operation is
// one its OpenAPI document describes.
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mintUserToken } from '../../src/local/auth-keys.ts';
import { encodeCursor } from '../../supabase/functions/_shared/keyset-cursor.ts';
import { type Harness, newOrg, SECRET, serviceToken, startHarness, userToken } from './harness.ts';
import { checkerFor, type OpenApiChecker } from './openapi-check.ts';
import { connect, recordRun } from './sync-run-log.setup.ts';

let h: Harness;
const org = newOrg();
let tokens: (string | null)[];
let runId: string;
let checker: OpenApiChecker;

beforeAll(async () => {
  h = await startHarness();
  const coordinator = await userToken(org);
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  tokens = [
    null,
    coordinator,
    await userToken(org, 'admin'),
    await serviceToken(),
    await userToken(org, 'volunteer'),
    await mintUserToken({ orgId: org, userRole: 'coordinator' }, { secret: SECRET, expiresIn: -10 }),
    await mintUserToken({ orgId: org, userRole: 'admin' }, { secret: 'x'.repeat(40) }),
    `${b64({ alg: 'none' })}.${b64({ role: 'service_role', exp: 9_999_999_999 })}.`,
    await new SignJWT({ role: 'authenticated', org_id: 42, user_role: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET)),
    'garbage',
  ];
  runId = (await recordRun(h, org, 'fuzzed')).id;
  await connect(h, org, ['dynamics']);
  checker = await (checkerFor(h.url('sync-run-log', '/openapi.json')) as Promise<OpenApiChecker>);
});
afterAll(async () => h?.stop());

const printable = fc.string({ unit: fc.constantFrom(..."abcxyz019-_.~%!$&'()*+,;=:@/?#[] ".split('')), maxLength: 30 });
const segment = fc.oneof(
  fc.constantFrom('runs', 'latest', 'health', '', '..', '%00', '%E0%A4%A', 'RUNS'),
  fc.constantFrom('integrations', 'xledger', 'dynamics', 'connection', 'schedule', 'periods', 'alerts', 'acknowledge'),
  fc.constant('__RUN__'),
  fc.uuid(),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);
const path = fc.oneof(
  fc.constantFrom('/runs', '/runs/latest', '/runs/__RUN__', '/health', '/', ''),
  fc.constantFrom(
    '/integrations',
    '/integrations/dynamics/connection',
    '/integrations/xledger/schedule',
    '/integrations/dynamics/periods',
    '/integrations/nope/periods',
    '/alerts',
    '/alerts/__RUN__/acknowledge',
    '/openapi.json',
  ),
  fc.array(segment, { maxLength: 4 }).map((s) => `/${s.join('/')}`),
);
// Cursors this function could have made, for either list, and ones at offsets Date.parse takes and PostgreSQL refuses
// (22009).
const cursor = fc
  .tuple(
    fc.constantFrom('runs' as const, 'alerts' as const),
    fc.constantFrom('+00:00', 'Z', '-15:59', '+23:59', '+99:00', '+1900', '+16'),
    fc.uuid(),
  )
  .map(([list, offset, id]) => encodeCursor(list, { at: `2026-01-01T00:00:00.000001${offset}`, id }));
const query = fc.oneof(
  fc.constant(''),
  fc
    .array(
      fc.tuple(
        fc.constantFrom('integrationType', 'limit', 'orgId', 'x', 'limit', 'status', 'before', 'from', 'to'),
        fc.oneof(printable, fc.integer().map(String), fc.uuid(), cursor),
      ),
      {
        maxLength: 4,
      },
    )
    .map((pairs) => `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`),
);
const validish = fc.record(
  {
    orgId: fc.oneof(fc.uuid(), fc.constant(org), printable, fc.integer()),
    integrationType: fc.oneof(
      fc.constantFrom('xledger', 'dynamics', 'fuzzed'),
      printable,
      fc.integer(),
      fc.constant(null),
    ),
    triggeredBy: fc.oneof(fc.constantFrom('manual', 'scheduler'), printable),
    scheduledFor: fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      printable,
      fc.constant('0000-01-01T00:00:00Z'),
    ),
    idempotencyKey: fc.oneof(fc.string({ unit: 'binary', maxLength: 250 }), fc.constant('')),
    status: fc.oneof(fc.constantFrom('running', 'completed', 'failed', 'cancelled', 'pending'), printable),
    recordsProcessed: fc.oneof(fc.integer(), fc.double(), fc.constant(2 ** 31), fc.constant(null)),
    recordsFailed: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constant(null)),
    errorMessage: fc.oneof(fc.string({ unit: 'binary', maxLength: 3000 }), fc.constant(null)),
    credentials: fc.oneof(
      fc.record({ apiToken: fc.oneof(printable, fc.constant('local-xledger-token')) }),
      fc.record({ clientId: printable, clientSecret: printable }, { requiredKeys: [] }),
      fc.record({ apiKey: printable, extra: printable }, { requiredKeys: [] }),
      printable,
      fc.constant(null),
    ),
    settings: fc.oneof(
      fc.constant({}),
      fc.record({ companyId: fc.integer() }),
      fc.record({ tenantId: printable }),
      printable,
    ),
    enabled: fc.oneof(fc.boolean(), printable),
    cronExpression: fc.oneof(fc.constantFrom('*/15 * * * *', '@daily', '61 * * * *', '* * *', '0 0 30 2 *'), printable),
    timeZone: fc.oneof(fc.constantFrom('Europe/Oslo', 'Mars/Base', 'UTC', ''), printable),
    runTimeoutSeconds: fc.oneof(fc.integer(), fc.constant(1800), fc.double()),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.constant(undefined),
  validish.map((v) => JSON.stringify(v)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constant('{"integrationType":'),
  fc.constant('x'.repeat(17_000)),
);
const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'get', 'FOO'),
  path,
  query,
  token: fc.nat({ max: 9 }),
  contentType: fc.constantFrom(
    undefined,
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'application/vnd.api+json',
    '',
  ),
  body,
  requestId: fc.option(printable, { nil: undefined }),
});

it('1,000+ malformed requests: never a 5xx, always the error shape', async () => {
  let count = 0;
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      count++;
      const headers: Record<string, string> = {};
      const token = tokens[r.token];
      if (token) headers.authorization = `Bearer ${token}`;
      if (r.contentType !== undefined) headers['content-type'] = r.contentType;
      if (r.requestId !== undefined) headers['x-request-id'] = r.requestId;
      const url = h.url('sync-run-log', `${r.path.replaceAll('__RUN__', runId)}${r.query}`);
      const method = r.method.toUpperCase();
      const hasBody = r.body !== undefined && method !== 'GET' && method !== 'HEAD';
      const res = await fetch(url, { method: r.method, headers, body: hasBody ? r.body : undefined });
      const text = await res.text();
      expect(res.status, `${r.method} ${url} -> ${text}`).toBeLessThan(500);
      // As the server saw the method: fetch upper-cases the standard ones (get -> GET), not the others.
      const sent = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'].includes(method) ? method : r.method;
      const json = res.headers.get('content-type')?.startsWith('application/json') && text ? JSON.parse(text) : null;
      checker.check(
        { method: sent, url, body: hasBody ? r.body : undefined },
        { status: res.status, headers: res.headers, body: json },
      );
      if (res.status >= 400 && method !== 'HEAD') {
        const parsed = JSON.parse(text);
        expect(parsed.error.code).toEqual(expect.any(String));
        expect(parsed.error.message).toEqual(expect.any(String));
      }
    }),
    { numRuns: 1200 },
  );
  expect(count).toBeGreaterThanOrEqual(1000);
}, 120_000);
