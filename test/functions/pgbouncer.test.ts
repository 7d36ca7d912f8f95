// The Edge Functions under real Deno through PgBouncer in transaction mode, as hosted functions reach Supavisor's
// port 6543 with SYNC_DB_URL: 20 orgs' users at once, reads and writes mixed, over two server connections. Every
// response holds only its own org's runs, and afterwards no server connection keeps a role or claims. The last test
// shows that the check can see a leak: a session-level set_config through PgBouncer reaches the next client.
// Skipped (with the reason) where pgbouncer is not installed, except under CI, where it must run: .ci/run installs it.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FunctionsHost, startFunctionsHost } from '../../src/local/functions-host.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { freePort } from '../helpers/free-port.ts';
import { type PgBouncer, pgBouncerUnavailableReason, startPgBouncer } from '../helpers/pgbouncer.ts';
import { type CallResult, call, newOrg, serviceToken, userToken } from './harness.ts';
import { LOCAL_CREDENTIALS } from './sync-run-log.setup.ts';

const unavailable = pgBouncerUnavailableReason();
const inCi = Boolean(process.env.CI);
const POOL_SIZE = 2;
const ORGS = 20;
const ROUNDS = 3;
const INTEGRATIONS = ['xledger', 'dynamics', 'bufdir'];
const quiet = { onnotice: () => {} };

if (unavailable && !inCi) {
  console.warn(`PgBouncer tests skipped: ${unavailable}`);
}

it.runIf(unavailable !== null && inCi)('pgbouncer is installed (required under CI: .ci/run installs it)', () => {
  throw new Error(`CI must run the PgBouncer tests, but ${unavailable}`);
});

interface ServerSession {
  pid: number;
  user: string;
  role: string;
  claims: string | null;
}

/**
 * What every server connection of the pool holds: one transaction per connection, each kept open until all have
 * read, so the pooler must lend each of them to one of these clients.
 */
async function eachServerConnection(url: string): Promise<ServerSession[]> {
  const clients = Array.from({ length: POOL_SIZE }, () => postgres(url, { max: 1, prepare: false, ...quiet }));
  let allInside: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    allInside = resolve;
  });
  let inside = 0;
  try {
    return await Promise.all(
      clients.map(
        (sql) =>
          sql.begin(async (tx) => {
            const [row] = await tx<ServerSession[]>`
              select pg_backend_pid() as pid, current_user as "user", current_setting('role') as role,
                current_setting('request.jwt.claims', true) as claims`;
            inside += 1;
            if (inside === POOL_SIZE) allInside();
            await gate;
            return row;
          }) as Promise<ServerSession>,
      ),
    );
  } finally {
    await Promise.all(clients.map((sql) => sql.end({ timeout: 5 })));
  }
}

