// The warm-up step of the tick: which functions to ping before the periods coming next (one ping per URL, however
// many orgs' runs it serves), and the cold-start incidents they reveal (an alert for each org concerned, once).
import { SyncRunLogError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { nextPeriod, type ScheduleCron } from './cron.ts';
import type { AlertNotice } from './notify.ts';
import type { Schedule } from './schedule.types.ts';
import type { TickDeps, TickError, TickReport } from './tick.types.ts';
import { isWarmUpTick, ping, safeUrl, WARM_UP_DEFAULTS } from './warm-up.ts';

export type WarmUpTargets = Map<string, { integrationType: string; period: Date; orgIds: string[] }>;

export function collectWarmUp(
  schedule: Schedule,
  cron: ScheduleCron,
  now: Date,
  deps: TickDeps,
  warmUps: WarmUpTargets,
): void {
  if (!deps.warmUp) return;
  const next = nextPeriod(cron, now);
  const lead = deps.warmUp.leadMs ?? WARM_UP_DEFAULTS.leadMs;
  const window = deps.warmUp.windowMs ?? WARM_UP_DEFAULTS.windowMs;
  if (!next || !isWarmUpTick(next, now, lead, window)) return;
  const url = deps.warmUp.url(schedule.integrationType);
  if (!url) return;
  const entry = warmUps.get(url) ?? { integrationType: schedule.integrationType, period: next, orgIds: [] };
  entry.orgIds.push(schedule.orgId);
  if (next < entry.period) entry.period = next;
  warmUps.set(url, entry);
}

export async function warmUp(
  deps: TickDeps,
  now: Date,
  targets: WarmUpTargets,
  report: TickReport,
  fail: (error: TickError) => void,
  alert: (notice: AlertNotice) => Promise<void>,
  log: Logger,
): Promise<void> {
  const options = deps.warmUp;
  if (!options) return;
  await Promise.all(
    [...targets].map(async ([url, target]) => {
      const result = await ping(url, options);
      const period = target.period.toISOString();
      const shownUrl = safeUrl(url);
      report.warmUps.push({
        integrationType: target.integrationType,
        url: shownUrl,
        period,
        latencyMs: result.latencyMs,
        coldStart: result.coldStart,
        error: result.error,
        orgIds: target.orgIds,
      });
      log.log(
        result.coldStart ? 'warn' : 'info',
        result.coldStart ? 'cold start before a scheduled run' : 'warm-up ping',
        {
          event: result.coldStart ? 'cold_start' : 'warm_up',
          url: shownUrl,
          integrationType: target.integrationType,
          period,
          latencyMs: result.latencyMs,
          status: result.status,
          error: result.error,
          secondsAhead: (target.period.getTime() - now.getTime()) / 1000,
        },
      );
      if (!result.coldStart) return;
      const details = {
        url: shownUrl,
        period,
        latencyMs: result.latencyMs,
        thresholdMs: options.coldStartThresholdMs ?? WARM_UP_DEFAULTS.coldStartThresholdMs,
        status: result.status,
        timedOut: result.timedOut,
        error: result.error,
      };
      for (const orgId of target.orgIds) {
        try {
          const recorded = await deps.scheduler.recordAlert({
            orgId,
            kind: 'cold_start',
            integrationType: target.integrationType,
            details,
            dedupeKey: `cold_start:${target.integrationType}:${period}`,
          });
          if (recorded)
            await alert({
              kind: 'cold_start',
              orgId,
              integrationType: target.integrationType,
              runId: null,
              alertId: recorded.id,
              details,
            });
        } catch (error) {
          fail({ stage: 'warm_up', orgId, integrationType: target.integrationType, ...describe(error) });
        }
      }
    }),
  );
}

/** A failure as the tick reports it: typed errors keep their code, anything else is internal. */
export function describe(error: unknown): { code: string; message: string } {
  if (error instanceof SyncRunLogError) return { code: error.code, message: error.message };
  return { code: 'internal', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}
