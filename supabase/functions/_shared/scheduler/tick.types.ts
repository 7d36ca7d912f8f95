// What the tick needs (its dependencies, all injected: the clock is the `now` argument) and what it reports.
import type { Logger } from '../log.ts';
import type { StartedRun } from './executor.ts';
import type { ClaimedEntry, QueueDeps } from './queued-runs.ts';
import type { ReapedRun } from './schedule.types.ts';
import type { SchedulerRepository } from './scheduler.repository.ts';
import type { WarmUpOptions } from './warm-up.ts';

export interface TickDeps {
  /** Starts periods (startScheduledPeriod, with the period's key) and more: the database decides who gets a period. */
  scheduler: SchedulerRepository;
  /** Receives every run this tick started or claimed (RunExecutor.start); unset: runs are started, not executed. */
  execute?: (run: StartedRun) => unknown;
  /** The "Sync now" queue (IntegrationsRepository): queued runs are claimed and executed; unset: none are. */
  queue?: QueueDeps['queue'];
  /** Queued runs claimed per tick (default 25). */
  claimLimit?: number;
  log?: Logger;
  /** A run that starts later than this after its period is a schedule_drift alert (default 300 s). */
  driftThresholdSeconds?: number;
  /** Run timeout for runs of integrations without a schedule (default 1800 s). */
  defaultRunTimeoutSeconds?: number;
  /** ALERT_WEBHOOK_URL: every alert is POSTed here too. */
  alertWebhookUrl?: string | null;
  /** Timeout of the webhook POST (default 10 s). */
  webhookTimeoutMs?: number;
  /** Warm-up pings before scheduled runs; unset: none. */
  warmUp?: WarmUpOptions | null;
  /** fetch for the webhook (tests inject one); warm-up pings use warmUp.fetch. */
  fetch?: typeof fetch;
  /**
   * Waits before retrying a drift check or missed-period record the database could not answer (default 0.5 s, 2 s):
   * both are idempotent, and one lost is an alert never raised.
   */
  retryDelaysMs?: readonly number[];
  /** Schedules handled at once (default 8). */
  concurrency?: number;
  /** The health monitor's step (runHealthChecks), given every enabled schedule's (org, integration); unset: none. */
  health?: (now: Date, targets: { orgId: string; integrationType: string }[]) => Promise<unknown>;
  /**
   * Told once the due runs are started (steps 1 to 4), with the report so far, before the warm-up pings, the health
   * checks and the alert webhooks, which may wait on slow servers: the function answers pg_net then.
   */
  onStarted?: (report: TickReport) => void;
}

export type SkipReason = 'duplicate_period' | 'already_running' | 'superseded';

export interface StartedEntry {
  orgId: string;
  integrationType: string;
  period: string;
  runId: string;
  driftSeconds: number | null;
}

export interface SkippedEntry {
  orgId: string;
  integrationType: string;
  period: string;
  reason: SkipReason;
}

export interface MissedEntry {
  orgId: string;
  integrationType: string;
  /** The run started instead (for the latest period). */
  runId: string;
  count: number;
  periods: string[];
}

export interface WarmUpEntry {
  integrationType: string;
  url: string;
  period: string;
  latencyMs: number;
  coldStart: boolean;
  error: string | null;
  orgIds: string[];
}

export interface TickError {
  stage: 'reap' | 'claim' | 'schedules' | 'due' | 'start' | 'drift' | 'missed' | 'warm_up' | 'health';
  orgId?: string;
  integrationType?: string;
  code: string;
  message: string;
}

export interface TickReport {
  now: string;
  /** Queued "Sync now" runs this tick claimed and handed to the executor. */
  claimed: ClaimedEntry[];
  started: StartedEntry[];
  skipped: SkippedEntry[];
  missed: MissedEntry[];
  reaped: ReapedRun[];
  warmUps: WarmUpEntry[];
  alerts: {
    kind: string;
    orgId: string;
    integrationType: string | null;
    runId: string | null;
    alertId: string | null;
  }[];
  errors: TickError[];
  /** The health monitor's report, when it ran. */
  health?: unknown;
}
