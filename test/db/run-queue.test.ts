// "Sync now" in the database: queue_manual_run queues a pending run only for an enabled connection with credentials,
// at most one queued-or-running run per (org, integration) (sync_run_log_one_active_idx) with the run in the way
// named in SR001's DETAIL, and claim_pending_runs hands each queued run to exactly one executor.
import { randomUUID } from 'node:crypto';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asRole, createTestDatabase, SERVICE, sqlstate, type TestDatabase } from '../helpers/db.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const asService = <T>(fn: (tx: Sql) => Promise<T>, sql: Sql = db.sql) => asRole(sql, SERVICE, fn);

async function connect(orgId: string, type = 'xledger', enabled = true, credentials: object | null = { t: 1 }) {
  await asService(
    (tx) => tx`select public.upsert_sync_connection(${orgId}, ${type}, '{}'::jsonb,
      ${credentials === null ? null : tx.json(credentials as never)}::jsonb, ${enabled})`,
  );
}

async function queue(orgId: string, type = 'xledger', sql: Sql = db.sql): Promise<Record<string, unknown>> {
  const [row] = await asService((tx) => tx`select * from public.queue_manual_run(${orgId}, ${type})`, sql);
  return row as Record<string, unknown>;
}

async function failure(promise: Promise<unknown>): Promise<{ code?: string; detail?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; detail?: string; message: string };
  }
  throw new Error('expected the call to fail');
}

async function setStatus(runId: string, status: string) {
  return asService((tx) => tx`select * from public.update_run_log_status(${runId}, ${status}, null, null, null)`);
}

