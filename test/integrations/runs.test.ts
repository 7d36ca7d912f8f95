// A sync run end to end: the scheduler's executor loads the org's connection from the real database (credentials
// from the local Vault through get_connection_credentials, settings from sync_connections), runs the real adapter
// against its simulated API over HTTP and records the outcome in the run log. Real pages give real counts; partly
// failed runs complete with records_failed and a sanitised error; credentials the vendor refuses fail the run as
// unauthorized without ever reaching the run log; a connection that is missing, disabled or malformed fails it as
// not configured before any vendor is called; two orgs each sync with their own credentials.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAdapters } from '../../supabase/functions/_shared/integrations/registry.ts';
import { silentLogger } from '../../supabase/functions/_shared/log.ts';
import { SyncRunLogRepository } from '../../supabase/functions/_shared/run-log.repository.ts';
import { DatabaseConnectionSource } from '../../supabase/functions/_shared/scheduler/connection-source.ts';
import { RunExecutor } from '../../supabase/functions/_shared/scheduler/executor.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import { createTestDatabase, SERVICE, type TestDatabase } from '../helpers/db.ts';
import { connect } from '../scheduler/helpers.ts';
import {
  LOCAL_CREDENTIALS,
  recordingRuntime,
  type SimulatedApis,
  startApis,
  VENDORS,
  type Vendor,
  WRONG_CREDENTIALS,
} from './simulated.ts';

const OTHER_ORG_CREDENTIALS = {
  xledger: { apiToken: 'other-org-xledger-token' },
  dynamics: { clientId: 'other-org-client', clientSecret: 'other-org-secret' },
  bufdir: { apiKey: 'other-org-bufdir-key' },
};

let db: TestDatabase;
let apis: SimulatedApis;
let runLog: SyncRunLogRepository;
const port = () => createSqlRpc(db.sql, SERVICE);

beforeAll(async () => {
  db = await createTestDatabase();
  apis = await startApis({
    accept: {
      xledger: [OTHER_ORG_CREDENTIALS.xledger.apiToken],
      dynamics: [OTHER_ORG_CREDENTIALS.dynamics],
      bufdir: [OTHER_ORG_CREDENTIALS.bufdir.apiKey],
    },
  });
  runLog = new SyncRunLogRepository(port());
});
afterAll(async () => {
  await apis.stop();
  await db.drop();
});
beforeEach(() => {
  for (const server of [apis.xledger, apis.dynamics, apis.bufdir]) {
    server.control.reset();
    server.dataset.set({ totalRecords: 730, invalidEvery: 0, maxPageSize: 500 });
  }
});

/** A new org with a connection of `type` holding `credentials` (the local ones by default). */
async function orgWith(type: Vendor, credentials: Record<string, unknown> | null = LOCAL_CREDENTIALS[type]) {
  const orgId = randomUUID();
  if (credentials !== null) await connect(port(), orgId, type, credentials);
  return orgId;
}

function executor(env: Record<string, string> = {}) {
  const adapters = createAdapters({ ...apis.env, INTEGRATION_PAGE_SIZE: '100', ...env }, recordingRuntime());
  return new RunExecutor({ runLog, adapters, connections: new DatabaseConnectionSource(port()), log: silentLogger });
}

async function run(orgId: string, type: Vendor, env: Record<string, string> = {}) {
  const runId = await runLog.insertRunLog(orgId, type, 'manual');
  const outcome = await executor(env).execute({
    runId,
    orgId,
    integrationType: type,
    scheduledFor: null,
    timeoutSeconds: 600,
  });
  const [row] = await db.sql`select status, records_processed, records_failed, error_message, heartbeat_at
                             from public.sync_run_log where id = ${runId}`;
  return { outcome, row };
}

