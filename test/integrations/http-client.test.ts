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

function runtime(answers: Array<() => Response>, sleeps: number[] = []): HttpRuntime & { urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: async (input) => {
      urls.push(String(input));
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

const context = (): SyncContext => ({
  orgId: '11111111-1111-4111-8111-111111111111',
  scheduledFor: null,
  signal: new AbortController().signal,
  onProgress: async () => {},
});

/** A 200 whose body sends `head`, then fails (`reset`) or never ends until the request is aborted (`stall`). */
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
    const adapter = createAdapters(
      { DYNAMICS_BASE_URL: 'https://org.crm4.dynamics.com', DYNAMICS_CLIENT_ID: 'id', DYNAMICS_CLIENT_SECRET: 's' },
      rt,
    ).dynamics;
    const error = (await adapter?.sync(context()).catch((e: unknown) => e)) as IntegrationError;
    expect(error.code).toBe('bad_response');
    expect(error.message).toBe('dynamics: a next-page link points to another host');
    expect(rt.urls.some((url) => url.includes('evil'))).toBe(false);
  });

  it('reports GraphQL errors (HTTP 200) with the vendor code only, and non-JSON bodies as bad responses', async () => {
    const env = { XLEDGER_BASE_URL: 'https://www.xledger.net', XLEDGER_API_TOKEN: 'secret-token' };
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
      { XLEDGER_BASE_URL: 'https://www.xledger.net', XLEDGER_API_TOKEN: 't' },
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

  const dynamicsEnv = {
    DYNAMICS_BASE_URL: 'https://org.crm4.dynamics.com',
    DYNAMICS_CLIENT_ID: 'id',
    DYNAMICS_CLIENT_SECRET: 'client-secret',
  };

  it.each([
    ['http://login.example.com/token', 'DYNAMICS_TOKEN_URL must be an https URL'],
    ['//login.example.com/token', 'DYNAMICS_TOKEN_URL is not a URL'],
    ['token', 'DYNAMICS_TOKEN_URL is not a URL'],
  ])('refuses DYNAMICS_TOKEN_URL %j (it receives the client secret) without sending anything', async (url, problem) => {
    const rt = runtime([]);
    const adapter = createAdapters({ ...dynamicsEnv, DYNAMICS_TOKEN_URL: url }, rt).dynamics;
    expect(adapter?.configured).toBe(false);
    expect(await adapter?.healthCheck()).toMatchObject({
      status: 'unhealthy',
      error: `dynamics is not configured: ${problem}`,
    });
    await expect(adapter?.sync(context())).rejects.toMatchObject({ code: 'not_configured' });
    expect(rt.urls).toEqual([]);
  });

  it('sends the token request to an https DYNAMICS_TOKEN_URL on another host, or to a path under the base URL', async () => {
    for (const [tokenUrl, expected] of [
      [
        'https://login.microsoftonline.com/tenant/oauth2/v2.0/token',
        'https://login.microsoftonline.com/tenant/oauth2/v2.0/token',
      ],
      ['/custom/token', 'https://org.crm4.dynamics.com/custom/token'],
      [undefined, 'https://org.crm4.dynamics.com/oauth2/token'],
    ] as const) {
      const rt = runtime([json({ access_token: 't', expires_in: 3600 }), json({}, 200)]);
      const env = tokenUrl === undefined ? dynamicsEnv : { ...dynamicsEnv, DYNAMICS_TOKEN_URL: tokenUrl };
      const adapter = createAdapters(env, rt).dynamics;
      expect(adapter?.configured).toBe(true);
      expect((await adapter?.healthCheck())?.status).toBe('healthy');
      expect(rt.urls).toEqual([expected, 'https://org.crm4.dynamics.com/api/data/v9.2/']);
    }
  });
});
