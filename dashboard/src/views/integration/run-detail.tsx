// One run's detail (`?run=<id>` in the URL): status, trigger, period, times in the schedule's zone with the viewer's
// local time and UTC written out, records, the last heartbeat and the sanitised error as the API gives it.
// Polled while it runs; Cancel while it is queued or running. Closing it gives the focus back to the run's link.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { SyncRun } from '../../api.ts';
import { asApiError, useApp, useLoad } from '../../app-context.ts';
import { Problem, useProblemText } from '../../components/problem.tsx';
import { runLook, StatusLabel } from '../../components/status.tsx';
import { Time } from '../../components/time.tsx';
import { focusLost } from '../../focus.ts';
import { usePolling } from '../../poll.ts';
import { hrefOf, type ViewState } from '../../url-state.ts';
import { isActive } from '../overview.tsx';

export function RunDetail({ runId, state, zone }: { runId: string; state: ViewState; zone: string }) {
  const { api, t } = useApp();
  const load = useLoad(`run:${runId}`, () => api.run(runId));
  const heading = useRef<HTMLHeadingElement>(null);
  const section = useRef<HTMLElement>(null);
  useEffect(() => heading.current?.focus(), [runId]);
  // Before the heading takes the focus: what had it (the run's link in the history or the ledger). When the detail
  // closes with the focus inside (its Close link), the focus goes back there, or to another link to this run, or to
  // the history's heading; a layout effect's cleanup runs while the detail is still in the page.
  useLayoutEffect(() => {
    const opener = focusLost() ? null : document.activeElement;
    return () => {
      if (!section.current?.contains(document.activeElement)) return;
      const target =
        opener instanceof HTMLElement && opener.isConnected && !section.current.contains(opener)
          ? opener
          : (linkToRun(runId) ?? document.getElementById('history-heading'));
      target?.focus();
    };
  }, [runId]);
  const { f } = useApp();
  return (
    <section class="run-detail" aria-labelledby="run-heading" ref={section}>
      {/* One heading element throughout, so the focus it gets stays when the run has loaded. */}
      <h2 id="run-heading" tabIndex={-1} ref={heading}>
        {load.state === 'loaded' ? t.integration.runHeading(f.dateTime(load.data.startedAt, zone)) : t.integration.run}
      </h2>
      {load.state === 'loaded' ? <Detail run={load.data} zone={zone} /> : null}
      {load.state === 'loading' ? <p class="loading">{t.app.loading}</p> : null}
      {load.state === 'failed' ? <Problem error={load.error} /> : null}
      <p>
        <a href={hrefOf({ ...state, run: undefined })}>{t.integration.close}</a>
      </p>
    </section>
  );
}

/** A link of the page (the history's, the ledger's) that opens this run's detail. */
function linkToRun(runId: string): HTMLAnchorElement | undefined {
  return Array.from(document.querySelectorAll<HTMLAnchorElement>('main a[href^="?"]')).find(
    (link) => new URLSearchParams(link.search).get('run') === runId,
  );
}

function Detail({ run: loaded, zone }: { run: SyncRun; zone: string }) {
  const { api, t, f, now, config, sessionEnded } = useApp();
  const problemText = useProblemText();
  const [run, setRun] = useState(loaded);
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  // The Cancel button is disabled while its request is out, and gone once the run has ended: the focus then goes to
  // the status line that says so (to the button again when it is still there).
  const cancelButton = useRef<HTMLButtonElement>(null);
  const status = useRef<HTMLParagraphElement>(null);
  const pressed = useRef(false);
  useLayoutEffect(() => {
    if (!pressed.current || busy) return;
    pressed.current = false;
    if (focusLost()) (cancelButton.current ?? status.current)?.focus();
  }, [busy]);
  usePolling(isActive(run), config.pollMs, async () => {
    try {
      setRun(await api.run(run.id));
    } catch (error) {
      if (asApiError(error).code === 'unauthorized') sessionEnded();
    }
  });
  const cancel = async () => {
    pressed.current = true;
    setBusy(true);
    try {
      setRun(await api.cancel(run.id));
      setMessage(t.overview.runCancelled(t.integrationName(run.integrationType)));
    } catch (error) {
      const apiError = asApiError(error);
      if (apiError.code === 'unauthorized') return sessionEnded();
      setMessage(problemText(apiError));
    } finally {
      setBusy(false);
    }
  };
  const seconds =
    run.durationSeconds ??
    ((run.endedAt ? Date.parse(run.endedAt) : now().getTime()) - Date.parse(run.startedAt)) / 1000;
  // The viewer's own time only where it reads otherwise than the schedule's, which the time above is written in (a
  // viewer in Berlin reads an Oslo schedule's times as they are; so does one whose browser spells the zone the old way).
  const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const written = (iso: string) => {
    const local = f.dateTime(iso, viewerZone);
    return (
      <>
        <Time iso={iso} zone={zone} />
        <br />
        <span class="muted">
          {local === f.dateTime(iso, zone) ? null : `${t.integration.local}: ${local} · `}
          {t.integration.utc}: {f.dateTime(iso, 'UTC')}
        </span>
      </>
    );
  };

  return (
    <>
      <dl class="facts detail">
        <div>
          <dt>{t.integration.status}</dt>
          <dd>
            <StatusLabel look={runLook(run, t)} />
          </dd>
        </div>
        <div>
          <dt>{t.integration.trigger}</dt>
          <dd>{t.trigger[run.triggeredBy]}</dd>
        </div>
        <div>
          <dt>{t.integration.scheduledFor}</dt>
          <dd>{run.scheduledFor ? written(run.scheduledFor) : t.integration.manualNoPeriod}</dd>
        </div>
        <div>
          <dt>{t.integration.started}</dt>
          <dd>{written(run.startedAt)}</dd>
        </div>
        <div>
          <dt>{t.integration.ended}</dt>
          <dd>{run.endedAt ? written(run.endedAt) : '–'}</dd>
        </div>
        <div>
          <dt>{t.integration.duration}</dt>
          <dd>{f.duration(seconds)}</dd>
        </div>
        <div>
          <dt>{t.integration.records}</dt>
          <dd>{t.overview.records(f.number(run.recordsProcessed), f.number(run.recordsFailed))}</dd>
        </div>
        <div>
          <dt>{t.integration.heartbeat}</dt>
          <dd>{run.heartbeatAt ? <Time iso={run.heartbeatAt} zone={zone} /> : '–'}</dd>
        </div>
        <div>
          <dt>{t.integration.runId}</dt>
          <dd>
            <code>{run.id}</code>
          </dd>
        </div>
      </dl>
      <h3>{t.integration.error}</h3>
      {run.errorMessage ? <p class="error-text">{run.errorMessage}</p> : <p>{t.integration.noError}</p>}
      {isActive(run) ? (
        <p>
          <button type="button" disabled={busy} onClick={cancel} ref={cancelButton}>
            {t.overview.cancel}
          </button>
        </p>
      ) : null}
      <p class="message" role="status" aria-live="polite" tabIndex={-1} ref={status}>
        {message}
      </p>
    </>
  );
}