describe('queue_manual_run', () => {
  it('queues a pending manual run: started_at now, no heartbeat, no period', async () => {
    const orgId = randomUUID();
    await connect(orgId);
    const run = await queue(orgId);
    expect(run).toMatchObject({
      org_id: orgId,
      integration_type: 'xledger',
      status: 'pending',
      triggered_by: 'manual',
      scheduled_for: null,
      idempotency_key: null,
      heartbeat_at: null,
      ended_at: null,
      records_processed: 0,
    });
    const [{ recent }] = (await db.sql`select started_at between clock_timestamp() - interval '1 minute'
      and clock_timestamp() as recent from public.sync_run_log where id = ${run.id as string}`) as unknown as [
      { recent: boolean },
    ];
    expect(recent).toBe(true);
  });

  it('is SR008 without a connection, with a disabled one, or with one that has no credentials', async () => {
    const none = randomUUID();
    expect((await failure(queue(none))).code).toBe('SR008');
    const disabled = randomUUID();
    await connect(disabled, 'xledger', false);
    expect((await failure(queue(disabled))).code).toBe('SR008');
    const noCredentials = randomUUID();
    await connect(noCredentials, 'xledger', true, null);
    expect((await failure(queue(noCredentials))).code).toBe('SR008');
    const queued =
      await db.sql`select 1 from public.sync_run_log where org_id in (${none}, ${disabled}, ${noCredentials})`;
    expect(queued).toHaveLength(0);
  });

  it('is SR005 for a malformed integration type or a missing org', async () => {
    expect((await failure(queue(randomUUID(), 'X-Ledger'))).code).toBe('SR005');
    expect((await failure(queue(null as unknown as string))).code).toBe('SR005');
  });

  it('20 concurrent calls: exactly one queues, nineteen get SR001 naming that run', async () => {
    const orgId = randomUUID();
    await connect(orgId);
    const clients = Array.from({ length: 20 }, () => postgres(db.url, { max: 1, onnotice: () => {} }));
    try {
      await Promise.all(clients.map((c) => c`select 1`)); // connected first, so the calls really overlap
      const results = await Promise.allSettled(clients.map((c) => queue(orgId, 'xledger', c)));
      const queued = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const refused = results.flatMap((r) =>
        r.status === 'rejected' ? [r.reason as { code?: string; detail?: string }] : [],
      );
      expect(queued).toHaveLength(1);
      expect(refused.map((e) => e.code)).toEqual(Array(19).fill('SR001'));
      expect(refused.map((e) => e.detail)).toEqual(Array(19).fill(queued[0]?.id));
      const rows = await db.sql`select id, status from public.sync_run_log where org_id = ${orgId}`;
      expect(rows).toEqual([{ id: queued[0]?.id, status: 'pending' }]);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it('other integrations and other orgs queue independently', async () => {
    const [orgA, orgB] = [randomUUID(), randomUUID()];
    for (const org of [orgA, orgB]) for (const type of ['xledger', 'bufdir']) await connect(org, type);
    const runs = [await queue(orgA), await queue(orgA, 'bufdir'), await queue(orgB), await queue(orgB, 'bufdir')];
    expect(new Set(runs.map((r) => r.id)).size).toBe(4);
  });

  it('a running run is in the way too, and once it has ended a new run queues', async () => {
    const orgId = randomUUID();
    await connect(orgId);
    const [{ id: running }] = (await asService(
      (tx) => tx`select public.insert_run_log(${orgId}, 'xledger', 'manual') as id`,
    )) as unknown as [{ id: string }];
    const refused = await failure(queue(orgId));
    expect(refused).toMatchObject({ code: 'SR001', detail: running });
    await setStatus(running, 'completed');
    expect((await queue(orgId)).status).toBe('pending');
  });
});

describe('the one-active-run index and insert_run_log', () => {
  it('a queued run keeps a service-role start and a scheduled period out, with SR001 naming it', async () => {
    const orgId = randomUUID();
    await connect(orgId);
    const queued = await queue(orgId);
    const manual = await failure(asService((tx) => tx`select public.insert_run_log(${orgId}, 'xledger', 'manual')`));
    expect(manual).toMatchObject({ code: 'SR001', detail: queued.id });
    const period = '2026-12-01T10:00:00.000Z';
    const scheduled = await failure(
      asService(
        (tx) => tx`select public.insert_run_log(${orgId}, 'xledger', 'scheduler', ${period}, ${`xledger:${period}`})`,
      ),
    );
    expect(scheduled).toMatchObject({ code: 'SR001', detail: queued.id });
  });

  it('replaced sync_run_log_one_running_idx: the new index covers pending and running', async () => {
    const indexes = await db.sql`select indexname, indexdef from pg_indexes
      where schemaname = 'public' and tablename = 'sync_run_log' and indexname like 'sync_run_log_one_%'`;
    expect(indexes.map((i) => i.indexname)).toEqual(['sync_run_log_one_active_idx']);
    expect(indexes[0]?.indexdef).toMatch(/UNIQUE INDEX .* \(org_id, integration_type\) WHERE .*pending.*running/);
  });

  it('two runs cannot be pending and running at once, whoever writes (the table owner included)', async () => {
    const orgId = randomUUID();
    await db.sql`insert into public.sync_run_log (org_id, integration_type, status, started_at, triggered_by)
      values (${orgId}, 'xledger', 'running', now(), 'manual')`;
    expect(
      await sqlstate(db.sql`insert into public.sync_run_log (org_id, integration_type, status, started_at, triggered_by)
        values (${orgId}, 'xledger', 'pending', now(), 'manual')`),
    ).toBe('23505');
  });

  it('the status machine: pending -> running -> completed, pending -> cancelled; pending -> completed is refused', async () => {
    const orgId = randomUUID();
    await connect(orgId);
    const first = (await queue(orgId)).id as string;
    expect((await failure(setStatus(first, 'completed'))).code).toBe('SR006');
    await setStatus(first, 'running');
    const [done] = await setStatus(first, 'completed');
    expect(done?.ended_at).toBeInstanceOf(Date);
    const second = (await queue(orgId)).id as string;
    const [cancelled] = await setStatus(second, 'cancelled');
    expect(cancelled).toMatchObject({ status: 'cancelled' });
    expect(cancelled?.ended_at).toBeInstanceOf(Date);
  });
});

describe('claim_pending_runs', () => {
  it('claims the oldest queued runs: running, heartbeat set, with the schedule run timeout (null without one)', async () => {
    await db.sql`update public.sync_run_log set status = 'cancelled', ended_at = now() where status = 'pending'`;
    const [orgA, orgB] = [randomUUID(), randomUUID()];
    await connect(orgA);
    await connect(orgB);
    await asService((tx) => tx`select public.upsert_sync_schedule(${orgA}, 'xledger', '0 * * * *', 'UTC', true, 600)`);
    const a = await queue(orgA);
    const b = await queue(orgB);
    const claimed = await asService(
      (tx) => tx`select (c.run).id, (c.run).status, (c.run).heartbeat_at, c.run_timeout_seconds
        from public.claim_pending_runs(10) c`,
    );
    expect(claimed.map((c) => [c.id, c.run_timeout_seconds])).toEqual([
      [a.id, 600],
      [b.id, null],
    ]);
    for (const run of claimed) {
      expect(run.status).toBe('running');
      expect(run.heartbeat_at).toBeInstanceOf(Date);
    }
    expect(await asService((tx) => tx`select * from public.claim_pending_runs(10)`)).toEqual([]);
  });

  it('a claim asked again with its id (its answer was lost) gets the runs it took, still running, and no more', async () => {
    await db.sql`update public.sync_run_log set status = 'cancelled', ended_at = now() where status = 'pending'`;
    const [orgA, orgB, orgC] = [randomUUID(), randomUUID(), randomUUID()];
    for (const org of [orgA, orgB, orgC]) await connect(org);
    const a = await queue(orgA);
    const b = await queue(orgB);
    const claimId = randomUUID();
    const claim = (id: string | null) =>
      asService((tx) => tx`select (c.run).id, (c.run).status from public.claim_pending_runs(10, ${id}) c`);
    expect((await claim(claimId)).map((c) => c.id)).toEqual([a.id, b.id]);
    const c = await queue(orgC); // queued after the claim: not this claim's
    await asService((tx) => tx`select public.update_run_log_status(${b.id as string}, 'completed', 1, 0, null)`);
    expect(await claim(claimId)).toEqual([{ id: a.id, status: 'running' }]); // b has ended since
    expect((await claim(randomUUID())).map((r) => r.id)).toEqual([c.id]); // another claim takes c
    expect(await claim(null)).toEqual([]);
  });

  it('skips runs another executor is claiming: a held claim and a second one never share a run', async () => {
    const orgs = Array.from({ length: 6 }, () => randomUUID());
    for (const org of orgs) {
      await connect(org);
      await queue(org);
    }
    const holder = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let first: string[] = [];
      let claimedFirst: () => void = () => {};
      const firstDone = new Promise<void>((resolve) => {
        claimedFirst = resolve;
      });
      const holding = holder.begin(async (tx) => {
        await tx`select set_config('role', 'service_role', true)`;
        first = (await tx`select (run).id from public.claim_pending_runs(3)`).map((r) => r.id as string);
        claimedFirst();
        await held; // the claim stays uncommitted, its rows locked
      });
      await firstDone;
      const second = (await asService((tx) => tx`select (run).id from public.claim_pending_runs(10)`)).map(
        (r) => r.id as string,
      );
      release();
      await holding;
      expect(first).toHaveLength(3);
      expect(second.filter((id) => first.includes(id))).toEqual([]);
      expect(new Set([...first, ...second]).size).toBe(6);
    } finally {
      await holder.end();
    }
  });

  it('four executors claiming at once claim every queued run exactly once', async () => {
    const orgs = Array.from({ length: 40 }, () => randomUUID());
    for (const org of orgs) {
      await connect(org);
      await queue(org);
    }
    const clients = Array.from({ length: 4 }, () => postgres(db.url, { max: 1, onnotice: () => {} }));
    try {
      const claimedBy = await Promise.all(
        clients.map(async (client) => {
          const ids: string[] = [];
          for (;;) {
            const rows = await asService((tx) => tx`select (run).id from public.claim_pending_runs(3)`, client);
            if (rows.length === 0) return ids;
            ids.push(...rows.map((r) => r.id as string));
          }
        }),
      );
      const all = claimedBy.flat();
      expect(all).toHaveLength(40);
      expect(new Set(all).size).toBe(40);
      const statuses = await db.sql`select distinct status from public.sync_run_log where org_id = any(${orgs})`;
      expect(statuses).toEqual([{ status: 'running' }]);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it('refuses a limit outside 1..1000 (SR005)', async () => {
    for (const limit of [0, 1001, null]) {
      expect(await sqlstate(asService((tx) => tx`select * from public.claim_pending_runs(${limit})`))).toBe('SR005');
    }
  });
});
