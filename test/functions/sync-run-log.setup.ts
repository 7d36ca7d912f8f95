// What the sync-run-log tests set up through the function itself: an org's connections (the service role's PUT
// /integrations/{type}/connection, as an admin would), and runs the service role records (status running, the way a
// server that executes its own runs starts them). Every call goes through harness.ts's call(), so it is checked
// against the OpenAPI document too.
import { expect } from 'vitest';
import { call, type Harness } from './harness.ts';

export const INTEGRATIONS = ['xledger', 'dynamics', 'bufdir'] as const;
export type Integration = (typeof INTEGRATIONS)[number];

/** The credentials the simulated vendor APIs accept (docs/integrations.md). */
export const LOCAL_CREDENTIALS: Record<Integration, Record<string, string>> = {
  xledger: { apiToken: 'local-xledger-token' },
  dynamics: { clientId: 'local-dynamics-client', clientSecret: 'local-dynamics-secret' },
  bufdir: { apiKey: 'local-bufdir-key' },
};

/** What a service caller of this harness sends: a secret key in apikey (ES256) or a service_role JWT (HS256). */
export async function serviceHeaders(h: Harness): Promise<Record<string, string>> {
  const credential = await h.serviceCredential();
  return credential.startsWith('sb_') ? { apikey: credential } : { authorization: `Bearer ${credential}` };
}

/** Gives the org an enabled connection with the local credentials for each integration. */
export async function connect(h: Harness, orgId: string, types: readonly Integration[] = INTEGRATIONS): Promise<void> {
  const headers = await serviceHeaders(h);
  for (const type of types) {
    const res = await call(h.url('sync-run-log', `/integrations/${type}/connection?orgId=${orgId}`), {
      method: 'PUT',
      headers,
      body: { credentials: LOCAL_CREDENTIALS[type] },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
}

/** A run the service role records for the org (status running); any integration type, known or not. */
export async function recordRun(
  h: Harness,
  orgId: string,
  integrationType: string,
  triggeredBy: 'manual' | 'scheduler' = 'manual',
): Promise<{ id: string; status: string; orgId: string; integrationType: string }> {
  const res = await call(h.url('sync-run-log', '/runs'), {
    method: 'POST',
    headers: await serviceHeaders(h),
    body: { orgId, integrationType, triggeredBy },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.run;
}
