// The local ticker of `npm start`: ticks once at start (a restart's one catch-up), never two ticks at once, runs
// the started syncs in process, claims queued "Sync now" runs every second between ticks, and stops cleanly. The
// clock is injected; the tick interval is long enough that the timer never fires during the test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextTickDelay, startTicker, tickerEnabled } from '../../src/local/ticker.ts';
import { IntegrationError } from '../../supabase/functions/_shared/integrations/integration.ts';
import { IntegrationsRepository } from '../../supabase/functions/_shared/integrations.repository.ts';
import { schedulerSettingsFromEnv } from '../../supabase/functions/_shared/scheduler/config.ts';
import { createSchedulerRuntime } from '../../supabase/functions/_shared/scheduler/runtime.ts';
import { tick } from '../../supabase/functions/_shared/scheduler/tick.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import {
  connect,
  databaseNow,
  emptyConnections,
  floorTo,
  MINUTE,
  newOrg,
  pagedAdapter,
  plus,
  recordingLogger,
  repositories,
  runsOf,
} from './helpers.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe('local ticker', () => {
  it('ticks at start, one tick at a time, runs the syncs, and stops after they end', async () => {
    const repos = repositories(db.sql);
    const org = newOrg();
    const base = plus(floorTo(await databaseNow(db.sql), 1), MINUTE);
    await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'bufdir',
      cronExpression: '* * * * *',
      activeFrom: plus(base, -10 * MINUTE),
    });
    let now = plus(base, 5_000);
    const log = recordingLogger();
    const ticker = startTicker({
      rpc: repos.port,
      adapters: { bufdir: pagedAdapter('bufdir', 2) },
      connections: emptyConnections,
      log,
      settings: schedulerSettingsFromEnv({}),
      intervalMs: 24 * 60 * MINUTE,
      now: () => now,
    });
    // The start-up tick is running: a second one at the same time is refused, not overlapped.
    expect(await ticker.tickNow()).toBeNull();
    now = plus(base, MINUTE + 5_000);
    await expect.poll(async () => (await ticker.tickNow())?.started.filter((s) => s.orgId === org).length).toBe(1);
    await ticker.stop();

    const runs = await runsOf(db.sql, org);
    expect(runs.map((r) => [r.scheduled_for?.toISOString(), r.status, r.records_processed])).toEqual([
      [base.toISOString(), 'completed', 20],
      [plus(base, MINUTE).toISOString(), 'completed', 20],
    ]);
    expect(log.lines.some((l) => l.fields.event === 'tick_overlap')).toBe(true);
  });

  it('runs its steps beside the ticks: a long step holds up no tick and is not started twice', async () => {
    const repos = repositories(db.sql);
    let release: () => void = () => {};
    const started: Date[] = [];
    let now = new Date('2026-12-02T03:30:01Z');
    const ticker = startTicker({
      rpc: repos.port,
      adapters: {},
      connections: emptyConnections,
      log: recordingLogger(),
      settings: schedulerSettingsFromEnv({}),
      intervalMs: 24 * 60 * MINUTE,
      claimIntervalMs: 0,
      now: () => now,
      steps: [
        {
          name: 'archival',
          run: (at) => {
            started.push(at);
            return new Promise<void>((resolve) => {
              release = resolve;
            });
          },
        },
      ],
    });
    await expect.poll(() => started.length).toBe(1); // the start-up tick's
    now = plus(now, MINUTE);
    expect(await ticker.tickNow()).not.toBeNull(); // ticked while the step is at work
    expect(started).toHaveLength(1); // and not started again beside itself
    release();
    await expect
      .poll(async () => {
        await ticker.tickNow(); // the next tick after the step ended starts it again
        return started.length;
      })
      .toBe(2);
    release();
    await ticker.stop();
  });

  it('runs a queued "Sync now" within 5 s with its default claim loop, without waiting for a tick', async () => {
    const repos = repositories(db.sql);
    const org = newOrg();
    await connect(repos.port, org, 'xledger', { apiToken: 'any' });
    const log = recordingLogger();
    const ticker = startTicker({
      rpc: repos.port,
      adapters: { xledger: pagedAdapter('xledger', 3) },
      log,
      settings: schedulerSettingsFromEnv({}),
      intervalMs: 24 * 60 * MINUTE, // no tick but the start-up one
    });
    try {
      await expect.poll(() => log.lines.some((l) => l.fields.event === 'tick')).toBe(true);
      const run = await new IntegrationsRepository(repos.port).queueManualRun(org, 'xledger');
      await expect
        .poll(async () => (await runsOf(db.sql, org)).map((r) => [r.id, r.status, r.records_processed]), {
          timeout: 5_000,
          interval: 50,
        })
        .toEqual([[run.id, 'completed', 30]]);
      expect(log.lines.filter((l) => l.fields.event === 'tick')).toHaveLength(1);
      expect(log.lines.find((l) => l.fields.event === 'run_claimed')?.fields).toMatchObject({ runId: run.id });
    } finally {
      await ticker.stop();
    }
  });

  it('a claim loop that cannot reach the database says so once, not every second', async () => {
    const repos = repositories(db.sql);
    const log = recordingLogger();
    let failing = true;
    const ticker = startTicker({
      rpc: {
        rpc: (fn, args) =>
          failing && fn === 'claim_pending_runs' ? Promise.reject(new Error('ECONNREFUSED')) : repos.port.rpc(fn, args),
      },
      adapters: {},
      log,
      settings: schedulerSettingsFromEnv({}),
      intervalMs: 24 * 60 * MINUTE,
      claimIntervalMs: 0, // claimed by hand below
    });
    try {
      for (let i = 0; i < 3; i++) expect(await ticker.claimNow()).toBeNull();
      failing = false;
      expect(await ticker.claimNow()).toEqual([]);
      expect(log.lines.filter((l) => l.fields.event === 'claim_failed')).toHaveLength(1);
      expect(log.lines.filter((l) => l.fields.event === 'claim_recovered')).toHaveLength(1);
    } finally {
      await ticker.stop();
    }
  });

  it('SCHEDULER_TICKER=off turns it off; malformed settings are refused by name', () => {
    expect(tickerEnabled({ SCHEDULER_TICKER: 'off' })).toBe(false);
    expect(tickerEnabled({})).toBe(true);
    expect(() => schedulerSettingsFromEnv({ SCHEDULER_WARM_UP_LEAD_MS: 'soon' })).toThrow(
      'SCHEDULER_WARM_UP_LEAD_MS must be a whole number between 0 and 3600000, got "soon"',
    );
    expect(() => schedulerSettingsFromEnv({ ALERT_WEBHOOK_URL: 'ftp://x' })).toThrow(
      'ALERT_WEBHOOK_URL must be an http(s) URL',
    );
  });
});

