// The scheduler assembled for a host (the sync-scheduler Edge Function, the local ticker): the repositories over
// one service-role rpc port (with the "Sync now" queue), the executor with the adapters and each run's connection
// from the database, a run_failed alert for every scheduled run that fails, the health monitor (its checks in every
// tick, and every sync's outcome recorded), and the settings from the environment.
import { type HealthMonitorDeps, recordSyncOutcome, runHealthChecks } from '../health/monitor.ts';
import type { AdapterRegistry } from '../integrations/integration.ts';
import { IntegrationsRepository } from '../integrations.repository.ts';
import type { Logger } from '../log.ts';
import type { RpcPort } from '../rpc-port.ts';
import { SyncRunLogRepository } from '../run-log.repository.ts';
import { type SchedulerSettings, tickOptions } from './config.ts';
import { DatabaseConnectionSource } from './connection-source.ts';
import { type ConnectionSource, RunExecutor, type RunOutcome, type StartedRun } from './executor.ts';
import { alertNotifier } from './notify.ts';
import { SchedulerRepository } from './scheduler.repository.ts';
import type { TickDeps } from './tick.types.ts';

export interface SchedulerRuntimeOptions {
  /** The database as the service role. */
  rpc: RpcPort;
  adapters: AdapterRegistry;
  /** Each run's credentials and settings (default: the org's connection in the database, through `rpc`). */
  connections?: ConnectionSource;
  log: Logger;
  settings: SchedulerSettings;
  /** The health monitor's settings; null: no health checks, no sync outcomes recorded. */
  health?: Pick<HealthMonitorDeps, 'config' | 'random'> | null;
  /** Keeps a started run's execution alive after the tick returns (Supabase: EdgeRuntime.waitUntil). */
  waitUntil?: (promise: Promise<unknown>) => void;
}

export interface SchedulerRuntime {
  deps: TickDeps;
  executor: RunExecutor;
  /** The "Sync now" queue the executor claims from. */
  queue: IntegrationsRepository;
}

export function createSchedulerRuntime(options: SchedulerRuntimeOptions): SchedulerRuntime {
  const { rpc, adapters, log, health } = options;
  const runLog = new SyncRunLogRepository(rpc);
  const scheduler = new SchedulerRepository(rpc);
  const queue = new IntegrationsRepository(rpc);
  const notifier = alertNotifier({
    log,
    webhookUrl: options.settings.alertWebhookUrl,
    timeoutMs: options.settings.httpTimeoutMs,
  });
  /**
   * A scheduled run that failed: its final write recorded a run_failed alert, told here when the run opened it. Should
   * this read fail, the alert is a row all the same (scheduler.repository.ts).
   */
  const alertFailure = async (run: StartedRun, outcome: RunOutcome) => {
    if (outcome.status !== 'failed' || run.scheduledFor === null) return;
    const alert = await scheduler.runAlert(run.orgId, run.runId, 'run_failed');
    if (!alert) return;
    notifier.notify({
      kind: alert.kind,
      orgId: alert.orgId,
      integrationType: alert.integrationType,
      runId: alert.runId,
      alertId: alert.id,
      details: alert.details,
    });
    await notifier.drained();
  };
  const recordHealth = async (run: StartedRun, outcome: RunOutcome, cause: unknown) => {
    if (!health || (outcome.status !== 'completed' && outcome.status !== 'failed')) return;
    // Not configured: the vendor was never asked, so the run says nothing about its health.
    if (outcome.errorCode === 'not_configured') return;
    const details = (cause as { code?: unknown; details?: { retryAfterSeconds?: number } } | null) ?? null;
    await recordSyncOutcome(
      {
        orgId: run.orgId,
        integrationType: run.integrationType,
        at: new Date(),
        succeeded: outcome.status === 'completed',
        errorMessage: outcome.errorMessage,
        rateLimited: details?.code === 'rate_limited',
        retryAfterSeconds: details?.details?.retryAfterSeconds,
      },
      { rpc, config: health.config },
    );
  };
  const executor = new RunExecutor({
    runLog,
    adapters,
    connections: options.connections ?? new DatabaseConnectionSource(rpc),
    log,
    // Both listeners run whatever the other does; the executor logs the first that failed.
    onEnded: async (run, outcome, cause) => {
      const failed = (await Promise.allSettled([alertFailure(run, outcome), recordHealth(run, outcome, cause)])).find(
        (result) => result.status === 'rejected',
      );
      if (failed) throw failed.reason;
    },
  });
  const deps: TickDeps = {
    ...tickOptions(options.settings),
    scheduler,
    queue,
    log,
    execute: (run) => {
      const running = executor.start(run);
      options.waitUntil?.(running);
    },
    health: health
      ? (now, targets) =>
          runHealthChecks(now, {
            rpc,
            adapters,
            targets,
            config: health.config,
            random: health.random,
            log: (line) => log.log('info', 'health check', line),
          })
      : undefined,
  };
  return { deps, executor, queue };
}
