// insert_run_log and update_run_log_status on the real database: initial row, the status machine for every role,
// error message rules, CHECK constraints, and concurrent starts.
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asRole, createTestDatabase, SERVICE, sqlstate, type TestDatabase } from '../helpers/db.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

async function start(orgId = randomUUID(), integration = 'xledger', triggeredBy = 'manual'): Promise<string> {
  const [row] = await asRole(
    db.sql,
    SERVICE,
    (tx) => tx`select public.insert_run_log(${orgId}, ${integration}, ${triggeredBy}) as id`,
  );
  return row?.id as string;
}

async function update(
  id: string,
  status: string,
  processed: number | null = 1,
  failed: number | null = 0,
  message: string | null = null,
) {
  const [row] = await asRole(
    db.sql,
    SERVICE,
    (tx) => tx`select * from public.update_run_log_status(${id}, ${status}, ${processed}, ${failed}, ${message})`,
  );
  return row as Record<string, unknown>;
}

async function rowOf(id: string) {
  const [row] = await db.sql`select * from public.sync_run_log where id = ${id}`;
  return row as Record<string, unknown>;
}

describe('insert_run_log', () => {
  it('creates a running row with zero counters, started_at and heartbeat set, ended_at null', async () => {
    const orgId = randomUUID();
    const id = await start(orgId, 'dynamics', 'manual');
    const row = await rowOf(id);
    expect(row).toMatchObject({
      org_id: orgId,
      integration_type: 'dynamics',
      status: 'running',
      records_processed: 0,
      records_failed: 0,
      error_message: null,
      triggered_by: 'manual',
      scheduled_for: null,
      idempotency_key: null,
      ended_at: null,
      duration_seconds: null,
    });
    expect(row.started_at).toBeInstanceOf(Date);
    expect(row.heartbeat_at).toEqual(row.started_at);
  });

  it('stores the period and key of a scheduler run, and refuses the key twice with the existing id in the detail', async () => {
    const orgId = randomUUID();
    const period = '2026-11-28T06:00:00.000Z';
    const [first] = await asRole(
      db.sql,
      SERVICE,
      (tx) => tx`select public.insert_run_log(${orgId}, 'bufdir', 'scheduler', ${period}, ${`bufdir:${period}`}) as id`,
    );
    await update(first?.id, 'completed');
    const error = await asRole(
      db.sql,
      SERVICE,
      (tx) => tx`select public.insert_run_log(${orgId}, 'bufdir', 'scheduler', ${period}, ${`bufdir:${period}`})`,
    ).catch((e) => e);
    expect(error.code).toBe('SR002');
    expect(error.detail).toBe(first?.id);
    expect((await rowOf(first?.id)).scheduled_for).toEqual(new Date(period));
  });

  it('refuses a second run of a period under any key, or none, hot or archived (SR002, the run in the detail)', async () => {
    const orgId = randomUUID();
    const period = '2026-11-28T07:00:00.000Z';
    const insert = (key: string | null, at = period) =>
      asRole(
        db.sql,
        SERVICE,
        (tx) => tx`select public.insert_run_log(${orgId}, 'bufdir', 'scheduler', ${at}, ${key}) as id`,
      );
    const [first] = await insert(`bufdir:${period}`);
    await update(first?.id, 'failed', 0, 0, 'Bufdir answered 503');
    for (const key of [null, 'bufdir:retry-of-07:00', `bufdir:${period}`]) {
      const error = await insert(key).catch((e) => e);
      expect(error.code, String(key)).toBe('SR002');
      expect(error.detail).toBe(first?.id);
    }
    // Archived: the row moves to the archive, and the period still has its run.
    await db.sql.begin(async (tx) => {
      await tx`insert into public.sync_run_log_archive select * from public.sync_run_log where id = ${first?.id}`;
      await tx`delete from public.sync_run_log where id = ${first?.id}`;
    });
    const archived = await insert(null).catch((e) => e);
    expect(archived.code).toBe('SR002');
    expect(archived.detail).toBe(first?.id);
    // Another period is free.
    const [next] = await insert(null, '2026-11-28T08:00:00.000Z');
    expect(next?.id).toEqual(expect.any(String));
    const count = await db.sql`select count(*)::int as n from public.sync_run_log where org_id = ${orgId}`;
    expect(count[0]?.n).toBe(1);
  });

  it('refuses bad input with SR005 and writes nothing', async () => {
    const orgId = randomUUID();
    const cases = [
      db.sql`select public.insert_run_log(null, 'xledger', 'manual')`,
      db.sql`select public.insert_run_log(${orgId}, 'Xledger', 'manual')`,
      db.sql`select public.insert_run_log(${orgId}, 'x', 'manual')`,
      db.sql`select public.insert_run_log(${orgId}, 'xledger', 'cron')`,
      db.sql`select public.insert_run_log(${orgId}, 'xledger', 'manual', now())`,
      db.sql`select public.insert_run_log(${orgId}, 'xledger', 'scheduler', now(), '')`,
      db.sql`select public.insert_run_log(${orgId}, 'xledger', 'scheduler', 'infinity', null)`,
      db.sql`select public.insert_run_log(${orgId}, 'xledger', 'scheduler', '-infinity', null)`,
    ];
    for (const query of cases) expect(await sqlstate(query)).toBe('SR005');
    const [{ count }] =
      (await db.sql`select count(*)::int as count from public.sync_run_log where org_id = ${orgId}`) as unknown as [
        { count: number },
      ];
    expect(count).toBe(0);
  });
});