describe('scheduler runtime with the health monitor', () => {
  it("every tick runs the monitor's step over the enabled schedules, and a rate-limited sync makes the integration passive", async () => {
    const repos = repositories(db.sql);
    const org = newOrg();
    const base = plus(floorTo(await databaseNow(db.sql), 1), MINUTE);
    await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'dynamics',
      cronExpression: '* * * * *',
      activeFrom: base,
    });
    const limited = {
      ...pagedAdapter('dynamics'),
      sync: async () => {
        throw new IntegrationError('rate_limited', 'dynamics GET /accounts: 429', {
          status: 429,
          retryAfterSeconds: 3600,
        });
      },
    };
    const runtime = createSchedulerRuntime({
      rpc: repos.port,
      adapters: { dynamics: limited },
      connections: emptyConnections,
      log: recordingLogger(),
      settings: schedulerSettingsFromEnv({}),
      health: { random: () => 0.5 },
    });
    const report = await tick(plus(base, 5_000), runtime.deps);
    await runtime.executor.idle();
    expect(report.errors).toEqual([]);
    expect(report.health).toMatchObject({ checks: expect.any(Array) });
    const [row] =
      await db.sql`select mode, last_sync_succeeded from public.integration_health where org_id = ${org} and integration_type = 'dynamics'`;
    expect(row).toMatchObject({ mode: 'passive', last_sync_succeeded: false });
  });
});

describe('the next tick', () => {
  const at = (time: string) => Date.parse(`2026-11-29T${time}Z`);
  it.each([
    ['11:59:30.000', 31_000], // to 12:00:01
    ['12:00:00.500', 500], // a tick that ended just after the minute began still gets 12:00:01
    ['12:00:01.000', 60_000], // to 12:01:01, never the slot it is in
    ['12:00:45.000', 16_000],
  ])('at %s waits %i ms: one second past the next minute', (time, delay) => {
    expect(nextTickDelay(at(time), 60_000, 1_000)).toBe(delay);
  });
});
