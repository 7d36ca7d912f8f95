// The scheduler's settings from the environment (Deno.env.toObject() in the Edge Function, process.env locally).
// Every value has a default; a value that is set but malformed is refused at start with a message naming it.
//   ALERT_WEBHOOK_URL                 POST every alert here too (unset: alerts are rows and log lines only)
//   SCHEDULER_DRIFT_ALERT_SECONDS     a run starting later than this after its period is an alert (300)
//   SCHEDULER_RUN_TIMEOUT_SECONDS     reaper timeout for integrations without a schedule (1800)
//   SCHEDULER_WARM_UP_URL             URL pinged before a run; `{integration}` is replaced (unset: see warmUpUrl)
//   SCHEDULER_WARM_UP_LEAD_MS         ping at least this long before the period (30000)
//   SCHEDULER_COLD_START_THRESHOLD_MS a slower first answer is a cold-start incident (2000)
//   SCHEDULER_HTTP_TIMEOUT_MS         timeout of the warm-up ping and the webhook POST (10000)
import { type Env, integerFromEnv } from '../env.ts';
import type { TickDeps } from './tick.types.ts';

export interface SchedulerSettings {
  alertWebhookUrl: string | null;
  driftThresholdSeconds: number;
  defaultRunTimeoutSeconds: number;
  warmUpUrl: string | null;
  warmUpLeadMs: number;
  coldStartThresholdMs: number;
  httpTimeoutMs: number;
}

function url(env: Env, name: string): string | null {
  const raw = env[name]?.trim();
  if (!raw) return null;
  try {
    const parsed = new URL(raw.replace('{integration}', 'x'));
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new Error(`${name} must be an http(s) URL`);
  }
  return raw;
}

/** `defaultWarmUpUrl`: where to ping when SCHEDULER_WARM_UP_URL is unset (e.g. this function's /warm). */
export function schedulerSettingsFromEnv(env: Env, defaultWarmUpUrl: string | null = null): SchedulerSettings {
  return {
    alertWebhookUrl: url(env, 'ALERT_WEBHOOK_URL'),
    driftThresholdSeconds: integerFromEnv(env, 'SCHEDULER_DRIFT_ALERT_SECONDS', 300, 0, 86_400),
    defaultRunTimeoutSeconds: integerFromEnv(env, 'SCHEDULER_RUN_TIMEOUT_SECONDS', 1800, 60, 86_400),
    warmUpUrl: url(env, 'SCHEDULER_WARM_UP_URL') ?? defaultWarmUpUrl,
    warmUpLeadMs: integerFromEnv(env, 'SCHEDULER_WARM_UP_LEAD_MS', 30_000, 0, 3_600_000),
    coldStartThresholdMs: integerFromEnv(env, 'SCHEDULER_COLD_START_THRESHOLD_MS', 2_000, 1, 600_000),
    httpTimeoutMs: integerFromEnv(env, 'SCHEDULER_HTTP_TIMEOUT_MS', 10_000, 100, 600_000),
  };
}

/** The part of the tick's dependencies the settings decide. */
export function tickOptions(settings: SchedulerSettings): Partial<TickDeps> {
  const warmUpUrl = settings.warmUpUrl;
  return {
    alertWebhookUrl: settings.alertWebhookUrl,
    webhookTimeoutMs: settings.httpTimeoutMs,
    driftThresholdSeconds: settings.driftThresholdSeconds,
    defaultRunTimeoutSeconds: settings.defaultRunTimeoutSeconds,
    warmUp: warmUpUrl
      ? {
          url: (integrationType) => warmUpUrl.replaceAll('{integration}', encodeURIComponent(integrationType)),
          leadMs: settings.warmUpLeadMs,
          coldStartThresholdMs: settings.coldStartThresholdMs,
          timeoutMs: settings.httpTimeoutMs,
        }
      : null,
  };
}