describe('update_run_log_status: the status machine', () => {
  it('running -> running records progress and a newer heartbeat, keeps the run open', async () => {
    const id = await start();
    const before = await rowOf(id);
    const row = await update(id, 'running', 40, 2, null);
    expect(row).toMatchObject({ status: 'running', records_processed: 40, records_failed: 2, ended_at: null });
    expect((row.heartbeat_at as Date).getTime()).toBeGreaterThanOrEqual((before.heartbeat_at as Date).getTime());
  });

  for (const status of ['completed', 'failed', 'cancelled']) {
    it(`running -> ${status} sets ended_at and the duration, and the row is final`, async () => {
      const id = await start();
      const row = await update(id, status, 10, 1, status === 'failed' ? 'boom' : null);
      expect(row.status).toBe(status);
      expect(row.ended_at).toBeInstanceOf(Date);
      expect(Number(row.duration_seconds)).toBeGreaterThanOrEqual(0);
      for (const next of ['running', 'completed', 'failed', 'cancelled']) {
        expect(await sqlstate(update(id, next))).toBe('SR004');
      }
      expect((await rowOf(id)).status).toBe(status);
      expect((await rowOf(id)).records_processed).toBe(10);
    });
  }

  it('pending -> running and pending -> cancelled are allowed; pending -> completed is not', async () => {
    const orgId = randomUUID();
    const insertPending = async (integration: string) => {
      const [row] =
        await db.sql`insert into public.sync_run_log (org_id, integration_type, started_at, status, triggered_by)
        values (${orgId}, ${integration}, now(), 'pending', 'manual') returning id`;
      return row?.id as string;
    };
    expect((await update(await insertPending('aa'), 'running')).status).toBe('running');
    expect((await update(await insertPending('bb'), 'cancelled')).status).toBe('cancelled');
    const pending = await insertPending('cc');
    expect(await sqlstate(update(pending, 'completed'))).toBe('SR006');
    expect((await rowOf(pending)).status).toBe('pending');
  });

  it('tells "no such run" (SR003) from "no longer running" (SR004)', async () => {
    expect(await sqlstate(update(randomUUID(), 'completed'))).toBe('SR003');
    const id = await start();
    await update(id, 'completed');
    expect(await sqlstate(update(id, 'failed'))).toBe('SR004');
  });

  it('refuses an unknown status, pending as a target, and negative counters, changing nothing', async () => {
    const id = await start();
    const before = await rowOf(id);
    expect(await sqlstate(update(id, 'RUNNING'))).toBe('SR005');
    expect(await sqlstate(update(id, 'pending'))).toBe('SR005');
    expect(await sqlstate(update(id, 'running', -1, 0))).toBe('SR005');
    expect(await sqlstate(update(id, 'running', 0, -5))).toBe('SR005');
    expect(await rowOf(id)).toEqual(before);
  });

  it('keeps counters when they are passed as null', async () => {
    const id = await start();
    await update(id, 'running', 7, 3);
    expect(await update(id, 'cancelled', null, null)).toMatchObject({ records_processed: 7, records_failed: 3 });
  });

  it('a final row never changes again, not even by a direct UPDATE of the table owner or the service role', async () => {
    const id = await start();
    await update(id, 'completed', 5, 0);
    expect(
      await sqlstate(db.sql`update public.sync_run_log set status = 'running', ended_at = null where id = ${id}`),
    ).toBe('SR006');
    expect(await sqlstate(db.sql`update public.sync_run_log set records_processed = 99 where id = ${id}`)).toBe(
      'SR006',
    );
    expect(
      await sqlstate(
        asRole(db.sql, SERVICE, (tx) => tx`update public.sync_run_log set error_message = 'x' where id = ${id}`),
      ),
    ).toBe('SR006');
    expect(await rowOf(id)).toMatchObject({ status: 'completed', records_processed: 5, error_message: null });
  });

  it('never lets what a run is (org, integration, trigger, start) change', async () => {
    const id = await start();
    expect(await sqlstate(db.sql`update public.sync_run_log set org_id = gen_random_uuid() where id = ${id}`)).toBe(
      'SR006',
    );
    expect(await sqlstate(db.sql`update public.sync_run_log set integration_type = 'other' where id = ${id}`)).toBe(
      'SR006',
    );
  });
});

