// The every-minute tick as Supabase runs it, end to end but for pg_net and Vault: Debian's PostgreSQL 15 with the
// real pg_cron, where the migrations register the jobs; pg_net and Vault (which Debian does not package) are
// stand-ins created before the migrations: net.http_post records each request in a table, and Vault is the local one
// (supabase/local/vault_compat.sql: Vault's vault.create_secret and vault.decrypted_secrets). The test runs the job's
// command as pg_cron stored it (it does not wait for pg_cron to fire), takes the request it handed to pg_net and
// replays it with fetch against the real sync-scheduler function under Deno (the functions harness, on its own
// migrated test database; the recorded URL's path is mapped to the harness's address).
// Also: the daily job that deletes cron.job_run_details rows older than 7 days, and the watchdog that alerts when
// the scheduler has not ticked for 5 minutes (and POSTs each alert through pg_net to Vault's webhook URL), run the
// same way.
// Skipped (with the reason) where pg_cron is not installed, except under CI, where it must run: .ci/run installs it.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyLocalCompat, MIGRATIONS_DIR, migrate, ROLLBACKS_DIR } from '../../src/local/migrate.ts';
import { type Harness, serviceToken, startHarness } from '../functions/harness.ts';
import {
  PG_NET_STAND_IN,
  pgCronUnavailableReason,
  type SystemPostgres,
  startSystemPostgres,
} from '../helpers/system-postgres.ts';
import { type SimulatedApis, startApis } from '../integrations/simulated.ts';
import { MINUTE, repositories } from './helpers.ts';

const unavailable = pgCronUnavailableReason();
const inCi = Boolean(process.env.CI);

const TICK_JOB = 'sync-scheduler-tick';
const CLEANUP_JOB = 'clean-cron-job-run-details';
const TICK_MIGRATION = '20261201000100_schedule_scheduler_tick_with_apikey.sql';
const CLEANUP_MIGRATION = '20261201000110_schedule_cron_history_cleanup.sql';
const WATCHDOG_JOB = 'watch-sync-scheduler';
const WATCHDOG_MIGRATION = '20261201007000_watch_scheduler_pulse.sql';
const WATCHDOG_POST_MIGRATION = '20261201008000_post_scheduler_stalled_alerts.sql';
const WEBHOOK_URL = 'https://hooks.example.org/sync-alerts?token=local-test-token';
const TICK_URL = 'https://project-ref.supabase.co/functions/v1/sync-scheduler/tick';
const SECRET_KEY = `sb_secret_${randomBytes(24).toString('base64url')}`;

interface RecordedRequest {
  url: string;
  headers: Record<string, string>;
  body: unknown;
  timeout_milliseconds: number;
}

const read = (dir: string, file: string) => readFileSync(path.join(dir, file), 'utf8');
const jobCommand = (sql: string) => /\$job\$([\s\S]*?)\$job\$/.exec(sql)?.[1] ?? '';

if (unavailable && !inCi) {
  console.warn(`pg_cron tick tests skipped: ${unavailable}`);
}

it.runIf(unavailable !== null && inCi)('pg_cron is installed (required under CI: .ci/run installs it)', () => {
  throw new Error(`CI must run the pg_cron tests, but ${unavailable}`);
});

