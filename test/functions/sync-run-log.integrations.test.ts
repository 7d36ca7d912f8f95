// The integration routes end to end (Deno, HTTP, PostgreSQL with the local Vault): the overview, connections with
// write-only credentials, schedules with their next periods, and who may do what. Bad input is a 400 that says what
// is wrong and changes nothing; the credentials are in Vault and nowhere else: not in a response, a log line or a
// table of public. Every response is checked against the OpenAPI document (harness.ts's call()).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CallOptions,
  type CallResult,
  call,
  expectError,
  type Harness,
  newOrg,
  serviceToken,
  startHarness,
  userToken,
} from './harness.ts';

let h: Harness;
const org = newOrg();
let coordinator: string;
let admin: string;
let service: string;
const u = (path: string) => h.url('sync-run-log', path);
/** Every response of this file, to prove no credential came back. */
const answers: CallResult[] = [];
const send = async (path: string, options: CallOptions = {}) => {
  const res = await call(u(path), options);
  answers.push(res);
  return res;
};
const secret = (name: string) => `${name}-${randomBytes(12).toString('hex')}`;
const SECRETS = {
  token: secret('xl-token'),
  id: secret('dyn-id'),
  secret: secret('dyn-secret'),
  key: secret('bd-key'),
};

beforeAll(async () => {
  h = await startHarness();
  coordinator = await userToken(org, 'coordinator');
  admin = await userToken(org, 'admin');
  service = await serviceToken();
});
afterAll(async () => h?.stop());

/** The org's connection rows and Vault secrets, as the database has them (to prove a refused call changed nothing). */
async function stored() {
  return h.db.sql`
    select c.integration_type, c.settings, c.enabled, c.credentials_set_at, c.updated_at, s.decrypted_secret
    from public.sync_connections c
    left join vault.decrypted_secrets s on s.id = c.credentials_secret_id
    where c.org_id = ${org} order by c.integration_type`;
}

describe('GET /integrations', () => {
  it('an org with nothing yet: one empty entry per known integration, in the registry order', async () => {
    const res = await send('/integrations', { token: coordinator });
    expect(res.status).toBe(200);
    expect(res.body.integrations).toEqual(
      ['xledger', 'dynamics', 'bufdir'].map((integrationType) => ({
        integrationType,
        connection: null,
        schedule: null,
        health: null,
        lastRun: null,
        openAlerts: 0,
      })),
    );
  });

  it('the service role names the org; without orgId it is a 400', async () => {
    expect((await send(`/integrations?orgId=${org}`, { token: service })).body.integrations).toHaveLength(3);
    expectError(await send('/integrations', { token: service }), 400, 'invalid_argument');
  });
});

