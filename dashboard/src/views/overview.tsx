// Overview: one card per integration with its last run (status as icon and word, when, duration, records), the next
// period in the schedule's time zone, the vendor's health with its next check, open alerts, and "Sync now" (or
// "Cancel" while a run is queued or running). One GET /integrations; then only running runs are polled, the relative
// times are written again every half minute, and GET /integrations is asked again once a next period shown has passed.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Integration, SyncRun } from '../api.ts';
import { asApiError, markViewReady, useApp, useLoad } from '../app-context.ts';
import { Problem, useProblemText } from '../components/problem.tsx';
import { healthLook, healthState, runLook, StatusLabel } from '../components/status.tsx';
import { Time, VIEWER_ZONE } from '../components/time.tsx';
import { usePolling } from '../poll.ts';
import { hrefOf } from '../url-state.ts';

/** Queued or running: the runs that are polled and can be cancelled. */
export function isActive(run: SyncRun | null): boolean {
  return run !== null && (run.status === 'running' || run.status === 'pending');
}

const activeRun = (run: SyncRun | null): run is SyncRun => isActive(run);

/** How often the overview writes its relative times again ("in 2 minutes") and looks whether a next period passed. */
export const CLOCK_MS = 30_000;

/** A next period shown (an enabled schedule's first) is now in the past: the overview is out of date. */
export function nextPeriodPassed(integrations: Integration[], now: Date): boolean {
  return integrations.some((entry) => {
    const next = entry.schedule?.enabled ? entry.schedule.nextPeriods[0] : undefined;
    return next !== undefined && Date.parse(next) <= now.getTime();
  });
}

export function OverviewView() {
  const { api, t, now, sessionEnded } = useApp();
  const load = useLoad('overview', () => api.integrations());
  const [fresh, setFresh] = useState<Integration[] | null>(null);
  const [, setClock] = useState(0);
  const integrations = fresh ?? (load.state === 'loaded' ? load.data : null);
  // Paused in a hidden tab, as the polling of runs; stops with the view.
  usePolling(integrations !== null, CLOCK_MS, async () => {
    setClock((n) => n + 1);
    if (!integrations || !nextPeriodPassed(integrations, now())) return;
    try {
      setFresh(await api.integrations());
    } catch (error) {
      // The cards stay as they are; the next tick asks again.
      if (asApiError(error).code === 'unauthorized') sessionEnded();
    }
  });
  return (
    <>
      <h1 tabIndex={-1}>{t.overview.heading}</h1>
      <p class="intro">{t.overview.intro}</p>
      {load.state === 'loading' ? <p class="loading">{t.app.loading}</p> : null}
      {load.state === 'failed' ? <Problem error={load.error} retry={load.reload} /> : null}
      {integrations ? <Cards integrations={integrations} /> : null}
    </>
  );
}

