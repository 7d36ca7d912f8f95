// The monitor's timing: a check at most every 15 minutes, exponential backoff with jitter after failures (capped),
// and a passive cool-down after the vendor says 429 or Retry-After. From the server environment or given in code.
import type { Env } from '../integrations/config.ts';

export const MINUTE_MS = 60_000;
/** The floor between two checks of one (org, integration); the database enforces it too. */
export const MIN_CHECK_INTERVAL_MS = 15 * MINUTE_MS;

export interface HealthConfig {
  /** Between two checks of a healthy integration; at least 15 minutes. */
  intervalMs: number;
  /** The longest wait between checks of a failing integration. */
  backoffCapMs: number;
  /** Up to this share of a backoff step is added at random (0..1), so monitors of many deployments spread out. */
  jitterRatio: number;
  /** How long a rate-limited integration stays passive (longer when Retry-After says so); at least 15 minutes. */
  passiveCooldownMs: number;
  /** Most rows one run of the monitor checks. */
  batchLimit: number;
}

export const DEFAULT_HEALTH_CONFIG: HealthConfig = {
  intervalMs: MIN_CHECK_INTERVAL_MS,
  backoffCapMs: 6 * 60 * MINUTE_MS,
  jitterRatio: 0.2,
  passiveCooldownMs: 60 * MINUTE_MS,
  batchLimit: 500,
};

/** Completes and checks a configuration; a bad one throws and nothing runs. */
export function healthConfig(overrides: Partial<HealthConfig> = {}): HealthConfig {
  const config = { ...DEFAULT_HEALTH_CONFIG, ...overrides };
  if (!Number.isFinite(config.intervalMs) || config.intervalMs < MIN_CHECK_INTERVAL_MS) {
    throw new Error('the health check interval must be at least 15 minutes');
  }
  if (!Number.isFinite(config.backoffCapMs) || config.backoffCapMs < config.intervalMs) {
    throw new Error('the health backoff cap must be at least the check interval');
  }
  if (!(config.jitterRatio >= 0 && config.jitterRatio <= 1))
    throw new Error('the health jitter ratio must be between 0 and 1');
  if (!Number.isFinite(config.passiveCooldownMs) || config.passiveCooldownMs < MIN_CHECK_INTERVAL_MS) {
    throw new Error('the passive cool-down must be at least 15 minutes');
  }
  if (!Number.isInteger(config.batchLimit) || config.batchLimit < 1 || config.batchLimit > 10_000) {
    throw new Error('the health batch limit must be 1 to 10000');
  }
  return config;
}

/** HEALTH_CHECK_INTERVAL_MINUTES, HEALTH_BACKOFF_CAP_MINUTES, HEALTH_JITTER_RATIO, HEALTH_PASSIVE_COOLDOWN_MINUTES. */
export function healthConfigFromEnv(env: Env): HealthConfig {
  const number = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got "${raw}"`);
    return value;
  };
  const overrides: Partial<HealthConfig> = {};
  const interval = number('HEALTH_CHECK_INTERVAL_MINUTES');
  const cap = number('HEALTH_BACKOFF_CAP_MINUTES');
  const jitter = number('HEALTH_JITTER_RATIO');
  const cooldown = number('HEALTH_PASSIVE_COOLDOWN_MINUTES');
  if (interval !== undefined) overrides.intervalMs = interval * MINUTE_MS;
  if (cap !== undefined) overrides.backoffCapMs = cap * MINUTE_MS;
  if (jitter !== undefined) overrides.jitterRatio = jitter;
  if (cooldown !== undefined) overrides.passiveCooldownMs = cooldown * MINUTE_MS;
  return healthConfig(overrides);
}

/**
 * The wait before the next check after `consecutiveFailures` failures in a row (0: healthy): the interval doubled per
 * failure, plus up to jitterRatio of it at random, capped; never below the interval.
 */
export function nextCheckDelayMs(consecutiveFailures: number, config: HealthConfig, random: () => number): number {
  if (consecutiveFailures <= 0) return config.intervalMs;
  const step = Math.min(config.backoffCapMs, config.intervalMs * 2 ** Math.min(consecutiveFailures - 1, 30));
  const jittered = step * (1 + config.jitterRatio * Math.min(1, Math.max(0, random())));
  return Math.round(Math.max(config.intervalMs, Math.min(config.backoffCapMs, jittered)));
}

/** How long to stay passive after a 429: the cool-down, or Retry-After when that is longer. */
export function passiveDurationMs(config: HealthConfig, retryAfterSeconds: number | undefined): number {
  return Math.max(config.passiveCooldownMs, (retryAfterSeconds ?? 0) * 1000);
}
