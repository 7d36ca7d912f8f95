// The three adapters against their simulated APIs over real HTTP, with an org's credentials and settings in the
// sync context: paging, partial failures, 429 with Retry-After, 5xx bursts, persistent failures, timeouts,
// cancellation, credentials refused by the vendor (unauthorized, never repeated) and stored credentials or settings
// that do not fit (not_configured, before any request).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type {
  IntegrationAdapter,
  SyncContext,
  SyncProgress,
} from '../../supabase/functions/_shared/integrations/integration.ts';
import { IntegrationError } from '../../supabase/functions/_shared/integrations/integration.ts';
import { createAdapters } from '../../supabase/functions/_shared/integrations/registry.ts';
import { sanitizeErrorMessage } from '../../supabase/functions/_shared/sanitize-error.ts';
import {
  LOCAL_CREDENTIALS,
  recordingRuntime,
  type SimulatedApis,
  startApis,
  VENDORS,
  type Vendor,
  WRONG_CREDENTIALS,
} from './simulated.ts';

const SECOND_ORG = {
  xledger: { apiToken: 'second-org-xledger-token' },
  dynamics: { clientId: 'second-org-client', clientSecret: 'second-org-secret' },
  bufdir: { apiKey: 'second-org-bufdir-key' },
};

let apis: SimulatedApis;
beforeAll(async () => {
  apis = await startApis({
    accept: {
      xledger: [SECOND_ORG.xledger.apiToken],
      dynamics: [SECOND_ORG.dynamics],
      bufdir: [SECOND_ORG.bufdir.apiKey],
    },
  });
});
afterAll(() => apis.stop());

function context(vendor: Vendor, overrides: Partial<SyncContext> = {}): SyncContext & { progress: SyncProgress[] } {
  const progress: SyncProgress[] = [];
  return {
    orgId: '11111111-1111-4111-8111-111111111111',
    credentials: LOCAL_CREDENTIALS[vendor],
    settings: {},
    scheduledFor: new Date('2026-11-01T00:00:00Z'),
    signal: new AbortController().signal,
    onProgress: async (p) => {
      progress.push(p);
    },
    ...overrides,
    progress,
  };
}

function setUp(vendor: Vendor, env: Record<string, string> = {}) {
  const runtime = recordingRuntime();
  const adapter = createAdapters({ ...apis.env, INTEGRATION_PAGE_SIZE: '100', ...env }, runtime)[
    vendor
  ] as IntegrationAdapter;
  const server = apis[vendor];
  return { adapter, runtime, server };
}

/** Every string of a credentials object (what must never appear in a message). */
const secretsOf = (credentials: Record<string, string>) => Object.values(credentials);

beforeEach(() => {
  for (const vendor of VENDORS) {
    apis[vendor].control.reset();
    apis[vendor].dataset.set({ totalRecords: 1050, invalidEvery: 0, maxPageSize: 500 });
  }
});