describe('PUT and DELETE /integrations/{type}/connection', () => {
  it('an admin connects: 200 { connection } without credentials, which go to Vault', async () => {
    const res = await send('/integrations/xledger/connection', {
      method: 'PUT',
      token: admin,
      body: { settings: { companyId: 42 }, credentials: { apiToken: SECRETS.token } },
    });
    expect(res.status).toBe(200);
    expect(res.body.connection).toMatchObject({
      orgId: org,
      integrationType: 'xledger',
      settings: { companyId: 42 },
      enabled: true,
      credentialsSetAt: expect.any(String),
    });
    const [row] = await stored();
    expect(row?.decrypted_secret && JSON.parse(row.decrypted_secret)).toEqual({ apiToken: SECRETS.token });
  });

  it('PUT replaces the whole connection: omitted settings are {}, enabled as given, new credentials', async () => {
    const before = (await stored())[0];
    const res = await send('/integrations/xledger/connection', {
      method: 'PUT',
      token: admin,
      body: { credentials: { apiToken: `${SECRETS.token}-2` }, enabled: false },
    });
    expect(res.body.connection).toMatchObject({ settings: {}, enabled: false });
    expect(Date.parse(res.body.connection.credentialsSetAt)).toBeGreaterThan(Date.parse(before?.credentials_set_at));
    const [row] = await stored();
    expect(JSON.parse(row?.decrypted_secret)).toEqual({ apiToken: `${SECRETS.token}-2` });
    // Disabled: Sync now is not configured, and the overview says why.
    expectError(
      await send('/runs', { method: 'POST', token: coordinator, body: { integrationType: 'xledger' } }),
      409,
      'not_configured',
    );
    const overview = await send('/integrations', { token: coordinator });
    expect(overview.body.integrations[0].connection).toMatchObject({ enabled: false });
  });

  it('each adapter takes its own credentials and settings', async () => {
    const dynamics = await send('/integrations/dynamics/connection', {
      method: 'PUT',
      token: admin,
      body: {
        settings: { environmentUrl: 'https://contoso.crm4.dynamics.com', tenantId: 'contoso.onmicrosoft.com' },
        credentials: { clientId: SECRETS.id, clientSecret: SECRETS.secret },
      },
    });
    expect(dynamics.status).toBe(200);
    const bufdir = await send(`/integrations/bufdir/connection?orgId=${org}`, {
      method: 'PUT',
      token: service,
      body: { settings: { organisationNumber: '974760673' }, credentials: { apiKey: SECRETS.key } },
    });
    expect(bufdir.body.connection).toMatchObject({ orgId: org, settings: { organisationNumber: '974760673' } });
  });

  it.each([
    ['no credentials', 'xledger', { settings: {} }, /body\.credentials: is required/],
    [
      'credentials of another adapter',
      'xledger',
      { credentials: { apiKey: 'k' } },
      /does not take \(it takes apiToken\)/,
    ],
    ['a credential with a space', 'xledger', { credentials: { apiToken: 'two words' } }, /apiToken: must be 1 to 4096/],
    [
      'a credential that is not a string',
      'dynamics',
      { credentials: { clientId: 1, clientSecret: 'x' } },
      /clientId: must be a string/,
    ],
    [
      'a Dynamics environment that is not Dataverse',
      'dynamics',
      {
        settings: { environmentUrl: 'https://evil.example.com' },
        credentials: { clientId: 'a', clientSecret: 'b' },
      },
      /environmentUrl: must be https:\/\/<environment>/,
    ],
    [
      'an organisation number with a bad check digit',
      'bufdir',
      {
        settings: { organisationNumber: '974760672' },
        credentials: { apiKey: 'k' },
      },
      /organisationNumber: must be a Norwegian organisation number/,
    ],
    ['enabled that is not a boolean', 'xledger', { credentials: { apiToken: 't' }, enabled: 'yes' }, /enabled/],
    ['an unknown field', 'xledger', { credentials: { apiToken: 't' }, token: 't' }, /token/],
  ])('400 for %s, with a message that says what, and nothing changed', async (_name, type, body, message) => {
    const before = await stored();
    const res = await send(`/integrations/${type}/connection`, { method: 'PUT', token: admin, body });
    expectError(res, 400, 'invalid_argument');
    expect(res.body.error.message).toMatch(message);
    expect(await stored()).toEqual(before);
  });

  it('a refused credential is never repeated, not even the name of an unknown field inside credentials', async () => {
    const pasted = secret('pasted-secret');
    for (const credentials of [
      { apiToken: `${pasted} with space` },
      { [pasted]: 'x' },
      { apiToken: pasted, [pasted]: 1 },
    ]) {
      const res = await send('/integrations/xledger/connection', {
        method: 'PUT',
        token: admin,
        body: { credentials },
      });
      expectError(res, 400, 'invalid_argument');
      expect(JSON.stringify(res.body)).not.toContain(pasted);
    }
    expect(h.logs.join('\n')).not.toContain(pasted);
  });

  it('an unknown integration is 404; a coordinator is 403; the service role needs orgId; nothing changed', async () => {
    const before = await stored();
    const body = { credentials: { apiToken: 't' } };
    expectError(
      await send('/integrations/sharepoint/connection', { method: 'PUT', token: admin, body }),
      404,
      'not_found',
    );
    expectError(
      await send('/integrations/xledger/connection', { method: 'PUT', token: coordinator, body }),
      403,
      'forbidden',
    );
    expectError(
      await send('/integrations/xledger/connection', { method: 'DELETE', token: coordinator }),
      403,
      'forbidden',
    );
    expectError(
      await send('/integrations/xledger/connection', { method: 'PUT', token: service, body }),
      400,
      'invalid_argument',
    );
    expect(await stored()).toEqual(before);
  });

  it('DELETE removes the connection and its Vault secret: 204, then 404', async () => {
    const res = await send('/integrations/bufdir/connection', { method: 'DELETE', token: admin });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    const [left] = await h.db.sql`
      select count(*)::int as count from vault.secrets where name = ${`sync_connection:${org}:bufdir`}`;
    expect(left?.count).toBe(0);
    expectError(await send('/integrations/bufdir/connection', { method: 'DELETE', token: admin }), 404, 'not_found');
  });

  it('the service role deletes for an org it names, and only with orgId', async () => {
    await send(`/integrations/bufdir/connection?orgId=${org}`, {
      method: 'PUT',
      token: service,
      body: { credentials: { apiKey: SECRETS.key } },
    });
    expectError(
      await send('/integrations/bufdir/connection', { method: 'DELETE', token: service }),
      400,
      'invalid_argument',
    );
    const res = await send(`/integrations/bufdir/connection?orgId=${org}`, { method: 'DELETE', token: service });
    expect(res.status).toBe(204);
    expect((await stored()).map((row) => row.integration_type)).toEqual(['dynamics', 'xledger']);
  });
});

