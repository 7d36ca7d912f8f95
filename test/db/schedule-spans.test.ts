// A schedule's history (sync_schedule_spans, migration 20261202012000): each stretch in which it was enabled with one
// expression and zone, kept by a trigger on sync_schedules, read under the schedules' rules; and the period ledger
// that reads it, which keeps a missed period missed when the schedule is changed, disabled or enabled again.
import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrationsRepository } from '../../supabase/functions/_shared/integrations.repository.ts';
import { SchedulerRepository } from '../../supabase/functions/_shared/scheduler/scheduler.repository.ts';
import { tick } from '../../supabase/functions/_shared/scheduler/tick.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import {
  asAuthenticated,
  asRole,
  createTestDatabase,
  SERVICE,
  sqlstate,
  type TestDatabase,
  userClaims,
} from '../helpers/db.ts';
import { repositories } from '../scheduler/helpers.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const asService = <T>(fn: (tx: Sql) => Promise<T>) => asRole(db.sql, SERVICE, fn);
const HOUR = 3_600_000;

async function spans(org: string) {
  const rows = await db.sql<{ cron: string; zone: string; from: Date; until: Date | null }[]>`
    select cron_expression as cron, time_zone as zone, active_from as from, active_until as until
    from public.sync_schedule_spans where org_id = ${org} order by active_from`;
  return rows.map((r) => [r.cron, r.zone, r.from.toISOString(), r.until?.toISOString() ?? null]);
}

describe('the spans', () => {
  it('open with the schedule, close and open again on a change, close when it is disabled or deleted', async () => {
    const org = randomUUID();
    const upsert = (cron: string, zone: string, enabled: boolean, activeFrom: string | null = null) =>
      asService(
        (tx) => tx`select public.upsert_sync_schedule(${org}, 'xledger', ${cron}, ${zone}, ${enabled}, 1800,
        ${activeFrom})`,
      );
    await upsert('0 * * * *', 'UTC', true, '2026-11-01T00:00:00Z');
    expect(await spans(org)).toEqual([['0 * * * *', 'UTC', '2026-11-01T00:00:00.000Z', null]]);

    const [{ now } = { now: new Date() }] = await db.sql<{ now: Date }[]>`select now() as now`;
    await upsert('0 * * * *', 'UTC', true); // the same: no new span
    await asService((tx) => tx`select public.upsert_sync_schedule(${org}, 'xledger', '0 * * * *', 'UTC', true, 600)`);
    await db.sql`update public.sync_schedules set last_scheduled_for = '2026-11-02T00:00:00Z' where org_id = ${org}`;
    expect(await spans(org)).toHaveLength(1);

    await upsert('*/30 * * * *', 'Europe/Oslo', true); // a change: from now (each statement its own now)
    const changed = await spans(org);
    expect(changed).toHaveLength(2);
    expect(changed[0]?.[3]).toBe(changed[1]?.[2]); // the old span ends where the new one begins
    expect(Date.parse(changed[1]?.[2] as string)).toBeGreaterThanOrEqual(now.getTime());
    expect(changed[1]).toEqual(['*/30 * * * *', 'Europe/Oslo', changed[1]?.[2], null]);

    await asService((tx) => tx`select public.set_sync_schedule_enabled(${org}, 'xledger', false)`);
    expect((await spans(org)).filter((s) => s[3] === null)).toEqual([]);
    await asService((tx) => tx`select public.set_sync_schedule_enabled(${org}, 'xledger', true)`);
    expect(await spans(org)).toHaveLength(3);
    await asService((tx) => tx`select public.delete_sync_schedule(${org}, 'xledger')`);
    const kept = await spans(org);
    expect(kept).toHaveLength(3); // the history stays with the runs
    expect(kept.every((s) => s[3] !== null)).toBe(true);
  });

  it('an active_from set in the past rewrites the history from then on: spans never overlap', async () => {
    const org = randomUUID();
    const upsert = (cron: string, activeFrom: string) =>
      asService(
        (tx) => tx`select public.upsert_sync_schedule(${org}, 'xledger', ${cron}, 'UTC', true, 1800, ${activeFrom})`,
      );
    await upsert('0 * * * *', '2026-11-01T00:00:00Z');
    await upsert('*/15 * * * *', '2026-11-10T00:00:00Z');
    await upsert('*/5 * * * *', '2026-11-05T00:00:00Z');
    expect(await spans(org)).toEqual([
      ['0 * * * *', 'UTC', '2026-11-01T00:00:00.000Z', '2026-11-05T00:00:00.000Z'],
      ['*/5 * * * *', 'UTC', '2026-11-05T00:00:00.000Z', null],
    ]);
  });

  it("are read by the org's coordinators and admins only, and written by nobody but the trigger", async () => {
    const org = randomUUID();
    await asService((tx) => tx`select public.upsert_sync_schedule(${org}, 'bufdir', '0 3 * * *', 'UTC', true, 1800)`);
    const read = (claims: Record<string, unknown>) =>
      asAuthenticated(db.sql, claims, (tx) => tx`select org_id from public.sync_schedule_spans where org_id = ${org}`);
    expect(await read(userClaims(org, 'coordinator'))).toHaveLength(1);
    expect(await read(userClaims(org, 'admin'))).toHaveLength(1);
    expect(await read(userClaims(org, 'member'))).toHaveLength(0);
    expect(await read(userClaims(randomUUID(), 'admin'))).toHaveLength(0);
    for (const role of [userClaims(org, 'admin'), SERVICE.claims]) {
      const write = asAuthenticated(
        db.sql,
        role,
        (tx) => tx`delete from public.sync_schedule_spans where org_id = ${org}`,
      );
      expect(await sqlstate(write)).toBe('42501');
    }
    expect(await sqlstate(asService((tx) => tx`update public.sync_schedule_spans set active_until = now()`))).toBe(
      '42501',
    );
  });
});