describe.each(VENDORS)('%s adapter', (vendor) => {
  const context_ = (overrides: Partial<SyncContext> = {}) => context(vendor, overrides);

  it('pages through every record and reports progress after each page', async () => {
    const { adapter, server } = setUp(vendor);
    const ctx = context_();
    const result = await adapter.sync(ctx);
    expect(result).toEqual({ recordsProcessed: 1050, recordsFailed: 0, errorMessage: null });
    expect(server.control.count('data')).toBe(11);
    expect(ctx.progress.map((p) => p.recordsProcessed)).toEqual([
      100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1050,
    ]);
  });

  it('takes the pages the API hands out when it caps the page size', async () => {
    const { adapter, server } = setUp(vendor, { INTEGRATION_PAGE_SIZE: '500' });
    server.dataset.set({ maxPageSize: 200 });
    const result = await adapter.sync(context_());
    expect(result.recordsProcessed).toBe(1050);
    expect(server.control.count('data')).toBe(6);
  });

  it('counts records it cannot process and says which, without failing the run', async () => {
    const { adapter, server } = setUp(vendor);
    server.dataset.set({ invalidEvery: 100 });
    const result = await adapter.sync(context_());
    expect(result.recordsProcessed).toBe(1040);
    expect(result.recordsFailed).toBe(10);
    expect(result.errorMessage).toMatch(/^10 of 1050 records could not be processed \(first: page 1 record 100: /);
  });

  it('waits what Retry-After says on 429, then carries on', async () => {
    const { adapter, runtime, server } = setUp(vendor);
    server.control.set({ rateLimitNext: { count: 2, retryAfterSeconds: 7, on: 'data' } });
    const result = await adapter.sync(context_());
    expect(result.recordsProcessed).toBe(1050);
    expect(runtime.sleeps).toEqual([7000, 7000]);
    expect(server.control.count('data')).toBe(11 + 2);
  });

  it('retries a burst of 5xx with growing, bounded backoff, then succeeds', async () => {
    const { adapter, runtime, server } = setUp(vendor);
    server.control.set({ errorBurst: { count: 3, status: 503, on: 'data' } });
    const result = await adapter.sync(context_());
    expect(result.recordsProcessed).toBe(1050);
    // base 500 ms doubling, equal jitter with random = 0.5: 375, 750, 1500
    expect(runtime.sleeps).toEqual([375, 750, 1500]);
    expect(server.control.count('data')).toBe(11 + 3);
  });

  it('gives up on a persistent failure after the configured attempts, with a message safe to store', async () => {
    const { adapter, server } = setUp(vendor, { INTEGRATION_MAX_ATTEMPTS: '4' });
    server.control.set({ errorBurst: { count: 1000, status: 502, on: 'data' } });
    const error = await adapter.sync(context_()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrationError);
    expect((error as IntegrationError).code).toBe('unavailable');
    expect(server.control.count('data')).toBe(4);
    const message = (error as IntegrationError).message;
    expect(sanitizeErrorMessage(message)).toBe(message);
    expect(message).toMatch(new RegExp(`^${vendor}: (GET|POST) /\\S+ failed with HTTP 502 \\(4 attempts\\)$`));
    for (const secret of secretsOf(LOCAL_CREDENTIALS[vendor])) expect(message).not.toContain(secret);
  });

  it('fails as rate_limited when Retry-After asks for longer than it may wait', async () => {
    const { adapter, runtime, server } = setUp(vendor, { INTEGRATION_MAX_RETRY_AFTER_MS: '60000' });
    server.control.set({ rateLimitNext: { count: 1, retryAfterSeconds: 3600, on: 'data' } });
    const error = (await adapter.sync(context_()).catch((e: unknown) => e)) as IntegrationError;
    expect(error.code).toBe('rate_limited');
    expect(error.details.retryAfterSeconds).toBe(3600);
    expect(runtime.sleeps).toEqual([]);
  });

  it('times out a request that never answers, retries it, and gives up when none answers', async () => {
    const { adapter, server } = setUp(vendor, { INTEGRATION_TIMEOUT_MS: '150', INTEGRATION_MAX_ATTEMPTS: '2' });
    server.control.set({ hangNext: { count: 1, on: 'data' } });
    expect((await adapter.sync(context_())).recordsProcessed).toBe(1050);

    server.control.set({ hangNext: { count: 100, on: 'data' } });
    const error = (await adapter.sync(context_()).catch((e: unknown) => e)) as IntegrationError;
    expect(error.code).toBe('timeout');
    expect(error.message).toMatch(/timed out after 150 ms \(2 attempts\)$/);
  });

  it('stops at the next page when the run is cancelled', async () => {
    const { adapter, server } = setUp(vendor);
    const controller = new AbortController();
    const ctx = context_({
      signal: controller.signal,
      onProgress: async (p) => {
        if (p.recordsProcessed >= 200) controller.abort();
      },
    });
    const error = (await adapter.sync(ctx).catch((e: unknown) => e)) as IntegrationError;
    expect(error.code).toBe('cancelled');
    expect(server.control.count('data')).toBe(2);
  });

  it('checks health with the cheap endpoint only, and reads 429 as rate limited', async () => {
    const { adapter, server } = setUp(vendor);
    expect((await adapter.healthCheck()).status).toBe('healthy');
    server.control.set({ rateLimitNext: { count: 1, retryAfterSeconds: 120 } });
    expect(await adapter.healthCheck()).toMatchObject({ status: 'rate_limited', retryAfterSeconds: 120 });
    server.control.set({ down: true });
    expect(await adapter.healthCheck()).toMatchObject({
      status: 'unhealthy',
      error: `${vendor}: health check failed with HTTP 503`,
    });
    expect(server.control.count('health')).toBe(3);
    expect(server.control.count('data')).toBe(0);
  });

  it('reports a health check that never answers as unhealthy after its own timeout', async () => {
    const { adapter, server } = setUp(vendor, { INTEGRATION_HEALTH_TIMEOUT_MS: '150' });
    server.control.set({ hangNext: { count: 1, on: 'health' } });
    expect(await adapter.healthCheck()).toMatchObject({
      status: 'unhealthy',
      error: `${vendor}: health check timed out after 150 ms`,
    });
  });

  it("reports a deployment without the vendor's base URL instead of calling anything", async () => {
    const adapter = createAdapters({})[vendor] as IntegrationAdapter;
    expect(adapter.configured).toBe(false);
    expect(await adapter.healthCheck()).toMatchObject({
      status: 'unhealthy',
      error: expect.stringContaining('not configured'),
    });
    await expect(adapter.sync(context_())).rejects.toMatchObject({ code: 'not_configured' });
  });

  it('fails as unauthorized when the vendor refuses the credentials, with a message that never repeats them', async () => {
    const { adapter, server, runtime } = setUp(vendor);
    const error = (await adapter
      .sync(context_({ credentials: WRONG_CREDENTIALS[vendor] }))
      .catch((e: unknown) => e)) as IntegrationError;
    expect(error).toBeInstanceOf(IntegrationError);
    expect(error.code).toBe('unauthorized');
    expect(error.details.status).toBe(401);
    expect(error.message).toMatch(new RegExp(`^${vendor}: (GET|POST) /\\S+ refused the credentials \\(HTTP 401\\)$`));
    for (const secret of secretsOf(WRONG_CREDENTIALS[vendor])) expect(error.message).not.toContain(secret);
    expect(sanitizeErrorMessage(error.message)).toBe(error.message);
    expect(runtime.sleeps).toEqual([]); // refused is final: never retried
    expect(server.control.credentialsSeen()).toEqual([]);
  });

  it('refuses stored credentials that do not fit as not_configured, naming the field, before any request', async () => {
    const { adapter, server } = setUp(vendor);
    const [field] = Object.keys(LOCAL_CREDENTIALS[vendor]) as [string];
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{}, new RegExp(`\\(${field} is missing`)],
      [{ ...LOCAL_CREDENTIALS[vendor], [field]: 42 }, new RegExp(`\\(${field} must be a string\\)`)],
      [
        { ...LOCAL_CREDENTIALS[vendor], [field]: 'has a space-in-it-s3cr3t' },
        new RegExp(`\\(${field} must be 1 to 4096 printable characters without spaces\\)`),
      ],
      [{ ...LOCAL_CREDENTIALS[vendor], extra: 'x-s3cr3t' }, /\(it has unknown fields\)/],
    ];
    for (const [credentials, reason] of cases) {
      const error = (await adapter.sync(context_({ credentials })).catch((e: unknown) => e)) as IntegrationError;
      expect(error.code).toBe('not_configured');
      expect(error.message).toMatch(new RegExp(`^${vendor}: the connection's credentials are not valid \\(`));
      expect(error.message).toMatch(reason);
      expect(error.message).toMatch(/: set them again$/);
      expect(error.message).not.toMatch(/s3cr3t|local-/);
    }
    const settings = (await adapter
      .sync(context_({ settings: { nonsense: true } }))
      .catch((e: unknown) => e)) as IntegrationError;
    expect(settings).toMatchObject({ code: 'not_configured' });
    expect(settings.message).toBe(
      `${vendor}: the connection's settings are not valid (it has unknown fields): set them again`,
    );
    expect(server.control.count()).toBe(0);
  });

  it("each org's credentials reach the vendor as that org's", async () => {
    const { adapter, server } = setUp(vendor);
    server.dataset.set({ totalRecords: 150 });
    await adapter.sync(context_());
    expect(server.control.credentialsSeen()).toEqual([
      Object.values(LOCAL_CREDENTIALS[vendor])[0], // the token, the key, or the client id a token was issued to
    ]);
    server.control.reset();
    await adapter.sync(context_({ credentials: SECOND_ORG[vendor] }));
    expect(server.control.credentialsSeen()).toEqual([Object.values(SECOND_ORG[vendor])[0]]);
  });
});

