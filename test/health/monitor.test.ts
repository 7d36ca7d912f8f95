// The health monitor against the real database and the simulated APIs over HTTP, with an injected clock (the
// simulated servers share it) and injected randomness. The tick is simulated by calling runHealthChecks every minute.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HealthRepository } from '../../supabase/functions/_shared/health/health.repository.ts';
import {
  type HealthMonitorDeps,
  recordSyncOutcome,
  runHealthChecks,
} from '../../supabase/functions/_shared/health/monitor.ts';
import type { AdapterRegistry } from '../../supabase/functions/_shared/integrations/integration.ts';
import { createAdapters } from '../../supabase/functions/_shared/integrations/registry.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import { createTestDatabase, SERVICE, type TestDatabase } from '../helpers/db.ts';
import { type SimulatedApis, startApis } from '../integrations/simulated.ts';

const ORG_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const ORG_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const MINUTE = 60_000;
const START = Date.parse('2026-11-28T00:00:00Z');

let db: TestDatabase;
let apis: SimulatedApis;
let clock = START;
let adapters: AdapterRegistry;

beforeAll(async () => {
  db = await createTestDatabase();
  apis = await startApis({ now: () => clock });
  adapters = createAdapters(apis.env);
});
afterAll(async () => {
  await apis.stop();
  await db.drop();
});
beforeEach(async () => {
  clock = START;
  for (const server of [apis.xledger, apis.dynamics, apis.bufdir]) server.control.reset();
  await db.sql`delete from public.integration_health`;
});

function deps(overrides: Partial<HealthMonitorDeps> = {}): HealthMonitorDeps {
  return { rpc: createSqlRpc(db.sql, SERVICE), adapters, random: () => 0.5, log: () => {}, ...overrides };
}

const repository = () => new HealthRepository(createSqlRpc(db.sql, SERVICE));

async function row(orgId: string, type: string) {
  const rows = await repository().getIntegrationHealth(orgId);
  const found = rows.find((r) => r.integrationType === type);
  if (!found) throw new Error(`no health row for ${type}`);
  return found;
}

/** Ticks every minute from the current clock for `minutes`, as the scheduler would. */
async function tickFor(minutes: number, d: HealthMonitorDeps, onTick?: () => Promise<void>) {
  for (let i = 0; i < minutes; i += 1) {
    await runHealthChecks(new Date(clock), d);
    if (onTick) await onTick();
    clock += MINUTE;
  }
}

