// A vendor's redirect is never followed: fetch would re-send the Bufdir key (x-api-key) and the Dynamics token
// request's body (client_secret) to wherever Location points. Real HTTP servers: the vendor, and a host that records
// what reaches it.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { IntegrationError, SyncContext } from '../../supabase/functions/_shared/integrations/integration.ts';
import { createAdapters } from '../../supabase/functions/_shared/integrations/registry.ts';

const reached: Array<{ url: string; headers: IncomingMessage['headers']; body: string }> = [];
let elsewhere: Server;
let vendor: Server;
let vendorUrl: string;

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );

beforeAll(async () => {
  elsewhere = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      reached.push({ url: request.url ?? '', headers: request.headers, body });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"value":[]}');
    });
  });
  const elsewhereUrl = (await listen(elsewhere)).replace('127.0.0.1', 'localhost'); // another origin
  vendor = createServer((request, response) =>
    response.writeHead(307, { location: `${elsewhereUrl}${request.url}` }).end(),
  );
  vendorUrl = await listen(vendor);
});

afterAll(() => {
  elsewhere.close();
  vendor.close();
});

const context = (credentials: Record<string, string>): SyncContext => ({
  orgId: '11111111-1111-4111-8111-111111111111',
  credentials,
  settings: {},
  scheduledFor: null,
  signal: new AbortController().signal,
  onProgress: async () => {},
});

it('a 307 to another host fails the run as http_error, and the credentials never leave for it', async () => {
  const adapters = createAdapters({
    BUFDIR_BASE_URL: vendorUrl,
    DYNAMICS_BASE_URL: vendorUrl,
    XLEDGER_BASE_URL: vendorUrl,
    INTEGRATION_MAX_ATTEMPTS: '1',
  });
  const bufdir = (await adapters.bufdir
    ?.sync(context({ apiKey: 'bufdir-key-123' }))
    .catch((e) => e)) as IntegrationError;
  const dynamics = (await adapters.dynamics
    ?.sync(context({ clientId: 'dynamics-client', clientSecret: 'dynamics-secret-789' }))
    .catch((e) => e)) as IntegrationError;
  const xledger = (await adapters.xledger
    ?.sync(context({ apiToken: 'xledger-token-456' }))
    .catch((e) => e)) as IntegrationError;

  for (const error of [bufdir, dynamics, xledger]) {
    expect(error.code).toBe('http_error');
    expect(error.message).toMatch(/failed with HTTP 307 \(a redirect, not followed\)$/);
  }
  expect(reached).toEqual([]);
});

it('a health check answered with a redirect is unhealthy, and nothing goes to the other host', async () => {
  const adapters = createAdapters({ BUFDIR_BASE_URL: vendorUrl });
  const health = await adapters.bufdir?.healthCheck(new AbortController().signal);
  expect(health).toMatchObject({ status: 'unhealthy' });
  expect(reached).toEqual([]);
});
