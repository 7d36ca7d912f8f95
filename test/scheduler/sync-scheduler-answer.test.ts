// The sync-scheduler function's POST /tick answers once the due runs are started: pg_net waits 5 s for it, and the
// warm-up pings, health checks and alert webhooks that follow may wait on slow servers (10 s each). Run in process
// (app.ts is runtime-neutral) against the real database, with a warm-up target that holds every request until the
// test lets it go: the answer comes while the warm-up is still held, and the held work ends in the background.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAuthenticator } from '../../supabase/functions/_shared/auth.ts';
import { authConfigFromEnv } from '../../supabase/functions/_shared/auth-config.ts';
import { sqlPorts } from '../../supabase/functions/_shared/database.ts';
import { schedulerSettingsFromEnv } from '../../supabase/functions/_shared/scheduler/config.ts';
import { createSyncSchedulerHandler, type SyncSchedulerDeps } from '../../supabase/functions/sync-scheduler/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { connect, newOrg, recordingLogger, repositories, runsOf } from './helpers.ts';

const SECRET_KEY = `sb_secret_${'k'.repeat(32)}`;
let db: TestDatabase;
let server: Server;
const held: ServerResponse[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  server = createServer((_request, response) => void held.push(response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const response of held) response.end();
  await new Promise((resolve) => server.close(resolve));
  await db.drop();
});

/** The function as handler.ts wires it, on this file's database, with a secret key its callers send. */
function schedulerHandler(deps: Omit<SyncSchedulerDeps, 'auth' | 'db'>) {
  return createSyncSchedulerHandler({
    auth: createAuthenticator(
      authConfigFromEnv({ SUPABASE_JWT_SECRET: 'j'.repeat(40), SUPABASE_SECRET_KEYS: `{"default":"${SECRET_KEY}"}` }),
    ),
    db: sqlPorts(db.sql),
    ...deps,
  });
}

/** POST /tick as pg_cron's job sends it (the secret key in apikey). */
const postTick = (handler: (request: Request) => Promise<Response>) =>
  handler(
    new Request('http://127.0.0.1/functions/v1/sync-scheduler/tick', {
      method: 'POST',
      headers: { apikey: SECRET_KEY },
    }),
  );

it('answers once the due run is started, while the warm-up ping is still waiting; the rest ends after', async () => {
  const org = newOrg();
  await repositories(db.sql).scheduler.upsertSchedule({
    orgId: org,
    integrationType: 'xledger',
    cronExpression: '* * * * *',
    activeFrom: new Date(Date.now() - 2 * 60_000),
  });
  const { port } = server.address() as AddressInfo;
  const background: Promise<unknown>[] = [];
  const log = recordingLogger();
  const handler = schedulerHandler({
    log,
    adapters: {},
    settings: schedulerSettingsFromEnv({
      SCHEDULER_WARM_UP_URL: `http://127.0.0.1:${port}/warm`,
      SCHEDULER_WARM_UP_LEAD_MS: '0', // an every-minute schedule's next period is always within the minute ahead
      SCHEDULER_HTTP_TIMEOUT_MS: '60000', // longer than this test may take: only an early answer passes
    }),
    waitUntil: (promise) => void background.push(promise),
  });

  const response = await postTick(handler);
  expect(response.status).toBe(200);
  const report = await response.json();
  expect(report.started.filter((s: { orgId: string }) => s.orgId === org)).toHaveLength(1);
  expect(report.warmUps).toEqual([]); // not done when it answered
  expect(log.lines.some((line) => line.fields.event === 'tick')).toBe(false); // the tick's own line comes at its end

  await expect.poll(() => held.length).toBeGreaterThan(0); // the warm-up ping reached its target after the answer
  for (const answer of held) answer.writeHead(200).end('{}');
  await Promise.all(background);
  const tickLine = log.lines.find((line) => line.fields.event === 'tick');
  expect(tickLine?.fields).toMatchObject({ started: 1, warmUps: 1, errors: 0 });
}, 15_000);

it("the worker about to be stopped (onShutdown's stop): the runs still syncing are failed at once, saying why", async () => {
  const org = newOrg();
  const { scheduler, port } = repositories(db.sql);
  await connect(port, org, 'xledger', { apiToken: 'local-xledger-token' });
  await scheduler.upsertSchedule({
    orgId: org,
    integrationType: 'xledger',
    cronExpression: '* * * * *',
    activeFrom: new Date(Date.now() - 2 * 60_000),
  });
  let stop: (reason: string) => Promise<void> = async () => {};
  let syncing = false;
  const handler = schedulerHandler({
    log: recordingLogger(),
    adapters: {
      xledger: {
        type: 'xledger',
        healthCheck: async () => ({ status: 'healthy', latencyMs: 1 }),
        sync: () => {
          syncing = true;
          return new Promise<never>(() => {}); // a vendor call that never ends
        },
      },
    },
    settings: schedulerSettingsFromEnv({}),
    onShutdown: (given) => {
      stop = given;
    },
  });
  const response = await postTick(handler);
  expect(response.status).toBe(200);
  await expect.poll(() => syncing).toBe(true);
  await stop('WallClockTime');
  const [run] = await runsOf(db.sql, org);
  expect(run).toMatchObject({
    status: 'failed',
    error_message: 'the scheduler was stopped (WallClockTime) before the run ended',
  });
});
