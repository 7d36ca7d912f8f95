// Status as an icon and a word, never colour alone: runs, the ledger's period outcomes, vendor health and alerts.
// The icon is decoration (aria-hidden); the word is the text that screen readers and everyone else read.
import type { ComponentChildren } from 'preact';
import type { Health, PeriodOutcome, SyncRun } from '../api.ts';
import { useApp } from '../app-context.ts';
import type { Messages } from '../i18n.ts';

export type Tone = 'ok' | 'bad' | 'warn' | 'info' | 'muted';
export type IconName =
  | 'check'
  | 'cross'
  | 'partial'
  | 'running'
  | 'clock'
  | 'cancelled'
  | 'missed'
  | 'warning'
  | 'pause'
  | 'unknown'
  | 'bell';

const PATHS: Record<IconName, ComponentChildren> = {
  check: <path d="M3 8.5l3.2 3.2L13 4.8" fill="none" stroke="currentColor" stroke-width="2" />,
  cross: <path d="M4 4l8 8M12 4l-8 8" fill="none" stroke="currentColor" stroke-width="2" />,
  partial: (
    <>
      <circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" stroke-width="1.6" />
      <path d="M8 2a6 6 0 0 1 0 12z" fill="currentColor" />
    </>
  ),
  running: (
    <path
      d="M13.5 8A5.5 5.5 0 1 1 8 2.5M8 2.5h3.5M8 2.5V6"
      fill="none"
      stroke="currentColor"
      stroke-width="1.8"
      stroke-linecap="round"
    />
  ),
  clock: (
    <>
      <circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" stroke-width="1.6" />
      <path d="M8 4.5V8l2.5 1.8" fill="none" stroke="currentColor" stroke-width="1.6" />
    </>
  ),
  cancelled: (
    <>
      <circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" stroke-width="1.6" />
      <path d="M3.8 12.2l8.4-8.4" stroke="currentColor" stroke-width="1.6" />
    </>
  ),
  missed: (
    <>
      <circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" stroke-width="1.6" stroke-dasharray="2.4 2" />
      <path d="M5 8h6" stroke="currentColor" stroke-width="1.6" />
    </>
  ),
  warning: (
    <>
      <path d="M8 1.8L14.6 13.6H1.4z" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round" />
      <path d="M8 6v3.6M8 11.2v1.2" stroke="currentColor" stroke-width="1.6" />
    </>
  ),
  pause: <path d="M5.5 3.5v9M10.5 3.5v9" stroke="currentColor" stroke-width="2.2" />,
  unknown: (
    <>
      <circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" stroke-width="1.6" />
      <path d="M6.3 6.3a1.8 1.8 0 1 1 2.4 1.7c-.5.2-.7.6-.7 1.1v.4M8 11.3v.9" fill="none" stroke="currentColor" />
    </>
  ),
  bell: (
    <path
      d="M4 11.5V7.5a4 4 0 0 1 8 0v4l1 1.2H3zM6.6 13.8a1.5 1.5 0 0 0 2.8 0"
      fill="none"
      stroke="currentColor"
      stroke-width="1.5"
    />
  ),
};

export function Icon({ name }: { name: IconName }) {
  return (
    <svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
      {PATHS[name]}
    </svg>
  );
}

export interface StatusLook {
  icon: IconName;
  tone: Tone;
  word: string;
}

export function StatusLabel({ look, detail }: { look: StatusLook; detail?: ComponentChildren }) {
  return (
    <span class={`status tone-${look.tone}`}>
      <Icon name={look.icon} />
      <span class="status-word">{look.word}</span>
      {detail ? <span class="status-detail"> {detail}</span> : null}
    </span>
  );
}

/** A run: queued, running, completed, partly failed (completed with failed records), failed or cancelled. */
export function runLook(run: Pick<SyncRun, 'status' | 'recordsFailed'>, t: Messages): StatusLook {
  switch (run.status) {
    case 'pending':
      return { icon: 'clock', tone: 'info', word: t.status.pending };
    case 'running':
      return { icon: 'running', tone: 'info', word: t.status.running };
    case 'failed':
      return { icon: 'cross', tone: 'bad', word: t.status.failed };
    case 'cancelled':
      return { icon: 'cancelled', tone: 'muted', word: t.status.cancelled };
    default:
      return run.recordsFailed > 0
        ? { icon: 'partial', tone: 'warn', word: t.status.partlyFailed }
        : { icon: 'check', tone: 'ok', word: t.status.completed };
  }
}

export function outcomeLook(outcome: PeriodOutcome, t: Messages): StatusLook {
  switch (outcome) {
    case 'completed':
      return { icon: 'check', tone: 'ok', word: t.outcome.completed };
    case 'late':
      return { icon: 'clock', tone: 'warn', word: t.outcome.late };
    case 'missed':
      return { icon: 'missed', tone: 'bad', word: t.outcome.missed };
    case 'running':
      return { icon: 'running', tone: 'info', word: t.outcome.running };
    case 'failed':
      return { icon: 'cross', tone: 'bad', word: t.outcome.failed };
    case 'completed_with_failures':
      return { icon: 'partial', tone: 'warn', word: t.outcome.partlyFailed };
    case 'cancelled':
      return { icon: 'cancelled', tone: 'muted', word: t.outcome.cancelled };
    default:
      return { icon: 'clock', tone: 'muted', word: t.outcome.upcoming };
  }
}

export type HealthState = 'healthy' | 'degraded' | 'down' | 'passive' | 'unknown';

/** Down after this many failed checks in a row; degraded before. */
export const DOWN_AFTER_FAILURES = 3;

/**
 * The vendor's health in four words: passive (no pings: rate limited, judged by sync outcomes), healthy, degraded
 * (the last check failed, fewer than 3 in a row), down (3 or more in a row); unknown before the first check.
 */
export function healthState(health: Health | null): HealthState {
  if (!health) return 'unknown';
  if (health.mode === 'passive') return 'passive';
  if (health.status === 'healthy') return 'healthy';
  if (health.status === 'unhealthy') return health.consecutiveFailures >= DOWN_AFTER_FAILURES ? 'down' : 'degraded';
  return 'unknown';
}

export function healthLook(state: HealthState, t: Messages): StatusLook {
  switch (state) {
    case 'healthy':
      return { icon: 'check', tone: 'ok', word: t.health.healthy };
    case 'degraded':
      return { icon: 'warning', tone: 'warn', word: t.health.degraded };
    case 'down':
      return { icon: 'cross', tone: 'bad', word: t.health.down };
    case 'passive':
      return { icon: 'pause', tone: 'info', word: t.health.passive };
    default:
      return { icon: 'unknown', tone: 'muted', word: t.health.unknown };
  }
}

export function useRunLook(run: Pick<SyncRun, 'status' | 'recordsFailed'>): StatusLook {
  return runLook(run, useApp().t);
}
