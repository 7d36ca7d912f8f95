// Alerts: drift, stuck runs, failed runs, missed periods, cold starts and a stopped scheduler, newest first, in keyset
// pages (cursor in the URL). Each says what happened in a sentence, links to its run or its period (the ledger's
// day), and can be acknowledged.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Alert } from '../api.ts';
import { asApiError, markViewReady, useApp, useLoad } from '../app-context.ts';
import { Problem, useProblemText } from '../components/problem.tsx';
import { ScrollRegion } from '../components/scroll-region.tsx';
import { type IconName, StatusLabel, type Tone } from '../components/status.tsx';
import { Time, VIEWER_ZONE } from '../components/time.tsx';
import { focusLost } from '../focus.ts';
import type { Formats } from '../format.ts';
import { dayKeyOf } from '../format.ts';
import type { Messages } from '../i18n.ts';
import { hrefOf, type ViewState } from '../url-state.ts';

export const ALERTS_PAGE_SIZE = 50;

const KIND_LOOK: Record<string, { icon: IconName; tone: Tone }> = {
  schedule_drift: { icon: 'clock', tone: 'warn' },
  stuck_run: { icon: 'pause', tone: 'bad' },
  run_failed: { icon: 'cross', tone: 'bad' },
  missed_periods: { icon: 'missed', tone: 'bad' },
  cold_start: { icon: 'warning', tone: 'warn' },
  scheduler_stalled: { icon: 'pause', tone: 'bad' },
};

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** What happened, in a sentence, from the alert's details (docs/scheduler.md lists them per kind). */
export function alertSentence(alert: Alert, t: Messages, f: Formats, zone: string): string {
  const d = alert.details;
  switch (alert.kind) {
    case 'schedule_drift': {
      const drift = num(d.drift_seconds);
      return drift === null ? t.alerts.other : t.alerts.drift(f.duration(drift));
    }
    case 'stuck_run': {
      const seen = text(d.last_seen_at);
      return seen ? t.alerts.stuck(f.dateTime(seen, zone)) : t.alerts.other;
    }
    case 'run_failed': {
      const count = failedCountOf(alert);
      const message = text(d.last_error_message) ?? text(d.error_message);
      const last = text(d.last_failed_at);
      if (count > 1 && last) return t.alerts.failedAgain(count, f.dateTime(last, zone), message);
      return t.alerts.failed(message);
    }
    case 'missed_periods':
      return t.alerts.missed(num(d.missed_count) ?? (Array.isArray(d.missed_periods) ? d.missed_periods.length : 1));
    case 'cold_start':
      return t.alerts.coldStart(f.number(num(d.latencyMs) ?? 0));
    case 'scheduler_stalled': {
      const last = text(d.last_tick_at);
      return t.alerts.stalled(last ? f.dateTime(last, zone) : null);
    }
    default:
      return t.alerts.other;
  }
}

/**
 * The failures the user sees on a run_failed alert (its sentence says how many), sent with the acknowledgement so
 * that one counted in since the page loaded is not acknowledged unseen. Other kinds count nothing: none is sent.
 */
export function seenFailedCount(alert: Alert): number | undefined {
  return alert.kind === 'run_failed' ? failedCountOf(alert) : undefined;
}

/** A run_failed alert's failures: its failed_count, or the one failure it opened with. */
function failedCountOf(alert: Alert): number {
  return num(alert.details.failed_count) ?? 1;
}

/** Where an alert leads: its run's detail, or for a period (missed, cold start) the ledger's day of that period. */
export function alertTarget(alert: Alert, zone: string): { href: string; kind: 'run' | 'period' } | null {
  const type = alert.integrationType ?? undefined;
  if (!type) return null;
  const period =
    alert.kind === 'missed_periods'
      ? text(alert.details.first_missed)
      : alert.kind === 'cold_start'
        ? text(alert.details.period)
        : null;
  if (period) return { href: hrefOf({ view: 'integration', type, day: dayKeyOf(period, zone) }), kind: 'period' };
  // A run_failed alert counts the failures after its first: it leads to the latest.
  const lastRun = alert.kind === 'run_failed' ? text(alert.details.last_run_id) : null;
  if (lastRun) return { href: hrefOf({ view: 'integration', type, run: lastRun }), kind: 'run' };
  if (alert.runId) return { href: hrefOf({ view: 'integration', type, run: alert.runId }), kind: 'run' };
  return null;
}

