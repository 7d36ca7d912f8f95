// The archive is read under the same rules as the hot table (the org's coordinators and admins), and nobody but
// the service role writes it or runs the archival.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asAuthenticated,
  asRole,
  createTestDatabase,
  SERVICE,
  sqlstate,
  type TestDatabase,
  userClaims,
} from '../helpers/db.ts';
import { ORG_A, ORG_B, seedSeries } from './seed.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await seedSeries(db.sql, ORG_A, 'xledger', 4, 200); // 3 archived, 1 stays
  await seedSeries(db.sql, ORG_B, 'xledger', 6, 200); // 5 archived, 1 stays
  await asRole(db.sql, SERVICE, (tx) => tx`select public.archive_run_log()`);
});
afterAll(async () => {
  await db.drop();
});

describe('reading the archive', () => {
  for (const role of ['coordinator', 'admin']) {
    it(`a ${role} of org A sees org A's archived runs and none of org B's`, async () => {
      const rows = await asAuthenticated(
        db.sql,
        userClaims(ORG_A, role),
        (tx) => tx`select org_id from public.sync_run_log_archive`,
      );
      expect(rows).toHaveLength(3);
      expect(rows.every((r) => r.org_id === ORG_A)).toBe(true);
      const other = await asAuthenticated(
        db.sql,
        userClaims(ORG_A, role),
        (tx) => tx`select 1 from public.sync_run_log_archive where org_id = ${ORG_B}`,
      );
      expect(other).toHaveLength(0);
    });
  }

  it('org B sees its own five, a member role sees nothing, a malformed or missing org claim sees nothing', async () => {
    const count = (claims: Record<string, unknown>) =>
      asAuthenticated(db.sql, claims, (tx) => tx`select count(*)::int as n from public.sync_run_log_archive`).then(
        (r) => r[0]?.n,
      );
    expect(await count(userClaims(ORG_B))).toBe(5);
    expect(await count(userClaims(ORG_A, 'member'))).toBe(0);
    expect(await count(userClaims('not-a-uuid'))).toBe(0);
    expect(await count({ role: 'authenticated', user_role: 'admin' })).toBe(0);
  });

  it("get_run finds an archived run for its org's staff, by the id alerts and the ledger keep; not for another org", async () => {
    const [archived] = await db.sql<{ id: string }[]>`
      select id from public.sync_run_log_archive where org_id = ${ORG_A} limit 1`;
    const getRun = (claims: Record<string, unknown>, id = archived?.id as string) =>
      asAuthenticated(db.sql, claims, (tx) => tx`select id, org_id, status from public.get_run(${id})`);
    expect(await getRun(userClaims(ORG_A))).toEqual([{ id: archived?.id, org_id: ORG_A, status: 'completed' }]);
    expect(await getRun(userClaims(ORG_B))).toEqual([]);
    const [hot] = await db.sql<{ id: string }[]>`select id from public.sync_run_log where org_id = ${ORG_A}`;
    expect(await getRun(userClaims(ORG_A), hot?.id)).toEqual([{ id: hot?.id, org_id: ORG_A, status: 'completed' }]);
  });

  it('an idempotency key stays used once its run is archived (SR002 with the archived id)', async () => {
    const [kept] = await db.sql<{ id: string }[]>`
      update public.sync_run_log_archive set idempotency_key = 'client-key-1'
      where id = (select id from public.sync_run_log_archive where org_id = ${ORG_B} limit 1)
      returning id`;
    const error = await asRole(
      db.sql,
      SERVICE,
      (tx) => tx`select public.insert_run_log(${ORG_B}, 'bufdir', 'manual', null, 'client-key-1')`,
    ).catch((e) => e);
    expect(error.code).toBe('SR002');
    expect(error.detail).toBe(kept?.id);
    // Another org's key of the same text is its own.
    const otherOrg = randomUUID();
    const [other] = await asRole(
      db.sql,
      SERVICE,
      (tx) => tx`select public.insert_run_log(${otherOrg}, 'bufdir', 'manual', null, 'client-key-1') as id`,
    );
    expect(other?.id).toEqual(expect.any(String));
    await db.sql`delete from public.sync_run_log where org_id = ${otherOrg}`;
  });

  it("a new run may not take an archived run's id, nor a hot run's (SR005): get_run would show it in its place", async () => {
    const [archived] = await db.sql<{ id: string }[]>`
      select id from public.sync_run_log_archive where org_id = ${ORG_A} limit 1`;
    const [hot] = await db.sql<{ id: string }[]>`select id from public.sync_run_log where org_id = ${ORG_A}`;
    for (const [id, says] of [
      [archived?.id, /taken by an archived run/],
      [hot?.id, /taken by another run/],
    ] as const) {
      const error = await asRole(
        db.sql,
        SERVICE,
        (tx) => tx`select public.insert_run_log(${ORG_A}, 'dynamics', 'manual', null, null, ${id as string})`,
      ).catch((e) => e);
      expect(error.code).toBe('SR005');
      expect(error.message).toMatch(says);
    }
    expect(
      await db.sql`select 1 from public.sync_run_log where org_id = ${ORG_A} and integration_type = 'dynamics'`,
    ).toEqual([]);
  });

  it('anon has no access at all', async () => {
    expect(
      await sqlstate(
        asRole(
          db.sql,
          { role: 'anon', claims: { role: 'anon' } },
          (tx) => tx`select * from public.sync_run_log_archive`,
        ),
      ),
    ).toBe('42501');
  });
});

