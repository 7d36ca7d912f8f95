// Schedules and alerts in the database: bad configuration is refused with a clear error and nothing is written
// (by the TypeScript layer with croner, and by PostgreSQL as the last line); writes are the service role's only;
// coordinators and admins read their own org's schedules and alerts, nobody else's.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, ROLLBACKS_DIR } from '../../src/local/migrate.ts';
import { SchedulerRepository } from '../../supabase/functions/_shared/scheduler/scheduler.repository.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import { asAuthenticated, createTestDatabase, type TestDatabase, userClaims } from '../helpers/db.ts';
import { newOrg, repositories } from './helpers.ts';

let db: TestDatabase;
let repos: ReturnType<typeof repositories>;

beforeAll(async () => {
  db = await createTestDatabase();
  repos = repositories(db.sql);
});
afterAll(() => db.drop());

const count = async (orgId: string) =>
  Number((await db.sql`select count(*)::int as n from public.sync_schedules where org_id = ${orgId}`)[0]?.n);

describe('schedule configuration', () => {
  it('is written with its defaults: Europe/Oslo, enabled, 30-minute run timeout', async () => {
    const org = newOrg();
    const schedule = await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'xledger',
      cronExpression: '0 2 * * *',
    });
    expect(schedule).toMatchObject({
      orgId: org,
      timeZone: 'Europe/Oslo',
      enabled: true,
      runTimeoutSeconds: 1800,
      lastScheduledFor: null,
    });
    const replaced = await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'xledger',
      cronExpression: '30 6 * * MON-FRI',
      timeZone: 'UTC',
    });
    expect(replaced).toMatchObject({ id: schedule.id, cronExpression: '30 6 * * MON-FRI', timeZone: 'UTC' });
    expect(await count(org)).toBe(1);
  });

  it.each([
    ['0 2 * *', 'Europe/Oslo', /cron expression '0 2 \* \*' has 4 fields; it needs 5/],
    ['0 25 * * *', 'Europe/Oslo', /Invalid value for hour: 25/],
    ['0 0 31 2 *', 'Europe/Oslo', /never fires/],
    ['0 2 * * *', 'Europe/Atlantis', /unknown time zone 'Europe\/Atlantis'/],
  ])('refuses cron %j in %s with a clear error, writing nothing', async (cron, zone, message) => {
    const org = newOrg();
    const attempt = repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'xledger',
      cronExpression: cron,
      timeZone: zone,
    });
    await expect(attempt).rejects.toMatchObject({
      code: 'invalid_argument',
      status: 400,
      message: expect.stringMatching(message),
    });
    expect(await count(org)).toBe(0);
  });

  it('a changed expression or time zone starts the schedule at the change; other changes keep activeFrom', async () => {
    const org = newOrg();
    const since = new Date('2026-11-01T00:00:00Z');
    const upsert = (
      cronExpression: string,
      timeZone: string,
      extra: { activeFrom?: Date; runTimeoutSeconds?: number },
    ) => repos.scheduler.upsertSchedule({ orgId: org, integrationType: 'xledger', cronExpression, timeZone, ...extra });
    await upsert('0 2 * * *', 'UTC', { activeFrom: since });
    const kept = await upsert(' 0 2 * * * ', 'UTC', { runTimeoutSeconds: 600 });
    expect(Date.parse(kept.activeFrom)).toBe(since.getTime());
    const before = Date.now() - 60_000; // the database's clock, within a minute of this one
    expect(Date.parse((await upsert('*/5 * * * *', 'UTC', {})).activeFrom)).toBeGreaterThan(before);
    await upsert('*/5 * * * *', 'UTC', { activeFrom: since });
    expect(Date.parse((await upsert('*/5 * * * *', 'Europe/Oslo', {})).activeFrom)).toBeGreaterThan(before);
    // A changed expression with activeFrom given takes it.
    expect(Date.parse((await upsert('0 3 * * *', 'Europe/Oslo', { activeFrom: since })).activeFrom)).toBe(
      since.getTime(),
    );
  });

  it('PostgreSQL refuses what slips past the TypeScript layer (the last line), writing nothing', async () => {
    const org = newOrg();
    const call = (cron: string, zone: string) =>
      repos.port.rpc('upsert_sync_schedule', {
        p_org_id: org,
        p_integration_type: 'xledger',
        p_cron_expression: cron,
        p_time_zone: zone,
      });
    expect((await call('0 2 * * * *', 'Europe/Oslo')).error).toMatchObject({
      code: 'SR005',
      message: "cron expression '0 2 * * * *' has 6 fields; it needs 5: minute hour day-of-month month day-of-week",
    });
    expect((await call('*/0 * * * *', 'Europe/Oslo')).error?.message).toBe(
      "cron expression '*/0 * * * *': minute field has a step of 0",
    );
    expect((await call('0 2 * * *', 'Mars/Olympus')).error).toMatchObject({
      code: 'SR005',
      message: "unknown time zone 'Mars/Olympus': use an IANA name such as Europe/Oslo",
    });
    expect(
      (
        await repos.port.rpc('upsert_sync_schedule', {
          p_org_id: org,
          p_integration_type: 'xledger',
          p_cron_expression: '0 2 * * *',
          p_run_timeout_seconds: 5,
        })
      ).error?.message,
    ).toBe('run timeout must be between 60 and 86400 seconds, got 5');
    expect(await count(org)).toBe(0);
    // Even the table owner writing directly goes through the validating trigger.
    await expect(db.sql`insert into public.sync_schedules (org_id, integration_type, cron_expression, time_zone)
                        values (${org}, 'xledger', '0 2 * * *', 'Nowhere/Town')`).rejects.toMatchObject({
      code: 'SR005',
    });
  });

  it('only the service role writes: users can neither call the write functions nor write the table', async () => {
    const org = newOrg();
    const user = new SchedulerRepository(
      createSqlRpc(db.sql, { role: 'authenticated', claims: userClaims(org, 'admin') }),
    );
    await expect(
      user.upsertSchedule({ orgId: org, integrationType: 'xledger', cronExpression: '0 2 * * *' }),
    ).rejects.toMatchObject({ code: 'internal' });
    await expect(
      asAuthenticated(
        db.sql,
        userClaims(org, 'admin'),
        (tx) =>
          tx`insert into public.sync_schedules (org_id, integration_type, cron_expression) values (${org}, 'xledger', '0 2 * * *')`,
      ),
    ).rejects.toMatchObject({ code: '42501' });
    expect(await count(org)).toBe(0);
  });
});