export function AlertsView({ state }: { state: ViewState }) {
  const { api, t } = useApp();
  const zones = useLoad('alerts:zones', () => api.integrations());
  const load = useLoad(`alerts:${state.cursor ?? ''}`, () =>
    api.alerts({ before: state.cursor, limit: ALERTS_PAGE_SIZE }),
  );
  useEffect(() => {
    if (load.state === 'loaded' && zones.state !== 'loading') markViewReady('alerts');
  }, [load.state, zones.state]);
  const zoneOf = (type: string | null) =>
    (zones.state === 'loaded'
      ? zones.data.find((entry) => entry.integrationType === type)?.schedule?.timeZone
      : null) ?? VIEWER_ZONE;

  return (
    <>
      <h1 tabIndex={-1}>{t.alerts.heading}</h1>
      <p class="intro">{t.alerts.intro}</p>
      {load.state === 'loading' || zones.state === 'loading' ? <p class="loading">{t.app.loading}</p> : null}
      {load.state === 'failed' ? (
        <Problem
          error={load.error}
          retry={load.reload}
          firstPage={state.cursor ? { href: hrefOf({ view: 'alerts' }), label: t.alerts.newest } : undefined}
        />
      ) : null}
      {load.state === 'loaded' && zones.state !== 'loading' ? (
        <AlertsTable alerts={load.data.items} nextCursor={load.data.nextCursor} state={state} zoneOf={zoneOf} />
      ) : null}
    </>
  );
}

interface TableProps {
  alerts: Alert[];
  nextCursor: string | null;
  state: ViewState;
  zoneOf(type: string | null): string;
}

const stateId = (alertId: string) => `alert-state-${alertId}`;

