// The monitor's timing rules, as pure functions with injected randomness.
import { describe, expect, it } from 'vitest';
import {
  healthConfig,
  healthConfigFromEnv,
  MINUTE_MS,
  nextCheckDelayMs,
  passiveDurationMs,
} from '../../supabase/functions/_shared/health/health-config.ts';

const config = healthConfig();
const minutes = (ms: number) => ms / MINUTE_MS;

describe('nextCheckDelayMs', () => {
  it('waits the 15-minute interval while healthy', () => {
    expect(minutes(nextCheckDelayMs(0, config, () => 0.9))).toBe(15);
  });

  it('doubles per consecutive failure, adds jitter, and stops at the cap', () => {
    const sequence = [1, 2, 3, 4, 5, 6, 7, 20, 1000].map((n) => minutes(nextCheckDelayMs(n, config, () => 0.5)));
    expect(sequence).toEqual([16.5, 33, 66, 132, 264, 360, 360, 360, 360]);
  });

  it('never goes below the floor nor above the cap, whatever the randomness', () => {
    for (const random of [0, 0.25, 0.999, 1, -5, 7]) {
      for (let failures = 0; failures < 12; failures += 1) {
        const delay = nextCheckDelayMs(failures, config, () => random);
        expect(delay).toBeGreaterThanOrEqual(15 * MINUTE_MS);
        expect(delay).toBeLessThanOrEqual(6 * 60 * MINUTE_MS);
      }
    }
    expect(minutes(nextCheckDelayMs(1, config, () => 0))).toBe(15);
    expect(minutes(nextCheckDelayMs(1, config, () => 1))).toBe(18);
  });
});

describe('configuration', () => {
  it('refuses an interval under 15 minutes, a cap under the interval, a short cool-down, a bad jitter', () => {
    expect(() => healthConfig({ intervalMs: 14 * MINUTE_MS })).toThrow('at least 15 minutes');
    expect(() => healthConfig({ backoffCapMs: 10 * MINUTE_MS })).toThrow('cap');
    expect(() => healthConfig({ passiveCooldownMs: 5 * MINUTE_MS })).toThrow('cool-down');
    expect(() => healthConfig({ jitterRatio: 2 })).toThrow('jitter');
    expect(() => healthConfigFromEnv({ HEALTH_CHECK_INTERVAL_MINUTES: 'often' })).toThrow('must be a number');
    expect(healthConfigFromEnv({ HEALTH_PASSIVE_COOLDOWN_MINUTES: '90' }).passiveCooldownMs).toBe(90 * MINUTE_MS);
  });

  it('stays passive for the cool-down, or for Retry-After when that is longer', () => {
    expect(minutes(passiveDurationMs(config, undefined))).toBe(60);
    expect(minutes(passiveDurationMs(config, 120))).toBe(60);
    expect(minutes(passiveDurationMs(config, 7200))).toBe(120);
  });
});