describe('update_run_log_status: error message', () => {
  it('a null message clears the previous error', async () => {
    const id = await start();
    expect((await update(id, 'running', 1, 1, 'page 3 failed')).error_message).toBe('page 3 failed');
    expect((await update(id, 'running', 2, 1, null)).error_message).toBeNull();
  });

  it('a 5,000-character message is stored as its first 2,000 characters', async () => {
    const id = await start();
    const message = 'é'.repeat(2500) + 'x'.repeat(2500);
    const row = await update(id, 'failed', 0, 0, message);
    expect(row.error_message).toBe('é'.repeat(2000));
    expect((row.error_message as string).length).toBe(2000);
  });
});

describe('CHECK constraints refuse bad values', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['status RUNNING', { status: 'RUNNING' }],
    ['triggered_by with an injection attempt', { triggered_by: "manual'; drop table x;--" }],
    ['negative records_processed', { records_processed: -1 }],
    ['negative records_failed', { records_failed: -3 }],
    ['integration_type with capitals', { integration_type: 'Xledger' }],
    ['integration_type with a dash', { integration_type: 'x-ledger' }],
    ['integration_type of one character', { integration_type: 'x' }],
    ['error_message over 2000 characters', { error_message: 'e'.repeat(2001) }],
    ['ended_at before started_at', { status: 'completed', ended_at: new Date('2000-01-01') }],
    ['a final status without ended_at', { status: 'completed' }],
    ['a manual run with a period', { scheduled_for: new Date() }],
  ];
  for (const [name, override] of cases) {
    it(`refuses ${name}`, async () => {
      const orgId = randomUUID();
      const row = {
        org_id: orgId,
        integration_type: 'xledger',
        started_at: new Date(),
        status: 'running',
        triggered_by: 'manual',
        ...override,
      };
      const code = await sqlstate(db.sql`insert into public.sync_run_log ${db.sql(row)}`);
      expect(code).toBe('23514');
      const [{ count }] =
        (await db.sql`select count(*)::int as count from public.sync_run_log where org_id = ${orgId}`) as unknown as [
          { count: number },
        ];
      expect(count).toBe(0);
    });
  }
  it('the table survived the injection attempt', async () => {
    const [row] = await db.sql`select to_regclass('public.sync_run_log') is not null as present`;
    expect(row?.present).toBe(true);
  });
});

describe('concurrency', () => {
  it('20 concurrent starts for one org and integration: exactly one succeeds, 19 get "already running"', async () => {
    const orgId = randomUUID();
    const clients = Array.from({ length: 20 }, () => postgres(db.url, { max: 1, onnotice: () => {} }));
    try {
      await Promise.all(clients.map((c) => c`select 1`)); // connect first, so the starts really overlap
      const results = await Promise.allSettled(
        clients.map((c) =>
          asRole(c, SERVICE, (tx) => tx`select public.insert_run_log(${orgId}, 'xledger', 'manual') as id`),
        ),
      );
      const ok = results.filter((r) => r.status === 'fulfilled');
      const codes = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code?: string }).code] : []));
      expect(ok).toHaveLength(1);
      expect(codes).toEqual(Array(19).fill('SR001'));
      const [{ count }] =
        (await db.sql`select count(*)::int as count from public.sync_run_log where org_id = ${orgId}`) as unknown as [
          { count: number },
        ];
      expect(count).toBe(1);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it('a second run may start once the first has ended', async () => {
    const orgId = randomUUID();
    const first = await start(orgId);
    expect(await sqlstate(start(orgId))).toBe('SR001');
    await update(first, 'completed');
    expect(await start(orgId)).toMatch(/^[0-9a-f-]{36}$/);
  });
});
