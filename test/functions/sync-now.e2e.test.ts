// "Sync now" really syncs, end to end as on a hosted project: both functions under Deno (ES256 tokens, a secret key),
// the simulated vendor APIs. An admin connects the org, a coordinator clicks; the sync-run-log function queues the
// run and hands it to sync-scheduler (POST /runs/claim), which runs it with the org's credentials into the run log.
// Wrong credentials fail the run as unauthorized, and say so without repeating them.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, type SimulatedApis, startApis } from '../integrations/simulated.ts';
import { call, type Harness, newOrg, startHarness } from './harness.ts';

let apis: SimulatedApis;
let h: Harness;
const u = (path: string) => h.url('sync-run-log', path);

beforeAll(async () => {
  apis = await startApis();
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(apis.env)) if (value !== undefined) env[key] = value;
  h = await startHarness(env, { signing: 'es256' });
}, 180_000);
afterAll(async () => {
  await h?.stop();
  await apis?.stop();
});

/** The run as the run log has it, once it has ended (the sync goes on after the click's answer: bounded wait). */
async function ended(runId: string) {
  await expect
    .poll(async () => (await h.db.sql`select status from public.sync_run_log where id = ${runId}`)[0]?.status, {
      timeout: 30_000,
      interval: 100,
    })
    .toMatch(/^(completed|failed|cancelled)$/);
  const [row] = await h.db
    .sql`select status, records_processed, error_message from public.sync_run_log where id = ${runId}`;
  return row;
}

async function click(org: string, apiToken: string) {
  const admin = await h.userToken(org, 'admin');
  const put = await call(u('/integrations/xledger/connection'), {
    method: 'PUT',
    token: admin,
    body: { credentials: { apiToken } },
  });
  expect(put.status).toBe(200);
  const res = await call(u('/runs'), {
    method: 'POST',
    token: await h.userToken(org, 'coordinator'),
    body: { integrationType: 'xledger' },
  });
  expect(res.status).toBe(201);
  expect(res.body.run.status).toBe('pending');
  return res.body.run.id as string;
}

it('the click is handed to sync-scheduler and the run syncs with the org credentials', async () => {
  const runId = await click(newOrg(), LOCAL_CREDENTIALS.xledger.apiToken);
  expect(await ended(runId)).toEqual({ status: 'completed', records_processed: 1000, error_message: null });
  const lines = h.logs.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
  expect(lines.find((l) => l.runId === runId && l.msg === 'run handed to sync-scheduler')).toMatchObject({
    claimed: 1,
  });
  expect(apis.xledger.control.credentialsSeen()).toContain(LOCAL_CREDENTIALS.xledger.apiToken);
}, 60_000);

it('wrong credentials fail the run as unauthorized, without repeating them', async () => {
  const wrong = 'not-the-xledger-token-4711';
  const runId = await click(newOrg(), wrong);
  const run = await ended(runId);
  expect(run?.status).toBe('failed');
  expect(run?.error_message).toMatch(/unauthori[sz]ed|401|refused/i);
  expect(run?.error_message).not.toContain(wrong);
  const res = await call(u(`/runs/${runId}`), { headers: { apikey: await h.serviceCredential() } });
  expect(res.status).toBe(200);
  expect(h.logs.join('\n')).not.toContain(wrong);
}, 60_000);

it("openapi.json names this project's URL (SUPABASE_URL) as its server: a generated client calls this project", async () => {
  const res = await call(u('/openapi.json'));
  expect(res.status).toBe(200);
  const [server] = res.body.servers;
  expect(server.url).toBe('{projectUrl}/functions/v1/sync-run-log');
  expect(server.variables.projectUrl.default).toBe(new URL(h.host.url).origin);
});