describe('20261202001000 mends a schedule a far-future period had silenced', () => {
  it('gives it back the newest period that ran', async () => {
    const own = await createTestDatabase();
    try {
      const file = '20261202001000_one_scheduler_run_per_period.sql';
      await own.sql.unsafe(readFileSync(path.join(ROLLBACKS_DIR, file), 'utf8')); // the trigger as it was
      const org = newOrg();
      const mine = repositories(own.sql);
      await mine.scheduler.upsertSchedule({ orgId: org, integrationType: 'xledger', cronExpression: '*/5 * * * *' });
      const ran = '2026-11-30T10:00:00.000Z';
      for (const period of [ran, '9999-12-31T00:00:00.000Z']) {
        const id = await mine.runLog.insertRunLog(org, 'xledger', 'scheduler', { scheduledFor: new Date(period) });
        await mine.runLog.updateRunLogStatus(id, 'cancelled', null, null, null);
      }
      const last = async () =>
        (await own.sql`select last_scheduled_for from public.sync_schedules where org_id = ${org}`)[0]
          ?.last_scheduled_for as Date;
      expect((await last()).getUTCFullYear()).toBe(9999);
      await own.sql.begin((tx) => tx.unsafe(readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8')));
      expect((await last()).toISOString()).toBe(ran);
    } finally {
      await own.drop();
    }
  });
});

describe('org isolation of schedules and alerts', () => {
  it("coordinators and admins read their own org's, nobody else's; other roles read nothing", async () => {
    const orgA = newOrg();
    const orgB = newOrg();
    for (const org of [orgA, orgB]) {
      await repos.scheduler.upsertSchedule({ orgId: org, integrationType: 'bufdir', cronExpression: '0 4 * * *' });
      await repos.scheduler.recordAlert({
        orgId: org,
        kind: 'cold_start',
        integrationType: 'bufdir',
        details: { latencyMs: 5000 },
      });
    }
    const as = (org: string, role: string) =>
      new SchedulerRepository(createSqlRpc(db.sql, { role: 'authenticated', claims: userClaims(org, role) }));

    for (const role of ['coordinator', 'admin']) {
      expect((await as(orgA, role).getSchedules(orgA)).map((s) => s.orgId)).toEqual([orgA]);
      expect(await as(orgA, role).getSchedules(orgB)).toEqual([]);
      expect((await as(orgA, role).getAlerts(orgA)).map((a) => a.orgId)).toEqual([orgA]);
      expect(await as(orgA, role).getAlerts(orgB)).toEqual([]);
    }
    expect(await as(orgA, 'volunteer').getSchedules(orgA)).toEqual([]);
    expect(await as(orgA, 'volunteer').getAlerts(orgA)).toEqual([]);
    const rows = await asAuthenticated(db.sql, userClaims(orgA), (tx) => tx`select org_id from public.sync_alerts`);
    expect(rows.map((r) => r.org_id)).toEqual([orgA]);
  });

  it('an alert with a dedupe key is recorded once however many times it is reported', async () => {
    const org = newOrg();
    const input = { orgId: org, kind: 'cold_start', dedupeKey: 'cold_start:xledger:2026-01-01T00:00:00.000Z' };
    const results = await Promise.all([1, 2, 3].map(() => repos.scheduler.recordAlert(input)));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await repos.scheduler.getAlerts(org)).toHaveLength(1);
    await expect(repos.scheduler.recordAlert({ orgId: org, kind: 'Not A Kind' })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });
});