describe('PUT and DELETE /integrations/{type}/schedule', () => {
  it('an admin sets a schedule: 200 { schedule } with defaults and its next 3 periods', async () => {
    const before = Date.now();
    const res = await send('/integrations/dynamics/schedule', {
      method: 'PUT',
      token: admin,
      body: { cronExpression: '*/15 * * * *' },
    });
    expect(res.status).toBe(200);
    expect(res.body.schedule).toMatchObject({
      orgId: org,
      integrationType: 'dynamics',
      cronExpression: '*/15 * * * *',
      timeZone: 'Europe/Oslo',
      enabled: true,
      runTimeoutSeconds: 1800,
      lastScheduledFor: null,
    });
    const next = res.body.schedule.nextPeriods.map(Date.parse);
    expect(next).toHaveLength(3);
    expect(next[0]).toBeGreaterThan(before);
    expect(next.map((t: number) => new Date(t).getUTCMinutes() % 15)).toEqual([0, 0, 0]);
    expect([next[1] - next[0], next[2] - next[1]]).toEqual([15 * 60_000, 15 * 60_000]);
  });

  it('disabled: no next periods; the overview shows the schedule', async () => {
    const res = await send('/integrations/dynamics/schedule', {
      method: 'PUT',
      token: admin,
      body: { cronExpression: '0 6 * * *', timeZone: 'UTC', enabled: false, runTimeoutSeconds: 600 },
    });
    expect(res.body.schedule).toMatchObject({ enabled: false, runTimeoutSeconds: 600, nextPeriods: [] });
    const overview = await send('/integrations', { token: coordinator });
    expect(overview.body.integrations[1].schedule).toEqual(res.body.schedule);
  });

  it.each([
    ['a cron expression with a wrong field count', { cronExpression: '* * *' }, /cron expression/],
    ['a minute out of range', { cronExpression: '61 * * * *' }, /cron expression/],
    [
      'an unknown time zone',
      { cronExpression: '0 * * * *', timeZone: 'Mars/Olympus' },
      /unknown time zone 'Mars\/Olympus'/,
    ],
    ['a timeout under a minute', { cronExpression: '0 * * * *', runTimeoutSeconds: 30 }, /runTimeoutSeconds/],
    ['no cron expression', { timeZone: 'UTC' }, /cronExpression/],
  ])('400 for %s, saying what is wrong, and the schedule unchanged', async (_name, body, message) => {
    const [before] = await h.db.sql`select * from public.sync_schedules where org_id = ${org}`;
    const res = await send('/integrations/dynamics/schedule', { method: 'PUT', token: admin, body });
    expectError(res, 400, 'invalid_argument');
    expect(res.body.error.message).toMatch(message);
    const [after] = await h.db.sql`select * from public.sync_schedules where org_id = ${org}`;
    expect(after).toEqual(before);
  });

  it('a coordinator may not change or delete it (403); the service role may, for an org it names', async () => {
    const body = { cronExpression: '0 * * * *' };
    expectError(
      await send('/integrations/dynamics/schedule', { method: 'PUT', token: coordinator, body }),
      403,
      'forbidden',
    );
    expectError(
      await send('/integrations/dynamics/schedule', { method: 'DELETE', token: coordinator }),
      403,
      'forbidden',
    );
    const res = await send(`/integrations/bufdir/schedule?orgId=${org}`, { method: 'PUT', token: service, body });
    expect(res.body.schedule).toMatchObject({ orgId: org, integrationType: 'bufdir', cronExpression: '0 * * * *' });
  });

  it('DELETE: 204, then 404; the service role deletes for an org it names', async () => {
    expect((await send('/integrations/bufdir/schedule', { method: 'DELETE', token: admin })).status).toBe(204);
    expectError(await send('/integrations/bufdir/schedule', { method: 'DELETE', token: admin }), 404, 'not_found');
    await send(`/integrations/bufdir/schedule?orgId=${org}`, {
      method: 'PUT',
      token: service,
      body: { cronExpression: '@daily' },
    });
    const res = await send(`/integrations/bufdir/schedule?orgId=${org}`, { method: 'DELETE', token: service });
    expect(res.status).toBe(204);
    const left = await h.db.sql`select integration_type from public.sync_schedules where org_id = ${org}`;
    expect(left).toEqual([{ integration_type: 'dynamics' }]);
  });
});

