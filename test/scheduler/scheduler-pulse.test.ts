// A scheduler that stops ticking is told by the database itself: every tick stamps the pulse (get_schedules_for_tick),
// and check_scheduler_pulse, which pg_cron runs every 5 minutes (test/scheduler/pg-cron-tick.test.ts runs its job),
// records a scheduler_stalled alert per enabled schedule once the pulse is older than 5 minutes: once per schedule and
// outage, none for a disabled schedule or one created within the silence. Against the real database, the clock of
// the check injected (p_now), anchored to the database's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tick } from '../../supabase/functions/_shared/scheduler/tick.ts';
import {
  asAuthenticated,
  asRole,
  createTestDatabase,
  SERVICE,
  sqlstate,
  type TestDatabase,
  userClaims,
} from '../helpers/db.ts';
import { databaseNow, MINUTE, newOrg, plus, recordingLogger, repositories } from './helpers.ts';

let db: TestDatabase;
let repos: ReturnType<typeof repositories>;

beforeAll(async () => {
  db = await createTestDatabase();
  repos = repositories(db.sql);
});
afterAll(() => db.drop());

async function lastTick(): Promise<Date | null> {
  const [row] = await db.sql<{ last_tick_at: Date }[]>`select last_tick_at from sync_private.scheduler_pulse`;
  return row?.last_tick_at ?? null;
}

async function check(at: Date, silentSeconds = 300) {
  return asRole(
    db.sql,
    SERVICE,
    (tx) => tx<
      { id: string; org_id: string; kind: string; integration_type: string; details: Record<string, unknown> }[]
    >`
      select id, org_id, kind, integration_type, details from public.check_scheduler_pulse(${at}, ${silentSeconds})`,
  );
}

async function schedule(orgId: string, integrationType: string, options: { enabled?: boolean; activeFrom: Date }) {
  await repos.scheduler.upsertSchedule({
    orgId,
    integrationType,
    cronExpression: '0 3 * * *',
    timeZone: 'UTC',
    enabled: options.enabled ?? true,
    activeFrom: options.activeFrom,
  });
}

describe('the scheduler pulse', () => {
  it('is stamped by every tick, with the database clock', async () => {
    const before = await databaseNow(db.sql);
    await tick(before, { ...repos, log: recordingLogger() });
    const stamped = await lastTick();
    expect(stamped?.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(stamped?.getTime()).toBeLessThanOrEqual((await databaseNow(db.sql)).getTime());
  });

  it('silent over 5 minutes: a scheduler_stalled alert per enabled schedule, once per outage', async () => {
    const now = await databaseNow(db.sql);
    const org = newOrg();
    await schedule(org, 'xledger', { activeFrom: plus(now, -60 * MINUTE) });
    await schedule(org, 'bufdir', { activeFrom: plus(now, -60 * MINUTE) });
    await schedule(org, 'dynamics', { enabled: false, activeFrom: plus(now, -60 * MINUTE) });
    await tick(now, { ...repos, log: recordingLogger() });
    const ticked = (await lastTick()) as Date;

    // Within 5 minutes of the last tick: nothing.
    expect((await check(plus(ticked, 4 * MINUTE))).filter((a) => a.org_id === org)).toEqual([]);

    // Silent for 6 minutes: the enabled schedules, each once, naming the last tick.
    const at = plus(ticked, 6 * MINUTE);
    const stalled = (await check(at)).filter((a) => a.org_id === org);
    expect(stalled.map((a) => a.integration_type).sort()).toEqual(['bufdir', 'xledger']);
    for (const alert of stalled) {
      expect(alert.kind).toBe('scheduler_stalled');
      expect(new Date(alert.details.last_tick_at as string).getTime()).toBe(ticked.getTime());
      expect(alert.details.silent_seconds).toBe(300);
    }
    // The next checks of the same outage add nothing.
    expect((await check(plus(at, 5 * MINUTE))).filter((a) => a.org_id === org)).toEqual([]);

    // The scheduler comes back, then stops again: a new outage, new alerts.
    await tick(await databaseNow(db.sql), { ...repos, log: recordingLogger() });
    const again = (await check(plus((await lastTick()) as Date, 6 * MINUTE))).filter((a) => a.org_id === org);
    expect(again.map((a) => a.integration_type).sort()).toEqual(['bufdir', 'xledger']);
    const [count] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from public.sync_alerts where org_id = ${org} and kind = 'scheduler_stalled'`;
    expect(count?.n).toBe(4);
  });

  it('leaves out a schedule created within the silence: nothing was due for it yet', async () => {
    await tick(await databaseNow(db.sql), { ...repos, log: recordingLogger() });
    const ticked = (await lastTick()) as Date;
    const org = newOrg();
    await schedule(org, 'xledger', { activeFrom: plus(ticked, 2 * MINUTE) });
    expect((await check(plus(ticked, 6 * MINUTE))).filter((a) => a.org_id === org)).toEqual([]);
    expect((await check(plus(ticked, 8 * MINUTE))).filter((a) => a.org_id === org)).toHaveLength(1);
  });

  it('refuses a silence outside 60..86400 seconds, and is not for users: they may neither check nor read the pulse', async () => {
    const now = await databaseNow(db.sql);
    await expect(check(now, 59)).rejects.toMatchObject({ code: 'SR005' });
    await expect(check(now, 86_401)).rejects.toMatchObject({ code: 'SR005' });
    const admin = userClaims(newOrg(), 'admin');
    expect(await sqlstate(asAuthenticated(db.sql, admin, (tx) => tx`select public.check_scheduler_pulse()`))).toBe(
      '42501',
    );
    expect(
      await sqlstate(asAuthenticated(db.sql, admin, (tx) => tx`select last_tick_at from sync_private.scheduler_pulse`)),
    ).toBe('42501');
  });
});