describe.skipIf(unavailable !== null)(
  `the functions through PgBouncer in transaction mode${unavailable ? ` (${unavailable})` : ''}`,
  () => {
    let db: TestDatabase;
    let bouncer: PgBouncer;
    let host: FunctionsHost;
    let through: string;
    const logs: string[] = [];
    const u = (path: string) => `${host.url}/sync-run-log${path}`;

    beforeAll(async () => {
      db = await createTestDatabase();
      bouncer = await startPgBouncer(inject('serverUrl'), { poolSize: POOL_SIZE });
      through = bouncer.url(db.name);
      host = await startFunctionsHost({
        databaseUrl: db.url, // DATABASE_URL, direct: SYNC_DB_URL must win over it
        port: await freePort(),
        log: (line) => logs.push(line),
        // Not port 6543, so the switch says it is a transaction pooler.
        env: { SYNC_DB_URL: through, DB_TRANSACTION_POOLER: 'on', DB_POOL_MAX: '3' },
      });
    }, 180_000);

    afterAll(async () => {
      await host?.stop();
      await bouncer?.stop();
      await db?.drop();
    });

    /** show stats / show servers of PgBouncer's admin console, for this test's database. */
    async function admin(command: 'show stats' | 'show servers'): Promise<Record<string, string>[]> {
      const adminSql = postgres(bouncer.adminUrl, { max: 1, fetch_types: false, ...quiet });
      try {
        const rows = (await adminSql.unsafe(command)) as unknown as Record<string, string>[];
        return rows.filter((row) => row.database === db.name);
      } finally {
        await adminSql.end();
      }
    }

    it('20 orgs at once, reads and writes mixed: every response holds only its own org', async () => {
      const orgs = Array.from({ length: ORGS }, () => newOrg());
      const tokens = new Map(await Promise.all(orgs.map(async (org) => [org, await userToken(org)] as const)));
      // Sync now needs an enabled connection: the service role gives every org one per integration.
      const service = await serviceToken();
      for (const org of orgs) {
        for (const [type, credentials] of Object.entries(LOCAL_CREDENTIALS)) {
          const res = await call(u(`/integrations/${type}/connection?orgId=${org}`), {
            method: 'PUT',
            token: service,
            body: { credentials },
          });
          expect(res.status, JSON.stringify(res.body)).toBe(200);
        }
      }
      const created = new Map(orgs.map((org) => [org, new Set<string>()]));
      // Every run id a response named to the org: runs, a run, or the running run of an already_running.
      const named = new Map(orgs.map((org) => [org, new Set<string>()]));
      let requests = 0;

      const check = (org: string, res: CallResult, what: string, allowed: number[]) => {
        requests += 1;
        expect(allowed, `${what}: ${res.status} ${JSON.stringify(res.body)}`).toContain(res.status);
        const runs: { id: string; orgId: string }[] = res.body?.runs ?? (res.body?.run ? [res.body.run] : []);
        for (const run of runs) {
          expect(run.orgId, `${what} answered org ${org} with a run of ${run.orgId}`).toBe(org);
          named.get(org)?.add(run.id);
        }
        const existing = res.body?.error?.details?.existingRunId;
        if (typeof existing === 'string') named.get(org)?.add(existing);
      };

      const round = async (org: string) => {
        const token = tokens.get(org) as string;
        const known = [...(created.get(org) ?? [])];
        await Promise.all([
          ...INTEGRATIONS.map(async (integrationType) => {
            const res = await call(u('/runs'), { method: 'POST', token, body: { integrationType } });
            check(org, res, `POST /runs ${integrationType}`, [201, 409]);
            if (res.status === 201) created.get(org)?.add(res.body.run.id);
          }),
          ...[1, 2, 3].map(async () => check(org, await call(u('/runs/latest'), { token }), 'GET /runs/latest', [200])),
          ...INTEGRATIONS.map(async (type) =>
            check(org, await call(u(`/runs?integrationType=${type}&limit=50`), { token }), `GET /runs ${type}`, [200]),
          ),
          ...known.map(async (id) => check(org, await call(u(`/runs/${id}`), { token }), `GET /runs/${id}`, [200])),
          ...known.map(async (id) => {
            const res = await call(u(`/runs/${id}`), { method: 'PATCH', token, body: { status: 'cancelled' } });
            check(org, res, `PATCH /runs/${id}`, [200, 409]);
          }),
        ]);
      };
      for (let i = 0; i < ROUNDS; i += 1) await Promise.all(orgs.map(round));

      // The database's own record: every run named to an org is that org's, and each org has exactly the runs
      // its POSTs created (at least one per integration).
      const rows = await db.sql<{ id: string; org_id: string }[]>`select id, org_id from public.sync_run_log`;
      const owner = new Map(rows.map((row) => [row.id, row.org_id]));
      for (const org of orgs) {
        for (const id of named.get(org) ?? []) expect(owner.get(id), `run ${id} named to org ${org}`).toBe(org);
        const own = rows.filter((row) => row.org_id === org).map((row) => row.id);
        expect(own.sort()).toEqual([...(created.get(org) ?? [])].sort());
        expect(own.length).toBeGreaterThanOrEqual(INTEGRATIONS.length);
      }
      expect(requests).toBeGreaterThan(ORGS * 9 * ROUNDS);
      const cancelled = await db.sql`select distinct org_id from public.sync_run_log where status = 'cancelled'`;
      expect(cancelled).toHaveLength(ORGS); // each org's second round cancelled its first round's runs

      // And it all went through PgBouncer's two server connections: at least one transaction per request.
      const [stats] = await admin('show stats');
      expect(stats, 'PgBouncer carried no transaction of the functions').toBeDefined();
      expect(Number(stats?.total_xact_count)).toBeGreaterThanOrEqual(requests);
      expect((await admin('show servers')).length).toBe(POOL_SIZE);
      expect(logs.filter((line) => line.includes('"level":"error"'))).toEqual([]);
    }, 180_000);

    it('afterwards no server connection keeps a role or claims: each is the login user, with no claims', async () => {
      const sessions = await eachServerConnection(through);
      const servers = await admin('show servers');
      expect(sessions.map((s) => Number(s.pid)).sort()).toEqual(servers.map((s) => Number(s.remote_pid)).sort());
      for (const session of sessions) {
        expect({ user: session.user, role: session.role, claims: session.claims ?? '' }).toEqual({
          user: 'postgres',
          role: 'none',
          claims: '',
        });
      }
    });

    it('the check sees a leak: a session-level set_config reaches the next client of that server connection', async () => {
      const org = newOrg();
      const claims = JSON.stringify({ role: 'authenticated', org_id: org });
      const careless = postgres(through, { max: 1, prepare: false, ...quiet });
      try {
        // Transaction-local, as the adapter does it: nothing is left behind.
        await careless.unsafe(
          `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '${claims}', true); select 1`,
        );
        expect((await eachServerConnection(through)).filter((s) => s.claims || s.role !== 'none')).toEqual([]);
        // Session-level: the settings outlive the transaction, and PgBouncer lends the connection on as it is.
        await careless.unsafe(
          `select set_config('role', 'authenticated', false), set_config('request.jwt.claims', '${claims}', false)`,
        );
      } finally {
        await careless.end();
      }
      const leaked = (await eachServerConnection(through)).filter((s) => s.claims);
      expect(leaked).toEqual([{ pid: expect.any(Number), user: 'authenticated', role: 'authenticated', claims }]);
      await db.sql`select pg_terminate_backend(${leaked[0]?.pid ?? 0})`; // no later client gets it
    });
  },
);