describe('a sync run against a simulated API', () => {
  it("processes real pages with the org's credentials and records real counts", async () => {
    const { row } = await run(await orgWith('dynamics'), 'dynamics');
    expect(row).toMatchObject({ status: 'completed', records_processed: 730, records_failed: 0, error_message: null });
    expect(apis.dynamics.control.count('data')).toBe(8);
    expect(apis.dynamics.control.credentialsSeen()).toEqual([LOCAL_CREDENTIALS.dynamics.clientId]);
  });

  it('a partly failed run completes with records_failed and the reason', async () => {
    apis.bufdir.dataset.set({ invalidEvery: 73 });
    const { row } = await run(await orgWith('bufdir'), 'bufdir');
    expect(row).toMatchObject({ status: 'completed', records_processed: 720, records_failed: 10 });
    expect(row?.error_message).toBe(
      '10 of 730 records could not be processed (first: page 1 record 73: participants is not a count)',
    );
  });

  it('a run that throws is failed with a sanitised error, never left running', async () => {
    apis.xledger.control.set({ errorBurst: { count: 100, status: 503, on: 'data' } });
    const { row, outcome } = await run(await orgWith('xledger'), 'xledger', { INTEGRATION_MAX_ATTEMPTS: '3' });
    expect(row).toMatchObject({ status: 'failed', records_processed: 0 });
    expect(row?.error_message).toBe('xledger: POST /graphql failed with HTTP 503 (3 attempts)');
    expect(outcome.errorCode).toBe('unavailable');
    const [running] = await db.sql`select count(*)::int as n from public.sync_run_log where status = 'running'`;
    expect(running?.n).toBe(0);
  });

  it('a failure after some pages keeps the progress the heartbeats recorded', async () => {
    apis.dynamics.dataset.set({ totalRecords: 1000 });
    const orgId = await orgWith('dynamics');
    // Pages 1-3 answer, then the API goes down.
    apis.dynamics.control.set({ errorBurst: { count: 100, status: 502, on: 'data', after: 3 } });
    const { row } = await run(orgId, 'dynamics', { INTEGRATION_MAX_ATTEMPTS: '2' });
    expect(row).toMatchObject({ status: 'failed', records_processed: 300 });
    expect(row?.error_message).toMatch(/^dynamics: GET \/api\/data\/v9\.2\/msdyn_transactions failed with HTTP 502/);
  });
});

describe.each(VENDORS)("the org's %s connection", (type) => {
  it('with credentials the vendor refuses: failed unauthorized, and the run log never holds them', async () => {
    const { row, outcome } = await run(await orgWith(type, WRONG_CREDENTIALS[type]), type);
    expect(outcome).toMatchObject({ status: 'failed', errorCode: 'unauthorized' });
    expect(row).toMatchObject({ status: 'failed', records_processed: 0 });
    expect(row?.error_message).toMatch(
      new RegExp(`^${type}: (GET|POST) /\\S+ refused the credentials \\(HTTP 401\\)$`),
    );
    for (const secret of Object.values(WRONG_CREDENTIALS[type])) expect(row?.error_message).not.toContain(secret);
    expect(apis[type].control.count()).toBe(1); // refused once, never retried
  });

  it('missing, without credentials, or disabled: failed not_configured before the vendor is called', async () => {
    const none = await run(await orgWith(type, null), type);
    expect(none.outcome).toMatchObject({ status: 'failed', errorCode: 'not_configured' });
    expect(none.row?.error_message).toBe(
      `${type} is not configured for this org: no enabled connection with credentials`,
    );

    const settingsOnly = randomUUID();
    await connect(port(), settingsOnly, type, null, { settings: {} });
    expect((await run(settingsOnly, type)).outcome).toMatchObject({ errorCode: 'not_configured' });

    const disabled = await orgWith(type);
    await connect(port(), disabled, type, null, { enabled: false });
    const off = await run(disabled, type);
    expect(off.outcome).toMatchObject({ status: 'failed', errorCode: 'not_configured' });
    expect(off.row?.error_message).toMatch(/is not configured for this org/);
    expect(apis[type].control.count()).toBe(0);
  });

  it('with stored credentials of the wrong shape: failed not_configured, naming the field and not the value', async () => {
    const [field] = Object.keys(LOCAL_CREDENTIALS[type]) as [string];
    const { row, outcome } = await run(
      await orgWith(type, { ...LOCAL_CREDENTIALS[type], [field]: 'pasted with a newline s3cr3t\n' }),
      type,
    );
    expect(outcome).toMatchObject({ status: 'failed', errorCode: 'not_configured' });
    expect(row?.error_message).toBe(
      `${type}: the connection's credentials are not valid (${field} must be 1 to 4096 printable characters without spaces): set them again`,
    );
    expect(apis[type].control.count()).toBe(0);
  });

  it('two orgs with different credentials each sync with their own', async () => {
    const first = await orgWith(type);
    const second = await orgWith(type, OTHER_ORG_CREDENTIALS[type]);
    apis[type].dataset.set({ totalRecords: 150 });
    const [a, b] = await Promise.all([run(first, type), run(second, type)]);
    expect([a.row?.status, b.row?.status]).toEqual(['completed', 'completed']);
    expect([a.row?.records_processed, b.row?.records_processed]).toEqual([150, 150]);
    const seen = apis[type].control.log.filter((entry) => entry.kind === 'data').map((entry) => entry.credential);
    const identity = (credentials: Record<string, string>) => Object.values(credentials)[0];
    expect(new Set(seen)).toEqual(new Set([identity(LOCAL_CREDENTIALS[type]), identity(OTHER_ORG_CREDENTIALS[type])]));
    expect(seen.filter((who) => who === identity(OTHER_ORG_CREDENTIALS[type]))).toHaveLength(2);
  });
});