function AlertsTable({ alerts: loaded, nextCursor, state, zoneOf }: TableProps) {
  const { api, t, f, sessionEnded } = useApp();
  const problemText = useProblemText();
  const [alerts, setAlerts] = useState(loaded);
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  // The button pressed is disabled while its request is out, then replaced by "Acknowledged <time>": the focus goes
  // to what stands in its cell (the button again when it failed).
  const pressed = useRef<string | null>(null);
  useLayoutEffect(() => {
    const id = pressed.current;
    if (busy !== null || id === null) return;
    pressed.current = null;
    if (focusLost()) document.getElementById(stateId(id))?.focus();
  }, [busy]);

  const acknowledge = async (alert: Alert) => {
    pressed.current = alert.id;
    setBusy(alert.id);
    setMessage('');
    try {
      const done = await api.acknowledge(alert.id, seenFailedCount(alert));
      setAlerts((all) => all.map((a) => (a.id === done.id ? { ...a, acknowledgedAt: done.acknowledgedAt } : a)));
      setMessage(t.alerts.acknowledged);
    } catch (error) {
      const apiError = asApiError(error);
      if (apiError.code === 'unauthorized') return sessionEnded();
      setMessage(problemText(apiError));
      // Failures were counted into the alert after the page loaded, and nothing was acknowledged: the page is read
      // again so that the row says what there is to see now, before anyone presses Acknowledge again.
      if (apiError.code === 'alert_changed') await reread(alert, num(apiError.details.failedCount));
    } finally {
      setBusy(null);
    }
  };

  /** The page's alerts as they are now; should that read fail, at least the changed alert's new count. */
  const reread = async (changed: Alert, failedCount: number | null) => {
    try {
      setAlerts((await api.alerts({ before: state.cursor, limit: ALERTS_PAGE_SIZE })).items);
    } catch {
      if (failedCount === null) return;
      setAlerts((all) =>
        all.map((a) => (a.id === changed.id ? { ...a, details: { ...a.details, failed_count: failedCount } } : a)),
      );
    }
  };

  if (alerts.length === 0) return <p class="empty">{t.alerts.none}</p>;
  return (
    <>
      <p class="message" role="status" aria-live="polite">
        {message}
      </p>
      <ScrollRegion labelledBy="alerts-caption">
        {/* The roles are the elements' own, said again (so Biome's noRedundantRoles is off for this file): on a
            narrow screen the rows are laid out as blocks (styles.css), and a browser may then drop a table's
            semantics unless its roles are explicit. */}
        <table class="alerts" role="table" aria-labelledby="alerts-caption">
          <caption id="alerts-caption">{t.alerts.caption}</caption>
          <thead role="rowgroup">
            <tr role="row">
              {[
                t.alerts.raised,
                t.alerts.kindColumn,
                t.alerts.integration,
                t.alerts.what,
                t.alerts.goTo,
                t.alerts.state,
              ].map((head) => (
                <th key={head} scope="col" role="columnheader">
                  {head}
                </th>
              ))}
            </tr>
          </thead>
          <tbody role="rowgroup">
            {alerts.map((alert) => {
              const zone = zoneOf(alert.integrationType);
              const kind = t.alerts.kind[alert.kind] ?? alert.kind;
              const look = KIND_LOOK[alert.kind] ?? { icon: 'bell' as const, tone: 'muted' as const };
              const name = alert.integrationType ? t.integrationName(alert.integrationType) : t.alerts.allOrg;
              const target = alertTarget(alert, zone);
              return (
                <tr key={alert.id} role="row">
                  <th scope="row" role="rowheader">
                    <Time iso={alert.createdAt} zone={zone} />
                  </th>
                  <td role="cell" class="kind">
                    <StatusLabel look={{ ...look, word: kind }} />
                  </td>
                  <td role="cell" class="integration">
                    {name}
                  </td>
                  <td role="cell">{alertSentence(alert, t, f, zone)}</td>
                  <td role="cell" class={target ? undefined : 'nothing'}>
                    {target ? (
                      <a href={target.href}>
                        {target.kind === 'run' ? t.alerts.openRun : t.alerts.openPeriod}
                        <span class="visually-hidden">
                          {' '}
                          ({kind}, {name})
                        </span>
                      </a>
                    ) : (
                      '–'
                    )}
                  </td>
                  <td role="cell">
                    {alert.acknowledgedAt ? (
                      <span class="muted" id={stateId(alert.id)} tabIndex={-1}>
                        {t.alerts.acknowledgedOn(f.dateTime(alert.acknowledgedAt, zone))}
                      </span>
                    ) : (
                      <button
                        type="button"
                        id={stateId(alert.id)}
                        disabled={busy === alert.id}
                        onClick={() => acknowledge(alert)}
                      >
                        {t.alerts.acknowledge}
                        <span class="visually-hidden">
                          {' '}
                          ({t.alerts.acknowledgeLabel(kind, name, f.dateTime(alert.createdAt, zone))})
                        </span>
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </ScrollRegion>
      <nav class="pager" aria-label={t.alerts.heading}>
        {state.cursor ? (
          <a href={hrefOf({ view: 'alerts' })} onClick={onPage}>
            {t.alerts.newest}
          </a>
        ) : null}
        {nextCursor ? (
          <a href={hrefOf({ view: 'alerts', cursor: nextCursor })} rel="next" onClick={onPage}>
            {t.alerts.older}
          </a>
        ) : null}
      </nav>
    </>
  );
}

/**
 * Another page: the table waits for its alerts and the link pressed goes, so the focus goes to the page's heading
 * (as the history's pager does), unless the link opens elsewhere (a new tab or window).
 */
function onPage(event: MouseEvent): void {
  if (event.ctrlKey || event.metaKey || event.shiftKey) return;
  document.querySelector<HTMLElement>('main h1')?.focus();
}
