// Edge cases of the shared HTTP behaviour that the simulated servers do not produce on their own; here the vendor is
// a stand-in fetch (the external API is the one thing tests may fake).
import { describe, expect, it } from 'vitest';
import {
  abortableSleep,
  DEFAULT_POLICY,
  HttpClient,
  type HttpRuntime,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
} from '../../supabase/functions/_shared/integrations/http-client.ts';
import type { IntegrationError, SyncContext } from '../../supabase/functions/_shared/integrations/integration.ts';
import { createAdapters } from '../../supabase/functions/_shared/integrations/registry.ts';

function runtime(
  answers: Array<() => Response>,
  sleeps: number[] = [],
): HttpRuntime & { urls: string[]; bodies: Array<string | null> } {
  const urls: string[] = [];
  const bodies: Array<string | null> = [];
  return {
    urls,
    bodies,
    fetch: async (input, init) => {
      urls.push(String(input));
      bodies.push(typeof init?.body === 'string' ? init.body : null);
      const next = answers.shift();
      if (!next) throw new Error('no more answers');
      return next();
    },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    now: () => Date.parse('2026-11-28T12:00:00Z'),
  };
}

const json =
  (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const context = (connection: Partial<Pick<SyncContext, 'credentials' | 'settings'>> = {}): SyncContext => ({
  orgId: '11111111-1111-4111-8111-111111111111',
  credentials: { apiToken: 'secret-token' },
  settings: {},
  ...connection,
  scheduledFor: null,
  signal: new AbortController().signal,
  onProgress: async () => {},
});

/** A 200 whose body sends `head`, then fails (`reset`) or never ends until the request is aborted (`stall`). */
const DYNAMICS = { credentials: { clientId: 'id', clientSecret: 'client-secret' } };

const brokenBody = (head: string, how: 'reset' | 'stall') => (init?: RequestInit) =>
  new Response(
    new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(head));
        if (how === 'reset') controller.error(new TypeError('terminated: other side closed'));
        else init?.signal?.addEventListener('abort', () => controller.error(init.signal?.reason));
      },
    }),
    { status: 200, headers: { 'content-type': 'application/json' } },
  );

describe('a 2xx body that breaks halfway', () => {
  function clientWith(answers: Array<(init?: RequestInit) => Response>, policy: Partial<typeof DEFAULT_POLICY> = {}) {
    const sleeps: number[] = [];
    const signals: AbortSignal[] = [];
    const http: HttpRuntime = {
      fetch: async (_input, init) => {
        if (init?.signal) signals.push(init.signal);
        const next = answers.shift();
        if (!next) throw new Error('no more answers');
        return next(init);
      },
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
      now: Date.now,
    };
    const client = new HttpClient('xledger', new URL('https://x.example'), { ...DEFAULT_POLICY, ...policy }, http);
    return { client, sleeps, signals };
  }

  it('a connection lost in the body is a network error: retried, and the retry answers', async () => {
    const { client, sleeps } = clientWith([brokenBody('{"data": [1, 2', 'reset'), () => json({ data: [1, 2, 3] })()]);
    const response = await client.request('/x', { signal: new AbortController().signal });
    expect(response.body).toEqual({ data: [1, 2, 3] });
    expect(sleeps).toHaveLength(1);
  });

  it('a body that stalls times out within the request timeout, is aborted, and is retried', async () => {
    const { client, signals } = clientWith([brokenBody('{"data": [', 'stall'), brokenBody('{"data": [', 'stall')], {
      timeoutMs: 50,
      maxAttempts: 2,
    });
    const error = (await client
      .request('/x', { signal: new AbortController().signal })
      .catch((e: unknown) => e)) as IntegrationError;
    expect(error.code).toBe('timeout');
    expect(error.message).toBe('xledger: GET /x timed out after 50 ms (2 attempts)');
    expect(signals.map((signal) => signal.aborted)).toEqual([true, true]);
  });
});