describe('the overview in full', () => {
  it('connection, schedule, health, last run and open alerts of one integration', async () => {
    await send('/integrations/xledger/connection', {
      method: 'PUT',
      token: admin,
      body: { credentials: { apiToken: SECRETS.token } },
    });
    const run = await send('/runs', { method: 'POST', token: coordinator, body: { integrationType: 'xledger' } });
    await h.db.sql`
      insert into public.integration_health (org_id, integration_type, status, next_check_at)
      values (${org}, 'xledger', 'healthy', now() + interval '15 minutes')`;
    await h.db.sql`select public.record_sync_alert(${org}::uuid, 'stuck_run', 'xledger', null, '{}'::jsonb, null)`;
    const res = await send('/integrations', { token: coordinator });
    expect(res.body.integrations[0]).toMatchObject({
      integrationType: 'xledger',
      connection: { enabled: true },
      schedule: null,
      health: { status: 'healthy', integrationType: 'xledger' },
      lastRun: { id: run.body.run.id, status: 'pending' },
      openAlerts: 1,
    });
    // The same row reads the same in GET /health, to the character (the timestamps too).
    const health = await send('/health', { token: coordinator });
    expect(health.body.health).toEqual([res.body.integrations[0].health]);
  });
});

describe('credentials stay in Vault', () => {
  it('no response, log line or table of public holds any of them', async () => {
    const values = Object.values(SECRETS);
    const responses = JSON.stringify(answers.map((a) => a.body));
    const logs = h.logs.join('\n');
    for (const value of values) {
      expect(responses).not.toContain(value);
      expect(logs).not.toContain(value);
    }
    const tables = await h.db.sql<{ name: string }[]>`
      select format('%I.%I', table_schema, table_name) as name
      from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`;
    for (const { name } of tables) {
      const [hit] = await h.db.sql.unsafe(`select count(*)::int as count from ${name} t where t::text like any($1)`, [
        values.map((v) => `%${v}%`),
      ]);
      expect(hit?.count, name).toBe(0);
    }
    expect(tables.length).toBeGreaterThan(3);
  });
});