function Cards({ integrations }: { integrations: Integration[] }) {
  const { api, config, sessionEnded, t } = useApp();
  const problemText = useProblemText();
  const [runs, setRuns] = useState<Record<string, SyncRun | null>>(() =>
    Object.fromEntries(integrations.map((entry) => [entry.integrationType, entry.lastRun])),
  );
  // Asked again: a newer last run (or a newer state of the one shown) replaces the one shown; a run shown that
  // started after it (a Sync now that answered meanwhile) stays.
  useEffect(() => {
    setRuns((all) => {
      let next = all;
      for (const { integrationType: type, lastRun } of integrations) {
        const shown = all[type] ?? null;
        if (!lastRun || lastRun === shown) continue;
        if (shown && shown.id !== lastRun.id && Date.parse(shown.startedAt) > Date.parse(lastRun.startedAt)) continue;
        next = { ...next, [type]: lastRun };
      }
      return next;
    });
  }, [integrations]);
  const [messages, setMessages] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<Record<string, boolean>>({});
  const say = (type: string, message: string) => setMessages((all) => ({ ...all, [type]: message }));

  useEffect(() => markViewReady('overview'), []);

  const active = Object.values(runs).filter(activeRun);
  usePolling(active.length > 0, config.pollMs, async () => {
    const updated = await Promise.all(
      active.map((run) =>
        api.run(run.id).catch((error: unknown) => {
          if (asApiError(error).code === 'unauthorized') sessionEnded();
          return run;
        }),
      ),
    );
    setRuns((all) => {
      const next = { ...all };
      for (const run of updated) {
        const shown = next[run.integrationType];
        if (shown?.id !== run.id) continue;
        next[run.integrationType] = run;
        // Told only when this poll saw the end: a Cancel that answered first has said so already.
        if (!isActive(run) && isActive(shown))
          say(run.integrationType, t.overview.runEnded(t.integrationName(run.integrationType), runLook(run, t).word));
      }
      return next;
    });
  });

  async function act(type: string, action: () => Promise<SyncRun>, done: string) {
    setBusy((all) => ({ ...all, [type]: true }));
    say(type, '');
    try {
      const run = await action();
      setRuns((all) => ({ ...all, [type]: run }));
      say(type, done);
    } catch (error) {
      const apiError = asApiError(error);
      if (apiError.code === 'unauthorized') return sessionEnded();
      const connection = integrations.find((entry) => entry.integrationType === type)?.connection;
      // Shown as connected, but disabled since the page loaded.
      say(
        type,
        apiError.code === 'not_configured' && connection ? t.overview.connectionDisabled : problemText(apiError),
      );
      // A run already queued or running (started elsewhere): the card shows it, polls it and offers Cancel, as if
      // it had started it.
      const existing = apiError.code === 'already_running' ? apiError.details.existingRunId : undefined;
      if (typeof existing === 'string') {
        try {
          const run = await api.run(existing);
          setRuns((all) => ({ ...all, [type]: run }));
        } catch (runError) {
          if (asApiError(runError).code === 'unauthorized') return sessionEnded();
        }
      }
    } finally {
      setBusy((all) => ({ ...all, [type]: false }));
    }
  }

  return (
    <ul class="cards">
      {integrations.map((entry) => {
        const type = entry.integrationType;
        const name = t.integrationName(type);
        const run = runs[type] ?? null;
        return (
          <li key={type}>
            <Card
              entry={entry}
              run={run}
              message={messages[type] ?? ''}
              busy={busy[type] === true}
              onSyncNow={() => act(type, () => api.syncNow(type), t.overview.syncStarted(name))}
              onCancel={() => run && act(type, () => api.cancel(run.id), t.overview.runCancelled(name))}
            />
          </li>
        );
      })}
    </ul>
  );
}

interface CardProps {
  entry: Integration;
  run: SyncRun | null;
  message: string;
  busy: boolean;
  onSyncNow(): void;
  onCancel(): void;
}