describe('HttpClient', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-28T12:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sat, 28 Nov 2026 12:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Sat, 28 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('caps an absurd Retry-After at a week, so the time it gives stays a valid date', () => {
    const now = Date.parse('2026-11-28T12:00:00Z');
    for (const header of ['99999999999999', 'Fri, 31 Dec 9999 23:59:59 GMT']) {
      const ms = parseRetryAfter(header, now) as number;
      expect(ms).toBe(MAX_RETRY_AFTER_MS);
      expect(new Date(now + ms).toISOString()).toBe('2026-12-05T12:00:00.000Z');
    }
  });

  it('waits an HTTP-date Retry-After', async () => {
    const sleeps: number[] = [];
    const client = new HttpClient(
      'x',
      new URL('https://api.example.com'),
      DEFAULT_POLICY,
      runtime([json({}, 429, { 'retry-after': 'Sat, 28 Nov 2026 12:00:45 GMT' }), json({ ok: true })], sleeps),
    );
    const response = await client.request('/a', { signal: new AbortController().signal });
    expect(response.body).toEqual({ ok: true });
    expect(sleeps).toEqual([45_000]);
  });

  it('never follows a next-page link to another host (credentials stay with the configured API)', async () => {
    const rt = runtime([
      json({
        value: [{}],
        '@odata.nextLink': 'https://evil.example.net/api/data/v9.2/msdyn_transactions?$skiptoken=1',
      }),
    ]);
    // first the token, then the page
    rt.fetch = ((original) => {
      let first = true;
      return async (input: RequestInfo | URL, init?: RequestInit) => {
        if (first) {
          first = false;
          rt.urls.push(String(input));
          return json({ access_token: 't', expires_in: 3600 })();
        }
        return original(input, init);
      };
    })(rt.fetch);
    const adapter = createAdapters({ DYNAMICS_BASE_URL: 'https://org.crm4.dynamics.com' }, rt).dynamics;
    const error = (await adapter?.sync(context(DYNAMICS)).catch((e: unknown) => e)) as IntegrationError;
    expect(error.code).toBe('bad_response');
    expect(error.message).toBe('dynamics: a next-page link points to another host');
    expect(rt.urls.some((url) => url.includes('evil'))).toBe(false);
  });

  it("a next-page link that is no URL is a bad response that does not quote the vendor's text", async () => {
    const rt = runtime([
      json({ access_token: 't', expires_in: 3600 }),
      json({ value: [{}], '@odata.nextLink': 'http://[internal host db01.corp, user kari' }),
    ]);
    const adapter = createAdapters({ DYNAMICS_BASE_URL: 'https://org.crm4.dynamics.com' }, rt).dynamics;
    const error = (await adapter?.sync(context(DYNAMICS)).catch((e: unknown) => e)) as IntegrationError;
    expect(error.code).toBe('bad_response');
    expect(error.message).toBe('dynamics: a next-page link is not a URL');
  });

  it('reports GraphQL errors (HTTP 200) with the vendor code only, and non-JSON bodies as bad responses', async () => {
    const env = { XLEDGER_BASE_URL: 'https://www.xledger.net' };
    const graphqlError = createAdapters(
      env,
      runtime([
        json({
          errors: [{ message: 'User secret-token lacks access to ledger 42', extensions: { code: 'FORBIDDEN' } }],
        }),
      ]),
    ).xledger;
    const e1 = (await graphqlError?.sync(context()).catch((e: unknown) => e)) as IntegrationError;
    expect(e1.message).toBe('xledger: the GraphQL query failed FORBIDDEN');
    const notJson = createAdapters(
      env,
      runtime([() => new Response('<html>maintenance</html>', { status: 200 })]),
    ).xledger;
    const e2 = (await notJson?.sync(context()).catch((e: unknown) => e)) as IntegrationError;
    expect(e2.code).toBe('bad_response');
    expect(e2.message).toBe('xledger: POST /graphql returned a body that is not JSON');
  });

  it('a cancelled run stops waiting for a retry at once', async () => {
    const controller = new AbortController();
    const waiting = abortableSleep(3_600_000, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('refuses a pointer that does not move instead of looping', async () => {
    const page = { data: { transactions: { edges: [], pageInfo: { hasNextPage: true, endCursor: 'same' } } } };
    const adapter = createAdapters(
      { XLEDGER_BASE_URL: 'https://www.xledger.net' },
      runtime([json(page), json(page), json(page)]),
    ).xledger;
    await expect(adapter?.sync(context())).rejects.toMatchObject({
      code: 'bad_response',
      message: 'xledger: the next-page pointer repeats',
    });
  });
});

describe('health checks and the Dynamics token URL', () => {
  it('reads a 503 with Retry-After as rate limited, with the wait, and a bare 503 as unhealthy', async () => {
    const client = new HttpClient(
      'x',
      new URL('https://api.example.com'),
      DEFAULT_POLICY,
      runtime([json({}, 503, { 'retry-after': '600' }), json({}, 503)]),
    );
    expect(await client.probe('/health', { method: 'HEAD' })).toMatchObject({
      status: 'rate_limited',
      retryAfterSeconds: 600,
      error: 'x: health check was rate limited (HTTP 503)',
    });
    expect(await client.probe('/health', { method: 'HEAD' })).toMatchObject({
      status: 'unhealthy',
      error: 'x: health check failed with HTTP 503',
    });
  });

  const dynamicsEnv = { DYNAMICS_BASE_URL: 'https://org.crm4.dynamics.com' };
  const TENANT = '0f6c2f6e-9a1b-4c3d-8e5f-6a7b8c9d0e1f';

  it.each([
    ['DYNAMICS_TOKEN_URL', 'http://login.example.com/token', 'DYNAMICS_TOKEN_URL must be an https URL'],
    ['DYNAMICS_TOKEN_URL', '//login.example.com/token', 'DYNAMICS_TOKEN_URL is not a URL'],
    ['DYNAMICS_TOKEN_URL', 'token', 'DYNAMICS_TOKEN_URL is not a URL'],
    ['DYNAMICS_AUTHORITY_URL', 'http://login.example.com', 'DYNAMICS_AUTHORITY_URL must be an https URL'],
  ])('refuses %s %j (it receives the client secret) without sending anything', async (name, url, problem) => {
    const rt = runtime([]);
    const adapter = createAdapters({ ...dynamicsEnv, [name]: url }, rt).dynamics;
    expect(adapter?.configured).toBe(false);
    expect(await adapter?.healthCheck()).toMatchObject({
      status: 'unhealthy',
      error: `dynamics is not configured: ${problem}`,
    });
    await expect(adapter?.sync(context(DYNAMICS))).rejects.toMatchObject({ code: 'not_configured' });
    expect(rt.urls).toEqual([]);
  });

  const emptyPage = json({ value: [] });
  const tokenAnswer = json({ access_token: 't', expires_in: 3600 });

  it.each([
    ['a path under the base URL by default', {}, {}, 'https://org.crm4.dynamics.com/oauth2/token'],
    [
      'DYNAMICS_TOKEN_URL on another host',
      { DYNAMICS_TOKEN_URL: 'https://login.example.com/oauth2/token' },
      {},
      'https://login.example.com/oauth2/token',
    ],
    [
      'DYNAMICS_TOKEN_URL as a path',
      { DYNAMICS_TOKEN_URL: '/custom/token' },
      {},
      'https://org.crm4.dynamics.com/custom/token',
    ],
    [
      "the org's tenant at the default authority",
      {},
      { tenantId: TENANT },
      `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
    ],
    [
      "the org's tenant (a domain) at DYNAMICS_AUTHORITY_URL",
      { DYNAMICS_AUTHORITY_URL: 'https://login.microsoftonline.us/' },
      { tenantId: 'contoso.onmicrosoft.us' },
      'https://login.microsoftonline.us/contoso.onmicrosoft.us/oauth2/v2.0/token',
    ],
  ])('asks for the token at %s', async (_, env, settings, expected) => {
    const rt = runtime([tokenAnswer, emptyPage]);
    const adapter = createAdapters({ ...dynamicsEnv, ...env }, rt).dynamics;
    expect(adapter?.configured).toBe(true);
    expect(await adapter?.sync(context({ ...DYNAMICS, settings }))).toMatchObject({ recordsProcessed: 0 });
    expect(rt.urls[0]).toBe(expected);
    expect(rt.urls[1]).toMatch(/^https:\/\/org\.crm4\.dynamics\.com\/api\/data\/v9\.2\/msdyn_transactions\?/);
    const form = new URLSearchParams(rt.bodies[0] ?? '');
    expect(Object.fromEntries(form)).toEqual({
      grant_type: 'client_credentials',
      client_id: 'id',
      client_secret: 'client-secret',
      scope: 'https://org.crm4.dynamics.com/.default',
    });
  });

  it("syncs the org's own environment when its settings name one, and asks for a token scoped to it", async () => {
    const rt = runtime([tokenAnswer, emptyPage]);
    const adapter = createAdapters({}, rt).dynamics; // no deployment environment at all
    expect(adapter?.configured).toBe(false);
    const settings = { environmentUrl: 'https://contoso.crm4.dynamics.com', tenantId: TENANT };
    expect(await adapter?.sync(context({ ...DYNAMICS, settings }))).toMatchObject({ recordsProcessed: 0 });
    expect(rt.urls[1]).toMatch(/^https:\/\/contoso\.crm4\.dynamics\.com\/api\/data\/v9\.2\/msdyn_transactions\?/);
    expect(new URLSearchParams(rt.bodies[0] ?? '').get('scope')).toBe('https://contoso.crm4.dynamics.com/.default');
  });

  it.each([
    ['http://contoso.crm4.dynamics.com'],
    ['https://evil.example.com'],
    ['https://dynamics.com.evil.example'],
    ['https://contoso.crm4.dynamics.com/api/data'],
    ['https://user:pw@contoso.crm4.dynamics.com'],
    ['https://contoso.crm4.dynamics.com:8443'],
    ['https://contoso.crm4.dynamics.com/?'],
    ['https://contoso.crm4.dynamics.com/#'],
    ['https://contoso.crm4.dynamics.com?'],
  ])('refuses an environmentUrl %j that is no Dataverse host, before any request', async (environmentUrl) => {
    const rt = runtime([]);
    const adapter = createAdapters(dynamicsEnv, rt).dynamics;
    const error = (await adapter
      ?.sync(context({ ...DYNAMICS, settings: { environmentUrl } }))
      .catch((e: unknown) => e)) as IntegrationError;
    expect(error.code).toBe('not_configured');
    expect(error.message).toMatch(/^dynamics: the connection's settings are not valid \(environmentUrl must be https:/);
    expect(rt.urls).toEqual([]);
  });

  it.each([
    ['unauthorized_client', 'unauthorized'],
    ['invalid_client', 'unauthorized'],
    ['invalid_grant', 'unauthorized'],
    ['invalid_scope', 'http_error'],
  ])('reads a token endpoint 400 %s as %s, without its description', async (oauthError, code) => {
    const refusal = json({
      error: oauthError,
      error_description: "AADSTS700016: Application with identifier 'id' was not found; secret client-secret",
    });
    const rt = runtime([() => new Response(refusal().body, { status: 400 })]);
    const adapter = createAdapters(dynamicsEnv, rt).dynamics;
    const error = (await adapter
      ?.sync(context({ ...DYNAMICS, settings: { tenantId: TENANT } }))
      .catch((e: unknown) => e)) as IntegrationError;
    expect(error.code).toBe(code);
    expect(error.message).toBe(
      code === 'unauthorized'
        ? `dynamics: POST /${TENANT}/oauth2/v2.0/token refused the credentials (HTTP 400 ${oauthError})`
        : `dynamics: POST /${TENANT}/oauth2/v2.0/token failed with HTTP 400`,
    );
    expect(rt.urls).toHaveLength(1); // never retried, no data request
  });

  it('asks for a new token before a retry when the one in hand expired while a 429 was waited out', async () => {
    let clock = Date.parse('2026-11-28T12:00:00Z');
    const sent: Array<{ url: string; authorization: string | null }> = [];
    let tokens = 0;
    const answers = [
      () =>
        json({
          value: [
            {
              msdyn_transactionid: 't1',
              msdyn_amount: 10,
              msdyn_currency: 'NOK',
              msdyn_transactiondate: '2026-11-28',
            },
          ],
          '@odata.nextLink': 'https://org.crm4.dynamics.com/api/data/v9.2/next',
        })(),
      () => json({}, 429, { 'retry-after': '120' })(),
      emptyPage,
    ];
    const rt: HttpRuntime = {
      fetch: async (input, init) => {
        const url = String(input);
        const authorization = new Headers(init?.headers).get('authorization');
        sent.push({ url, authorization });
        if (url.endsWith('/oauth2/token')) {
          tokens += 1;
          return json({ access_token: `token-${tokens}`, expires_in: 150 })();
        }
        clock += 80_000; // a slow page
        return (answers.shift() as () => Response)();
      },
      sleep: async (ms) => {
        clock += ms;
      },
      random: () => 0.5,
      now: () => clock,
    };
    const adapter = createAdapters(dynamicsEnv, rt).dynamics;
    expect(await adapter?.sync(context(DYNAMICS))).toMatchObject({ recordsProcessed: 1, recordsFailed: 0 });
    const pages = sent.filter((s) => !s.url.endsWith('/oauth2/token'));
    // Page 1 and the first try of page 2 carry token 1 (70 s left: more than the minute's margin); after the 120 s
    // wait it has expired, and the retry carries token 2.
    expect(pages.map((p) => p.authorization)).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-2']);
    expect(tokens).toBe(2);
  });

  it('its health check is one HEAD without a token: a 401 with a Bearer challenge is up, a bare 401 is not', async () => {
    const rt = runtime([
      json({}, 401, {
        'www-authenticate': 'Bearer authorization_uri=https://login.microsoftonline.com/x/oauth2/authorize',
      }),
      json({}, 401),
      json({}, 200),
    ]);
    const adapter = createAdapters(dynamicsEnv, rt).dynamics;
    expect(await adapter?.healthCheck()).toMatchObject({ status: 'healthy' });
    expect(await adapter?.healthCheck()).toMatchObject({
      status: 'unhealthy',
      error: 'dynamics: health check failed with HTTP 401',
    });
    expect(await adapter?.healthCheck()).toMatchObject({ status: 'healthy' });
    expect(rt.urls).toEqual(Array(3).fill('https://org.crm4.dynamics.com/api/data/v9.2/'));
    expect(rt.bodies).toEqual([null, null, null]);
  });
});

describe('settings sent to the vendor', () => {
  it("Xledger's companyId goes with the query; Bufdir's organisation number with the export request", async () => {
    const page = { data: { transactions: { edges: [], pageInfo: { hasNextPage: false, endCursor: null } } } };
    const xrt = runtime([json(page)]);
    await createAdapters({ XLEDGER_BASE_URL: 'https://www.xledger.net' }, xrt).xledger?.sync(
      context({ settings: { companyId: 42 } }),
    );
    expect(JSON.parse(xrt.bodies[0] ?? '{}').variables).toMatchObject({ companyId: 42 });

    const brt = runtime([json({ data: [], meta: { totalPages: 0 } })]);
    await createAdapters({ BUFDIR_BASE_URL: 'https://api.bufdir.no' }, brt).bufdir?.sync(
      context({ credentials: { apiKey: 'k' }, settings: { organisationNumber: '974760673' } }),
    );
    expect(new URL(brt.urls[0] ?? '').searchParams.get('organisationNumber')).toBe('974760673');
  });
});