describe('writing the archive and running the archival', () => {
  const admin = () => userClaims(ORG_A, 'admin');

  it('an authenticated admin cannot insert, update or delete archived runs', async () => {
    expect(
      await sqlstate(
        asAuthenticated(
          db.sql,
          admin(),
          (
            tx,
          ) => tx`insert into public.sync_run_log_archive (id, org_id, integration_type, started_at, status, triggered_by)
                     values (gen_random_uuid(), ${ORG_A}, 'xledger', now(), 'completed', 'manual')`,
        ),
      ),
    ).toBe('42501');
    expect(
      await sqlstate(
        asAuthenticated(db.sql, admin(), (tx) => tx`update public.sync_run_log_archive set records_failed = 1`),
      ),
    ).toBe('42501');
    expect(await sqlstate(asAuthenticated(db.sql, admin(), (tx) => tx`delete from public.sync_run_log_archive`))).toBe(
      '42501',
    );
  });

  for (const role of ['authenticated', 'anon'] as const) {
    it(`${role} cannot run the archival or read its status`, async () => {
      const context = { role, claims: role === 'anon' ? { role } : admin() };
      for (const call of [
        (tx: typeof db.sql) => tx`select public.archive_run_log()`,
        (tx: typeof db.sql) => tx`select public.archive_run_log_batch('90 days', 10)`,
        (tx: typeof db.sql) => tx`select public.start_run_log_archival('manual', '90 days', 10)`,
        (tx: typeof db.sql) => tx`select * from public.get_run_log_archival_status()`,
        (tx: typeof db.sql) => tx`select * from sync_private.run_log_archival`,
        (tx: typeof db.sql) => tx`select sync_private.archive_run_log_job_command()`,
      ]) {
        expect(await sqlstate(asRole(db.sql, context, call))).toBe('42501');
      }
      // The pg_cron job's do block, run as this role the way pg_cron runs it (a statement of its own).
      const [job] = await db.sql<{ command: string }[]>`
        select sync_private.archive_run_log_job_command('90 days', 10, 'manual') as command`;
      const conn = await db.sql.reserve();
      try {
        await conn.unsafe(`set role ${role}`);
        expect(await sqlstate(conn.unsafe(job?.command as string))).toBe('42501');
      } finally {
        await conn`reset role`;
        conn.release();
      }
      const [passes] = await db.sql`select count(*)::int as n from sync_private.run_log_archival`;
      expect(passes?.n).toBe(1); // the service role's pass of beforeAll, and no other
    });
  }

  it('nothing moved: the hot table still has the newest run of each org', async () => {
    const rows =
      await db.sql`select org_id, count(*)::int as n from public.sync_run_log group by org_id order by org_id`;
    expect(rows.map((r) => [r.org_id, r.n])).toEqual([
      [ORG_A, 1],
      [ORG_B, 1],
    ]);
  });
});