describe('the ledger keeps what was missed', () => {
  /** A schedule of a new org active from `hours` ago, hourly in UTC, with a run of every period but `skip`. */
  async function hourlyWithAGap(hours: number, skip: number) {
    const org = randomUUID();
    const [{ now } = { now: new Date() }] = await db.sql<{ now: Date }[]>`select now() as now`;
    const first = new Date(Math.floor(now.getTime() / HOUR) * HOUR - hours * HOUR);
    await asService(
      (tx) => tx`select public.upsert_sync_schedule(${org}, 'xledger', '0 * * * *', 'UTC', true, 1800,
      ${first})`,
    );
    for (let h = 0; h < hours; h++) {
      if (h === skip) continue;
      const at = new Date(first.getTime() + h * HOUR);
      await db.sql`insert into public.sync_run_log (org_id, integration_type, status, started_at, ended_at,
          triggered_by, scheduled_for, idempotency_key, records_processed, records_failed)
        values (${org}, 'xledger', 'completed', ${at}, ${new Date(at.getTime() + 60_000)}, 'scheduler', ${at},
          ${`xledger:${at.toISOString()}`}, 1, 0)`;
    }
    const ledger = async () => {
      const repo = new IntegrationsRepository(createSqlRpc(db.sql, { role: 'authenticated', claims: userClaims(org) }));
      const found = await repo.getPeriodLedger(org, 'xledger', first, new Date(first.getTime() + hours * HOUR), {
        now: new Date(first.getTime() + hours * HOUR + 10 * 60_000),
      });
      return found?.periods.map((p) => p.outcome) ?? null;
    };
    return { org, first, ledger };
  }

  const missedAt = (outcomes: string[] | null, skip: number, hours: number) => {
    const expected = Array.from({ length: hours }, (_, h) => (h === skip ? 'missed' : 'completed'));
    expect(outcomes).toEqual(expected);
  };

  it('after the schedule is disabled, and after it is enabled again', async () => {
    const { org, ledger } = await hourlyWithAGap(6, 2);
    missedAt(await ledger(), 2, 6);
    await asService((tx) => tx`select public.set_sync_schedule_enabled(${org}, 'xledger', false)`);
    missedAt(await ledger(), 2, 6);
    await asService((tx) => tx`select public.set_sync_schedule_enabled(${org}, 'xledger', true)`);
    missedAt(await ledger(), 2, 6);
  });

  it('after its expression or time zone changed', async () => {
    const { org, ledger } = await hourlyWithAGap(6, 3);
    await asService((tx) => tx`select public.upsert_sync_schedule(${org}, 'xledger', '*/20 * * * *', 'Europe/Oslo')`);
    missedAt(await ledger(), 3, 6); // before the change: the hourly periods it had due
  });

  it('a period due but waiting behind a running run when the schedule changed is missed, not gone', async () => {
    const org = randomUUID();
    const repos = repositories(db.sql);
    const [{ now } = { now: new Date() }] = await db.sql<{ now: Date }[]>`select now() as now`;
    const hour = new Date(Math.floor(now.getTime() / HOUR) * HOUR);
    await new SchedulerRepository(createSqlRpc(db.sql, SERVICE)).upsertSchedule({
      orgId: org,
      integrationType: 'dynamics',
      cronExpression: '0 * * * *',
      timeZone: 'UTC',
      activeFrom: new Date(hour.getTime() - 1),
    });
    const manual = await repos.runLog.insertRunLog(org, 'dynamics', 'manual');
    const report = await tick(new Date(hour.getTime() + 10_000), repos);
    expect(report.skipped.filter((s) => s.orgId === org).map((s) => s.reason)).toEqual(['already_running']);
    await asService((tx) => tx`select public.upsert_sync_schedule(${org}, 'dynamics', '0 * * * *', 'Europe/Oslo')`);
    await repos.runLog.updateRunLogStatus(manual, 'completed', 1, 0, null);

    const repo = new IntegrationsRepository(createSqlRpc(db.sql, { role: 'authenticated', claims: userClaims(org) }));
    const found = await repo.getPeriodLedger(
      org,
      'dynamics',
      new Date(hour.getTime() - HOUR),
      new Date(hour.getTime() + 1),
      {
        now: new Date(hour.getTime() + 20 * 60_000),
      },
    );
    expect(found?.periods.map((p) => [p.scheduledFor, p.outcome])).toEqual([[hour.toISOString(), 'missed']]);
  });
});
