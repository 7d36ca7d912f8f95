// The simulated APIs' control API over HTTP (what a person or another process uses; tests may also use
// server.control in-process): faults switch on and off, bad settings are refused and change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, type SimulatedApis, startApis } from './simulated.ts';

let apis: SimulatedApis;
beforeAll(async () => {
  apis = await startApis();
});
afterAll(() => apis.stop());

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('control API', () => {
  it('switches a burst of 5xx, a 429 and an outage on and back off', async () => {
    const base = apis.bufdir.url;
    expect((await post(`${base}/__control/faults`, { errorBurst: { count: 2, status: 500 } })).status).toBe(200);
    expect((await fetch(`${base}/api/v1/status`)).status).toBe(500);
    expect((await fetch(`${base}/api/v1/status`)).status).toBe(500);
    expect((await fetch(`${base}/api/v1/status`)).status).toBe(200);

    await post(`${base}/__control/faults`, { rateLimitNext: { count: 1, retryAfterSeconds: 42 } });
    const limited = await fetch(`${base}/api/v1/status`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('42');

    await post(`${base}/__control/faults`, { down: true });
    expect((await fetch(`${base}/api/v1/status`)).status).toBe(503);
    await post(`${base}/__control/reset`, {});
    expect((await fetch(`${base}/api/v1/status`)).status).toBe(200);
  });

  it('reports its state and request log', async () => {
    const base = apis.xledger.url;
    await post(`${base}/__control/reset`, {});
    await fetch(`${base}/graphql`, { method: 'HEAD' });
    const state = (await (await fetch(`${base}/__control`)).json()) as { faults: { requests: number } };
    expect(state.faults.requests).toBe(1);
    const log = (await (await fetch(`${base}/__control/requests`)).json()) as Array<{ kind: string; status: number }>;
    expect(log).toMatchObject([{ method: 'HEAD', path: '/graphql', kind: 'health', status: 200 }]);
  });

  it('changes the data set', async () => {
    const base = apis.bufdir.url;
    expect((await post(`${base}/__control/data`, { totalRecords: 5, invalidEvery: 5 })).status).toBe(200);
    const page = (await (
      await fetch(`${base}/api/v1/exports/records?page=1&pageSize=10`, {
        headers: { 'x-api-key': LOCAL_CREDENTIALS.bufdir.apiKey },
      })
    ).json()) as { data: Array<{ participants: number }>; meta: { totalPages: number } };
    expect(page.data).toHaveLength(5);
    expect(page.data[4]?.participants).toBe(-1);
    expect(page.meta.totalPages).toBe(1);
  });

  it('refuses bad settings with 400 and keeps the previous ones', async () => {
    const base = apis.dynamics.url;
    await post(`${base}/__control/reset`, {});
    for (const bad of [
      'not json',
      '[1]',
      { latencyMs: -1 },
      { errorBurst: { count: 1, status: 200 } },
      { down: 'yes' },
    ]) {
      const response = await post(`${base}/__control/faults`, bad);
      expect(response.status).toBe(400);
    }
    expect((await post(`${base}/__control/data`, { totalRecords: 1.5 })).status).toBe(400);
    expect((await fetch(`${base}/api/data/v9.2/`, { method: 'HEAD' })).status).toBe(401); // no token: Dynamics' answer
    expect((await fetch(`${base}/__control/nothing`)).status).toBe(404);
  });
});

describe('the credentials the simulated APIs accept', () => {
  it('are the documented local ones', () => {
    expect(LOCAL_CREDENTIALS).toEqual({
      xledger: { apiToken: 'local-xledger-token' },
      dynamics: { clientId: 'local-dynamics-client', clientSecret: 'local-dynamics-secret' },
      bufdir: { apiKey: 'local-bufdir-key' },
    });
  });

  it('Xledger: its token and no other; 401 for a wrong or missing one', async () => {
    const graphql = (authorization?: string) =>
      fetch(`${apis.xledger.url}/graphql`, {
        method: 'POST',
        headers: authorization ? { authorization } : {},
        body: JSON.stringify({ query: '{ transactions(first: 1) { edges { cursor } } }', variables: { first: 1 } }),
      });
    expect((await graphql(`token ${LOCAL_CREDENTIALS.xledger.apiToken}`)).status).toBe(200);
    for (const wrong of ['token local-xledger-token2', 'token LOCAL-XLEDGER-TOKEN', 'Bearer local-xledger-token']) {
      expect((await graphql(wrong)).status).toBe(401);
    }
    expect((await graphql()).status).toBe(401);
  });

  it('Dynamics: its client id and secret together and no other; 401 invalid_client', async () => {
    const token = (form: Record<string, string>) =>
      fetch(`${apis.dynamics.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', ...form }).toString(),
      });
    const { clientId, clientSecret } = LOCAL_CREDENTIALS.dynamics;
    const ok = await token({ client_id: clientId, client_secret: clientSecret });
    expect(ok.status).toBe(200);
    const { access_token } = (await ok.json()) as { access_token: string };
    const page = await fetch(`${apis.dynamics.url}/api/data/v9.2/msdyn_transactions`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(page.status).toBe(200);
    await page.body?.cancel();
    const wrongForms: Array<Record<string, string>> = [
      { client_id: clientId, client_secret: 'local-bufdir-key' },
      { client_id: 'local-xledger-token', client_secret: clientSecret },
      { client_id: clientId },
    ];
    for (const form of wrongForms) {
      const refused = await token(form);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ error: 'invalid_client' });
    }
    const forged = await fetch(`${apis.dynamics.url}/api/data/v9.2/msdyn_transactions`, {
      headers: { authorization: `Bearer ${clientSecret}` },
    });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('Bufdir: its key and no other; 401 for a wrong or missing one', async () => {
    const records = (key?: string) =>
      fetch(`${apis.bufdir.url}/api/v1/exports/records?page=1&pageSize=1`, {
        headers: key === undefined ? {} : { 'x-api-key': key },
      });
    expect((await records(LOCAL_CREDENTIALS.bufdir.apiKey)).status).toBe(200);
    for (const wrong of ['local-bufdir-key2', 'LOCAL-BUFDIR-KEY', 'local-xledger-token', ''])
      expect((await records(wrong)).status).toBe(401);
    expect((await records()).status).toBe(401);
  });
});