describe('runHealthChecks', () => {
  it('checks a healthy integration at most every 15 minutes, with the cheap endpoint only', async () => {
    const d = deps({ targets: [{ orgId: ORG_A, integrationType: 'xledger' }] });
    await tickFor(61, d);
    const times = apis.xledger.control.log.map((entry) => (entry.at - START) / MINUTE);
    expect(times).toEqual([0, 15, 30, 45, 60]);
    expect(apis.xledger.control.count('data')).toBe(0);
    expect(await row(ORG_A, 'xledger')).toMatchObject({
      status: 'healthy',
      mode: 'active',
      consecutiveFailures: 0,
      lastError: null,
    });
  });

  it('backs off exponentially with jitter after consecutive failures, up to the cap', async () => {
    apis.bufdir.control.set({ down: true });
    const d = deps({ targets: [{ orgId: ORG_A, integrationType: 'bufdir' }] });
    const waits: number[] = [];
    await runHealthChecks(new Date(clock), d);
    for (let check = 1; check <= 7; check += 1) {
      const r = await row(ORG_A, 'bufdir');
      waits.push((r.nextCheckAt.getTime() - (r.lastCheckedAt?.getTime() ?? 0)) / MINUTE);
      // A minute before it is due: nothing; when due: one check.
      clock = r.nextCheckAt.getTime() - MINUTE;
      await runHealthChecks(new Date(clock), d);
      expect(apis.bufdir.control.count()).toBe(check);
      clock = r.nextCheckAt.getTime();
      await runHealthChecks(new Date(clock), d);
      expect(apis.bufdir.control.count()).toBe(check + 1);
    }
    // interval 15 min doubled per failure, +10% jitter (random 0.5 of 20%), cap 6 h
    expect(waits).toEqual([16.5, 33, 66, 132, 264, 360, 360]);
    expect(await row(ORG_A, 'bufdir')).toMatchObject({
      status: 'unhealthy',
      consecutiveFailures: 8,
      lastError: 'bufdir: health check failed with HTTP 503',
    });
  });

  it('goes back to the interval once a check succeeds again', async () => {
    apis.xledger.control.set({ errorBurst: { count: 2, status: 500 } });
    const d = deps({ targets: [{ orgId: ORG_A, integrationType: 'xledger' }] });
    await tickFor(52, d);
    const r = await row(ORG_A, 'xledger');
    expect(r).toMatchObject({ status: 'healthy', consecutiveFailures: 0 });
    expect((r.nextCheckAt.getTime() - (r.lastCheckedAt?.getTime() ?? 0)) / MINUTE).toBe(15);
  });

  it('never pings a rate-limited API faster than it allows', async () => {
    // The vendor allows one status request per two hours and answers 429 with the exact Retry-After otherwise.
    apis.dynamics.control.set({ limit: { requests: 1, perSeconds: 7200, on: 'health' } });
    const d = deps({ targets: [{ orgId: ORG_A, integrationType: 'dynamics' }] });
    await tickFor(12 * 60, d);
    // Dynamics' check is a HEAD without a token (its 401 challenge is the answer): no token endpoint, no credentials.
    const log = apis.dynamics.control.log.filter((entry) => entry.kind === 'health');
    expect(apis.dynamics.control.count('auth')).toBe(0);
    expect(apis.dynamics.control.credentialsSeen()).toEqual([]);
    expect(apis.dynamics.control.retryAfterViolations()).toBe(0);
    const gaps = log.slice(1).map((e, i) => (e.at - (log[i]?.at ?? 0)) / MINUTE);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(15);
    // Each 2-hour window: one check succeeds, the next (15 min later) is refused, then silence until Retry-After ends.
    expect(log.length).toBeLessThanOrEqual(2 * 6 + 2);
    expect(log.filter((e) => e.status === 429).length).toBeGreaterThan(0);
  });

  it('switches to passive mode on 429 and lets scheduled syncs decide until the cool-down passes', async () => {
    const d = deps({
      targets: [{ orgId: ORG_A, integrationType: 'xledger' }],
      config: { passiveCooldownMs: 60 * MINUTE },
    });
    apis.xledger.control.set({ rateLimitNext: { count: 1, retryAfterSeconds: 30, on: 'health' } });
    await runHealthChecks(new Date(clock), d);
    let r = await row(ORG_A, 'xledger');
    expect(r).toMatchObject({ mode: 'passive', status: 'unknown' });
    expect(r.passiveUntil?.toISOString()).toBe(new Date(START + 60 * MINUTE).toISOString());

    // Passive: syncs decide; no pings for the whole cool-down.
    const rpc = createSqlRpc(db.sql, SERVICE);
    r = await recordSyncOutcome(
      {
        orgId: ORG_A,
        integrationType: 'xledger',
        at: new Date(START + 10 * MINUTE),
        succeeded: false,
        errorMessage: 'xledger: POST /graphql failed with HTTP 502 (5 attempts)',
      },
      { rpc },
    );
    expect(r).toMatchObject({
      status: 'unhealthy',
      lastError: 'xledger: POST /graphql failed with HTTP 502 (5 attempts)',
      lastSyncSucceeded: false,
    });
    r = await recordSyncOutcome(
      { orgId: ORG_A, integrationType: 'xledger', at: new Date(START + 20 * MINUTE), succeeded: true },
      { rpc },
    );
    expect(r).toMatchObject({ status: 'healthy', lastError: null, mode: 'passive' });
    clock += MINUTE;
    await tickFor(58, d);
    expect(apis.xledger.control.count('health')).toBe(1);

    // Cool-down over: checked again, back to active.
    clock = START + 60 * MINUTE;
    await runHealthChecks(new Date(clock), d);
    expect(apis.xledger.control.count('health')).toBe(2);
    expect(await row(ORG_A, 'xledger')).toMatchObject({ mode: 'active', status: 'healthy', passiveUntil: null });

    // Active again: a sync outcome is kept but does not decide the status.
    r = await recordSyncOutcome(
      { orgId: ORG_A, integrationType: 'xledger', at: new Date(clock), succeeded: false, errorMessage: 'boom' },
      { rpc },
    );
    expect(r).toMatchObject({ status: 'healthy', lastSyncSucceeded: false });
  });

  it('stays passive as long as Retry-After asks when that is longer than the cool-down', async () => {
    apis.bufdir.control.set({ rateLimitNext: { count: 1, retryAfterSeconds: 3 * 3600 } });
    await runHealthChecks(new Date(clock), deps({ targets: [{ orgId: ORG_A, integrationType: 'bufdir' }] }));
    const r = await row(ORG_A, 'bufdir');
    expect(r.passiveUntil?.getTime()).toBe(START + 180 * MINUTE);
    expect(r.nextCheckAt.getTime()).toBe(START + 180 * MINUTE);
  });

  it("a rate-limited sync switches its own org's row to passive mode, not another org's", async () => {
    // Org A's Dynamics row is checked and healthy; org B's sync is then rate limited with org B's credentials.
    await runHealthChecks(new Date(clock), deps({ targets: [{ orgId: ORG_A, integrationType: 'dynamics' }] }));
    expect(await row(ORG_A, 'dynamics')).toMatchObject({ mode: 'active', status: 'healthy', lastError: null });
    apis.dynamics.control.reset();
    const rpc = createSqlRpc(db.sql, SERVICE);
    const r = await recordSyncOutcome(
      {
        orgId: ORG_B,
        integrationType: 'dynamics',
        at: new Date(clock),
        succeeded: false,
        rateLimited: true,
        retryAfterSeconds: 600,
        errorMessage: 'dynamics: GET /api/data/v9.2/msdyn_transactions was rate limited (HTTP 429, 6 times)',
      },
      { rpc },
    );
    expect(r).toMatchObject({ mode: 'passive', status: 'unhealthy' });
    // Org A neither goes passive nor sees org B's error.
    expect(await row(ORG_A, 'dynamics')).toMatchObject({ mode: 'active', passiveUntil: null, lastError: null });
    // For the cool-down, Dynamics is pinged for org A's row only, on its own schedule.
    const answered: string[][] = [];
    for (let minute = 0; minute < 59; minute += 1) {
      const report = await runHealthChecks(new Date(clock), deps());
      for (const check of report.checks) answered.push(check.orgIds);
      clock += MINUTE;
    }
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.every((orgIds) => orgIds.length === 1 && orgIds[0] === ORG_A)).toBe(true);
    expect(apis.dynamics.control.count()).toBe(answered.length);
    expect(await row(ORG_B, 'dynamics')).toMatchObject({ mode: 'passive' });
  });

  it('checks each integration once for all its orgs, and a 429 silences every org of it', async () => {
    const targets = [ORG_A, ORG_B].flatMap((orgId) =>
      ['xledger', 'bufdir'].map((integrationType) => ({ orgId, integrationType })),
    );
    apis.bufdir.control.set({ rateLimitNext: { count: 1, retryAfterSeconds: 60 } });
    const report = await runHealthChecks(new Date(clock), deps({ targets }));
    expect(report.checks.map((c) => [c.integrationType, c.result, c.orgIds.length]).sort()).toEqual([
      ['bufdir', 'rate_limited', 2],
      ['xledger', 'healthy', 2],
    ]);
    expect(apis.xledger.control.count()).toBe(1);
    expect(apis.bufdir.control.count()).toBe(1);
    for (const orgId of [ORG_A, ORG_B]) expect(await row(orgId, 'bufdir')).toMatchObject({ mode: 'passive' });
  });

  it("the orgs of a failing integration keep one schedule: one ping per check, whatever each row's jitter", async () => {
    apis.bufdir.control.set({ down: true });
    let n = 0;
    const d = deps({
      targets: [ORG_A, ORG_B].map((orgId) => ({ orgId, integrationType: 'bufdir' })),
      random: () => [0.05, 0.95][n++ % 2] as number,
    });
    const checked: number[] = [];
    for (let minute = 0; minute < 6 * 60; minute += 1) {
      const report = await runHealthChecks(new Date(clock), d);
      for (const c of report.checks) checked.push(c.orgIds.length);
      clock += MINUTE;
    }
    expect(checked.length).toBeGreaterThan(3);
    expect(checked.every((orgs) => orgs === 2)).toBe(true);
    expect(apis.bufdir.control.count()).toBe(checked.length);
  });

  it("one org's failed write leaves the other orgs of the check recorded, and says so", async () => {
    const lines: Record<string, unknown>[] = [];
    const real = createSqlRpc(db.sql, SERVICE);
    let failed = false;
    const rpc: typeof real = {
      rpc(fn, args) {
        if (fn === 'record_integration_health_check' && args?.p_org_id === ORG_A && !failed) {
          failed = true;
          return Promise.reject(new Error('CONNECTION_CLOSED'));
        }
        return real.rpc(fn, args);
      },
    };
    const targets = [ORG_A, ORG_B].map((orgId) => ({ orgId, integrationType: 'xledger' }));
    await runHealthChecks(new Date(clock), deps({ rpc, targets, log: (line) => lines.push(line) }));
    expect(await row(ORG_B, 'xledger')).toMatchObject({ status: 'healthy' });
    expect((await row(ORG_B, 'xledger')).lastCheckedAt?.getTime()).toBe(clock);
    expect((await row(ORG_A, 'xledger')).lastCheckedAt).toBeNull();
    expect(lines).toContainEqual(
      expect.objectContaining({ event: 'integration_health_not_recorded', orgIds: [ORG_A], code: 'unavailable' }),
    );
  });

  it('two monitors at the same time check each row once', async () => {
    const targets = [
      { orgId: ORG_A, integrationType: 'xledger' },
      { orgId: ORG_A, integrationType: 'dynamics' },
    ];
    for (const t of targets) await repository().register(t.orgId, t.integrationType, new Date(clock));
    await Promise.all([runHealthChecks(new Date(clock), deps()), runHealthChecks(new Date(clock), deps())]);
    expect(apis.xledger.control.count()).toBe(1);
    expect(apis.dynamics.control.count('health')).toBe(1);
  });

  it('marks an integration without an adapter unhealthy, with the reason', async () => {
    await runHealthChecks(new Date(clock), deps({ targets: [{ orgId: ORG_A, integrationType: 'visma' }] }));
    expect(await row(ORG_A, 'visma')).toMatchObject({
      status: 'unhealthy',
      lastError: 'no adapter for integration visma',
    });
  });

  it('the database refuses a next check sooner than 15 minutes, whatever the caller says', async () => {
    const repo = repository();
    await repo.register(ORG_A, 'xledger', new Date(clock));
    const r = await repo.recordCheck({
      orgId: ORG_A,
      integrationType: 'xledger',
      checkedAt: new Date(clock),
      healthy: true,
      latencyMs: 3,
      error: null,
      nextCheckAt: new Date(clock + MINUTE),
    });
    expect(r.nextCheckAt.getTime()).toBe(clock + 15 * MINUTE);
    await expect(repo.claimDue(new Date(clock), 60, 10)).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});