describe.skipIf(unavailable !== null)(`pg_cron tick through pg_net${unavailable ? ` (${unavailable})` : ''}`, () => {
  let server: SystemPostgres | undefined;
  let sql: Sql;
  let apis: SimulatedApis | undefined;
  let harness: Harness | undefined;
  let legacyKey: string;

  beforeAll(async () => {
    server = await startSystemPostgres({
      preload: ['pg_cron'],
      settings: { 'cron.database_name': 'postgres', 'cron.host': '127.0.0.1' },
    });
    sql = postgres(server.url, { max: 3, onnotice: () => {}, connection: { TimeZone: 'UTC' } });
    await sql`create extension if not exists pg_cron`;
    await sql.unsafe(PG_NET_STAND_IN);
    await applyLocalCompat(sql); // Supabase's roles and auth schema, and the local Vault
    await migrate(sql);

    // The function's side: Supabase gives it the project's secret keys and the legacy service_role key.
    legacyKey = await serviceToken();
    apis = await startApis();
    const env: Record<string, string> = {
      SUPABASE_SECRET_KEYS: JSON.stringify({ default: SECRET_KEY }),
      SUPABASE_SERVICE_ROLE_KEY: legacyKey,
    };
    for (const [key, value] of Object.entries(apis.env)) if (value !== undefined) env[key] = value;
    harness = await startHarness(env);
  }, 180_000);

  afterAll(async () => {
    await harness?.stop();
    await apis?.stop();
    await sql?.end({ timeout: 5 });
    await server?.stop();
  });

  const jobs = (name: string) =>
    sql<{ jobid: string; schedule: string; command: string; active: boolean }[]>`
      select jobid, schedule, command, active from cron.job where jobname = ${name}`;

  /** Vault holds the tick URL and these secrets, nothing else. */
  async function vault(secrets: Record<string, string>): Promise<void> {
    await sql`delete from vault.secrets`;
    for (const [name, value] of Object.entries({ sync_scheduler_tick_url: TICK_URL, ...secrets })) {
      await sql`select vault.create_secret(${value}, ${name})`;
    }
  }

  /** Runs the tick job's stored command, as pg_cron would; the request it handed to net.http_post. */
  async function runTickJob(): Promise<RecordedRequest> {
    const [job] = await jobs(TICK_JOB);
    if (!job) throw new Error(`${TICK_JOB} is not registered`);
    const [result] = await sql.unsafe<{ http_post: string }[]>(job.command);
    const [request] = await sql<RecordedRequest[]>`
      select url, headers, body, timeout_milliseconds from net.requests where id = ${result?.http_post ?? null}`;
    if (!request) throw new Error('the job recorded no request');
    return request;
  }

  /** Sends the recorded request to the harness's function: same path under /functions/v1, headers and body. */
  async function replay(request: RecordedRequest) {
    const route = new URL(request.url).pathname.replace(/^\/functions\/v1/, '');
    const response = await fetch(`${harness?.host.url}${route}`, {
      method: 'POST',
      headers: request.headers,
      body: JSON.stringify(request.body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: the tick report or an error, as JSON
    return { status: response.status, body: (await response.json()) as any };
  }

  /** A new org with an every-minute schedule whose current period is due. */
  async function dueSchedule(): Promise<string> {
    const org = randomUUID();
    await repositories((harness as Harness).db.sql).scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'xledger',
      cronExpression: '* * * * *',
      activeFrom: new Date(Date.now() - 2 * MINUTE),
    });
    return org;
  }

  /** The tick's answer: the report up to the started runs (the warm-ups and health checks go on after it). */
  function expectTickReport(body: unknown, org: string): void {
    expect(body).toEqual({
      now: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      claimed: expect.any(Array),
      started: expect.arrayContaining([
        expect.objectContaining({ orgId: org, integrationType: 'xledger', runId: expect.any(String) }),
      ]),
      skipped: expect.any(Array),
      missed: expect.any(Array),
      reaped: expect.any(Array),
      warmUps: [],
      alerts: expect.any(Array),
      errors: [],
    });
  }

  describe('the tick job', () => {
    beforeEach(() => vault({}));

    it('is registered once, every minute, with the command of migration 20261201000100', async () => {
      const command = jobCommand(read(MIGRATIONS_DIR, TICK_MIGRATION));
      const [job] = await jobs(TICK_JOB);
      expect(job).toMatchObject({ schedule: '* * * * *', command, active: true });

      await sql.begin((tx) => tx.unsafe(read(MIGRATIONS_DIR, TICK_MIGRATION)));
      expect(await jobs(TICK_JOB)).toEqual([job]);
    });

    it('with a secret key in Vault: POSTs it as apikey, and the function ticks (200, the tick report)', async () => {
      await vault({ sync_scheduler_secret_key: SECRET_KEY });
      const request = await runTickJob();
      expect(request).toEqual({
        url: TICK_URL,
        headers: { 'Content-Type': 'application/json', apikey: SECRET_KEY },
        body: {},
        timeout_milliseconds: 5000,
      });

      const org = await dueSchedule();
      const response = await replay(request);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expectTickReport(response.body, org);
    });

    it('with only the legacy key name in Vault: falls back to it (apikey and bearer), and the function ticks', async () => {
      await vault({ sync_scheduler_service_role_key: legacyKey });
      const request = await runTickJob();
      expect(request.headers).toEqual({
        'Content-Type': 'application/json',
        apikey: legacyKey,
        Authorization: `Bearer ${legacyKey}`,
      });

      const org = await dueSchedule();
      const response = await replay(request);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expectTickReport(response.body, org);
    });

    it('with no key in Vault: the job still runs, sends no key, and the function answers 401 and keeps serving', async () => {
      const request = await runTickJob();
      expect(request.headers).toEqual({ 'Content-Type': 'application/json' });

      const refused = await replay(request);
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual({ error: expect.objectContaining({ code: 'unauthorized' }) });

      const warm = await fetch(`${harness?.host.url}/sync-scheduler/warm`);
      expect(warm.status).toBe(200);
    });

    it('with a wrong key in Vault: the function answers 401', async () => {
      await vault({ sync_scheduler_secret_key: `sb_secret_${randomBytes(24).toString('base64url')}` });
      const refused = await replay(await runTickJob());
      expect(refused.status).toBe(401);
    });
  });

  describe('the cron.job_run_details cleanup job', () => {
    it('is registered once, daily', async () => {
      const [job] = await jobs(CLEANUP_JOB);
      expect(job).toMatchObject({ schedule: '0 4 * * *', active: true });
      await sql.begin((tx) => tx.unsafe(read(MIGRATIONS_DIR, CLEANUP_MIGRATION)));
      expect(await jobs(CLEANUP_JOB)).toEqual([job]);
    });

    it('its stored command deletes the runs that ended more than 7 days ago, and only those', async () => {
      const [job] = await jobs(CLEANUP_JOB);
      const rows = [
        { label: 'ended 30 days ago', end: '30 days', start: '30 days' },
        { label: 'ended 7 days and an hour ago', end: '7 days 1 hour', start: '7 days 1 hour' },
        { label: 'ended 6 days 23 hours ago', end: '6 days 23 hours', start: '6 days 23 hours' },
        { label: 'ended an hour ago', end: '1 hour', start: '1 hour' },
        { label: 'started 30 days ago, not ended', end: null, start: '30 days' },
      ];
      const runids = new Map<string, string>();
      for (const row of rows) {
        const [inserted] = await sql<{ runid: string }[]>`
          insert into cron.job_run_details (jobid, job_pid, database, username, command, status, return_message,
                                            start_time, end_time)
          values (${job?.jobid ?? null}, 1, 'postgres', 'postgres', 'select 1',
                  ${row.end ? 'succeeded' : 'running'}, ${row.label},
                  now() - ${row.start}::interval, now() - ${row.end}::interval)
          returning runid`;
        runids.set(row.label, inserted?.runid as string);
      }

      await sql.unsafe(job?.command as string);

      const left = await sql<{ return_message: string }[]>`
        select return_message from cron.job_run_details where runid in ${sql([...runids.values()])}
        order by runid`;
      expect(left.map((row) => row.return_message)).toEqual([
        'ended 6 days 23 hours ago',
        'ended an hour ago',
        'started 30 days ago, not ended',
      ]);
    });
  });

  describe('the scheduler watchdog job', () => {
    it('is registered once, every 5 minutes, calling watch_scheduler_pulse (migration 20261201008000)', async () => {
      const [job] = await jobs(WATCHDOG_JOB);
      expect(job).toMatchObject({
        schedule: '*/5 * * * *',
        active: true,
        command: 'select public.watch_scheduler_pulse()',
      });
      await sql.begin((tx) => tx.unsafe(read(MIGRATIONS_DIR, WATCHDOG_POST_MIGRATION)));
      expect(await jobs(WATCHDOG_JOB)).toEqual([job]);
    });

    /** A new org whose bufdir schedule has been enabled for an hour. */
    async function scheduledOrg(): Promise<string> {
      const org = randomUUID();
      await sql`select 1 from public.upsert_sync_schedule(${org}, 'bufdir', '0 2 * * *', 'Europe/Oslo', true, 1800,
        now() - interval '1 hour')`;
      return org;
    }
    const stalled = (org: string) =>
      sql<{ id: string; details: { last_tick_at: string } }[]>`
        select id, details from public.sync_alerts where org_id = ${org} and kind = 'scheduler_stalled'`;
    const silentFor = (minutes: number) =>
      sql`update sync_private.scheduler_pulse set last_tick_at = now() - make_interval(mins => ${minutes})`;
    async function runWatchdog(): Promise<void> {
      const [job] = await jobs(WATCHDOG_JOB);
      await sql.unsafe(job?.command as string);
    }
    const posted = async (after: string) =>
      sql<RecordedRequest[]>`
        select url, headers, body, timeout_milliseconds from net.requests where id > ${after} order by id`;
    const lastRequestId = async () => {
      const [row] = await sql<{ id: string }[]>`select coalesce(max(id), 0)::text as id from net.requests`;
      return row?.id ?? '0';
    };

    it('its stored command alerts each enabled schedule when the scheduler has been silent 5 minutes, once', async () => {
      await vault({});
      const org = await scheduledOrg();
      const before = await lastRequestId();

      await silentFor(4);
      await runWatchdog();
      expect(await stalled(org)).toEqual([]);

      await silentFor(11);
      await runWatchdog();
      await runWatchdog();
      const alerts = await stalled(org);
      expect(alerts).toHaveLength(1);
      const [pulse] = await sql<{ last_tick_at: Date }[]>`select last_tick_at from sync_private.scheduler_pulse`;
      expect(new Date(alerts[0]?.details.last_tick_at as string).getTime()).toBe(pulse?.last_tick_at.getTime());
      // No webhook URL in Vault: the alert is a row only.
      expect(await posted(before)).toEqual([]);
      await silentFor(0);
    });

    it('with sync_alert_webhook_url in Vault: POSTs each alert it records through pg_net, once, as the scheduler posts alerts', async () => {
      await vault({ sync_alert_webhook_url: `  ${WEBHOOK_URL}\n` });
      const org = await scheduledOrg();
      await sql`select 1 from public.upsert_sync_schedule(${org}, 'xledger', '*/15 * * * *', 'UTC', true, 1800,
        now() - interval '1 hour')`;
      const before = await lastRequestId();

      await silentFor(4);
      await runWatchdog();
      expect(await posted(before)).toEqual([]);

      await silentFor(11);
      await runWatchdog();
      const alerts = await sql<
        { id: string; integration_type: string; details: Record<string, unknown> }[]
      >`select id, integration_type, details from public.sync_alerts where org_id = ${org} order by integration_type`;
      expect(alerts.map((a) => a.integration_type)).toEqual(['bufdir', 'xledger']);
      const requests = (await posted(before)).filter((r) => (r.body as { orgId?: string }).orgId === org);
      expect(requests).toHaveLength(2);
      for (const alert of alerts) {
        const request = requests.find((r) => (r.body as { alertId?: string }).alertId === alert.id);
        expect(request).toEqual({
          url: WEBHOOK_URL,
          headers: { 'Content-Type': 'application/json' },
          // The body of the scheduler's own alert POSTs (supabase/functions/_shared/scheduler/notify.ts).
          body: {
            type: 'sync_alert',
            kind: 'scheduler_stalled',
            orgId: org,
            integrationType: alert.integration_type,
            runId: null,
            alertId: alert.id,
            details: alert.details,
          },
          timeout_milliseconds: 10_000,
        });
      }

      // The same outage again: nothing recorded, nothing posted.
      const after = await lastRequestId();
      await runWatchdog();
      expect(await posted(after)).toEqual([]);
      await silentFor(0);
    });

    it('a job that fails after recording leaves neither the alert nor its POST: they commit together, and the next run makes both', async () => {
      await vault({ sync_alert_webhook_url: WEBHOOK_URL });
      const org = await scheduledOrg();
      const before = await lastRequestId();
      await silentFor(11);
      await expect(
        sql.begin(async (tx) => {
          await tx`select public.watch_scheduler_pulse()`;
          throw new Error('the job failed after recording');
        }),
      ).rejects.toThrow('the job failed after recording');
      expect(await stalled(org)).toEqual([]);
      expect(await posted(before)).toEqual([]);
      // The next run records and posts it.
      await runWatchdog();
      expect(await stalled(org)).toHaveLength(1);
      expect((await posted(before)).filter((r) => (r.body as { orgId?: string }).orgId === org)).toHaveLength(1);
      await silentFor(0);
    });
  });

  describe('rollbacks', () => {
    it('the tick rollback leaves the job as 20261128002940 left it here (none: pg_net is a stand-in); re-applying brings it back', async () => {
      const [before] = await jobs(TICK_JOB);
      await sql.begin((tx) => tx.unsafe(read(ROLLBACKS_DIR, TICK_MIGRATION)));
      expect(await jobs(TICK_JOB)).toEqual([]);
      await sql.begin((tx) => tx.unsafe(read(MIGRATIONS_DIR, TICK_MIGRATION)));
      expect(await jobs(TICK_JOB)).toEqual([
        expect.objectContaining({ schedule: '* * * * *', command: before?.command }),
      ]);
    });

    it('the watchdog POST rollback puts back the job of 20261201007000 (alerts as rows); re-applying brings it back', async () => {
      await sql.begin((tx) => tx.unsafe(read(ROLLBACKS_DIR, WATCHDOG_POST_MIGRATION)));
      expect(await jobs(WATCHDOG_JOB)).toEqual([
        expect.objectContaining({ command: jobCommand(read(MIGRATIONS_DIR, WATCHDOG_MIGRATION)) }),
      ]);
      const [fn] = await sql`select to_regprocedure('public.watch_scheduler_pulse()') as f`;
      expect(fn?.f).toBeNull();
      await sql.begin((tx) => tx.unsafe(read(MIGRATIONS_DIR, WATCHDOG_POST_MIGRATION)));
      expect(await jobs(WATCHDOG_JOB)).toEqual([
        expect.objectContaining({ command: 'select public.watch_scheduler_pulse()' }),
      ]);
    });

    it('the watchdog rollbacks, newest first, unschedule its job and leave get_schedules_for_tick as before; re-applying brings both back', async () => {
      await sql.begin((tx) => tx.unsafe(read(ROLLBACKS_DIR, WATCHDOG_POST_MIGRATION)));
      await sql.begin((tx) => tx.unsafe(read(ROLLBACKS_DIR, WATCHDOG_MIGRATION)));
      expect(await jobs(WATCHDOG_JOB)).toEqual([]);
      const [pulse] = await sql`select to_regclass('sync_private.scheduler_pulse') as t`;
      expect(pulse?.t).toBeNull();
      await sql`select count(*) from public.get_schedules_for_tick()`; // the earlier version, without the pulse
      await sql.begin((tx) => tx.unsafe(read(MIGRATIONS_DIR, WATCHDOG_MIGRATION)));
      await sql.begin((tx) => tx.unsafe(read(MIGRATIONS_DIR, WATCHDOG_POST_MIGRATION)));
      expect(await jobs(WATCHDOG_JOB)).toEqual([
        expect.objectContaining({ command: 'select public.watch_scheduler_pulse()' }),
      ]);
    });

    it('the cleanup rollback unschedules the daily job; re-applying brings it back', async () => {
      await sql.begin((tx) => tx.unsafe(read(ROLLBACKS_DIR, CLEANUP_MIGRATION)));
      expect(await jobs(CLEANUP_JOB)).toEqual([]);
      await sql.begin((tx) => tx.unsafe(read(MIGRATIONS_DIR, CLEANUP_MIGRATION)));
      expect(await jobs(CLEANUP_JOB)).toHaveLength(1);
    });
  });
});