function Card({ entry, run, message, busy, onSyncNow, onCancel }: CardProps) {
  const { t, f, now } = useApp();
  const type = entry.integrationType;
  const name = t.integrationName(type);
  const zone = entry.schedule?.timeZone ?? VIEWER_ZONE;
  const next = entry.schedule?.enabled ? (entry.schedule.nextPeriods[0] ?? null) : null;
  const running = isActive(run);
  // Without a connection, or with a disabled one, it cannot sync (the API answers not_configured): no Sync now, the
  // note says who can connect it; Cancel still, while a run goes.
  const disabled = entry.connection !== null && !entry.connection.enabled;

  // Keyboard users keep their place: the button that replaces the one they pressed gets the focus, in the same
  // frame as the change (a layout effect), so the focus is never left on the page in between.
  const syncButton = useRef<HTMLButtonElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const status = useRef<HTMLParagraphElement>(null);
  const pressed = useRef(false);
  // While the request is under way the pressed button is disabled (and so loses the focus); once it has answered,
  // the focus goes to whichever button is there now (or what the card says, when there is none).
  useLayoutEffect(() => {
    if (!pressed.current || busy) return;
    pressed.current = false;
    (running ? cancelButton.current : (syncButton.current ?? status.current))?.focus();
  }, [running, busy]);

  const health = healthState(entry.health);
  const nextCheck = entry.health?.mode === 'passive' ? entry.health.passiveUntil : (entry.health?.nextCheckAt ?? null);

  return (
    <article class="card" aria-labelledby={`card-${type}`}>
      <h2 id={`card-${type}`}>
        <a href={hrefOf({ view: 'integration', type })}>{name}</a>
      </h2>
      <dl class="facts">
        <div>
          <dt>{t.overview.lastRun}</dt>
          <dd>
            {run ? (
              <LastRun run={run} zone={zone} />
            ) : !entry.connection ? (
              t.overview.noRuns
            ) : next ? (
              t.overview.noRunsWait(f.time(next, zone))
            ) : (
              t.overview.noRunsNoSchedule
            )}
          </dd>
        </div>
        <div>
          <dt>{t.overview.nextPeriod}</dt>
          <dd>
            {!entry.schedule ? (
              t.overview.noSchedule
            ) : next ? (
              <>
                <Time iso={next} zone={zone} /> <span class="muted">({f.relative(next, now())})</span>
              </>
            ) : (
              t.overview.schedulePaused
            )}
          </dd>
        </div>
        <div>
          <dt>{t.overview.vendor}</dt>
          <dd>
            <StatusLabel look={healthLook(health, t)} />
            {nextCheck ? (
              <span class="muted">
                {' '}
                · {health === 'passive' ? t.overview.passiveUntil : t.overview.nextCheck}{' '}
                <Time iso={nextCheck} zone={zone} />
              </span>
            ) : null}
          </dd>
        </div>
        <div>
          <dt>{t.overview.openAlerts}</dt>
          <dd>
            {entry.openAlerts > 0 ? (
              <a href={hrefOf({ view: 'alerts' })}>{t.overview.alertsCount(entry.openAlerts)}</a>
            ) : (
              t.overview.alertsCount(0)
            )}
          </dd>
        </div>
      </dl>
      {entry.connection ? null : <p class="note">{t.overview.notConnected}</p>}
      {disabled ? <p class="note">{t.overview.connectionDisabled}</p> : null}
      <div class="actions">
        {running ? (
          <button
            type="button"
            ref={cancelButton}
            disabled={busy}
            onClick={() => {
              pressed.current = true;
              onCancel();
            }}
          >
            {t.overview.cancel}
            <span class="visually-hidden"> ({name})</span>
          </button>
        ) : disabled || !entry.connection ? null : (
          <button
            type="button"
            class="primary"
            ref={syncButton}
            disabled={busy}
            onClick={() => {
              pressed.current = true;
              onSyncNow();
            }}
          >
            {t.overview.syncNow}
            <span class="visually-hidden"> ({name})</span>
          </button>
        )}
        <a href={hrefOf({ view: 'integration', type })} class="secondary-link">
          {t.overview.openHistory(name)}
        </a>
      </div>
      <p class="message" role="status" aria-live="polite" tabIndex={-1} ref={status}>
        {message}
      </p>
    </article>
  );
}

function LastRun({ run, zone }: { run: SyncRun; zone: string }) {
  const { t, f, now } = useApp();
  const look = runLook(run, t);
  const running = isActive(run);
  const seconds =
    run.durationSeconds ?? ((run.endedAt ? new Date(run.endedAt) : now()).getTime() - Date.parse(run.startedAt)) / 1000;
  return (
    <>
      <StatusLabel look={look} /> · <Time iso={run.startedAt} zone={zone} />{' '}
      <span class="muted">({f.relative(run.startedAt, now())})</span>
      <br />
      {run.status === 'pending' ? (
        <span class="progress">{t.overview.queuedFor(f.duration(seconds))}</span>
      ) : running ? (
        <span class="progress">
          {t.overview.runningFor(f.duration(seconds))} ·{' '}
          {t.overview.progress(f.number(run.recordsProcessed), f.number(run.recordsFailed))}
        </span>
      ) : (
        <span>
          {t.overview.tookDuration(f.duration(seconds))} ·{' '}
          {t.overview.records(f.number(run.recordsProcessed), f.number(run.recordsFailed))}
        </span>
      )}
    </>
  );
}