describe('dynamics adapter specifics', () => {
  it('fetches one client-credentials token for a whole multi-page sync, and a new one for the next run', async () => {
    const { adapter, server } = setUp('dynamics');
    await adapter.sync(context('dynamics'));
    expect(server.control.count('auth')).toBe(1);
    expect(server.control.count('data')).toBe(11);
    await adapter.sync(context('dynamics'));
    expect(server.control.count('auth')).toBe(2); // a token is the org's run's, never kept for another run
  });

  it('checks health without credentials: the service root answers 401 with a Bearer challenge, and no token is asked for', async () => {
    const { adapter, server, runtime } = setUp('dynamics');
    expect(await adapter.healthCheck()).toMatchObject({ status: 'healthy' });
    server.control.set({ rateLimitNext: { count: 1, retryAfterSeconds: 300, on: 'health' } });
    expect(await adapter.healthCheck()).toMatchObject({ status: 'rate_limited', retryAfterSeconds: 300 });
    server.control.set({ errorBurst: { count: 1, status: 503, on: 'health' } });
    expect(await adapter.healthCheck()).toMatchObject({ status: 'unhealthy' });
    expect(server.control.count('health')).toBe(3);
    expect(server.control.count('auth')).toBe(0);
    expect(runtime.sleeps).toEqual([]);
  });

  it('refuses a wrong client secret at the token endpoint as unauthorized, naming no secret', async () => {
    const { adapter } = setUp('dynamics');
    const error = (await adapter
      .sync(context('dynamics', { credentials: WRONG_CREDENTIALS.dynamics }))
      .catch((e: unknown) => e)) as IntegrationError;
    expect(error.code).toBe('unauthorized');
    expect(error.message).toBe('dynamics: POST /oauth2/token refused the credentials (HTTP 401)');
  });
});

describe('configuration', () => {
  it('refuses plain http to a remote host and bad numbers', () => {
    const remote = createAdapters({ ...apis.env, XLEDGER_BASE_URL: 'http://xledger.example.com' }).xledger;
    expect(remote?.configured).toBe(false);
    const badNumber = createAdapters({ ...apis.env, BUFDIR_TIMEOUT_MS: 'soon' }).bufdir;
    expect(badNumber?.configured).toBe(false);
  });
});
