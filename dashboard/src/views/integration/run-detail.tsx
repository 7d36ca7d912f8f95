// One run's detail (`?run=<id>` in the URL): status, trigger, period, times in the schedule's zone with the viewer's
// local time and UTC written out, records, the last heartbeat and the sanitised error as the API gives it.
// Polled while it runs; Cancel while it is queued or running.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { SyncRun } from '../../api.ts';
import { asApiError, useApp, useLoad } from '../../app-context.ts';
import { Problem, useProblemText } from '../../components/problem.tsx';
import { runLook, StatusLabel } from '../../components/status.tsx';
import { Time } from '../../components/time.tsx';
import { usePolling } from '../../poll.ts';
import { hrefOf, type ViewState } from '../../url-state.ts';
import { isActive } from '../overview.tsx';

export function RunDetail({ runId, state, zone }: { runId: string; state: ViewState; zone: string }) {
  const { api, t } = useApp();
  const load = useLoad(`run:${runId}`, () => api.run(runId));
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [runId]);
  const { f } = useApp();
  return (
    <section class="run-detail" aria-labelledby="run-heading">
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

function Detail({ run: loaded, zone }: { run: SyncRun; zone: string }) {
  const { api, t, f, now, config, sessionEnded } = useApp();
  const problemText = useProblemText();
  const [run, setRun] = useState(loaded);
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  usePolling(isActive(run), config.pollMs, async () => {
    try {
      setRun(await api.run(run.id));
    } catch (error) {
      if (asApiError(error).code === 'unauthorized') sessionEnded();
    }
  });
  const cancel = async () => {
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
  const written = (iso: string) => (
    <>
      <Time iso={iso} zone={zone} />
      <br />
      <span class="muted">
        {t.integration.local}: {f.dateTime(iso, Intl.DateTimeFormat().resolvedOptions().timeZone)} · {t.integration.utc}
        : {f.dateTime(iso, 'UTC')}
      </span>
    </>
  );

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
          <button type="button" disabled={busy} onClick={cancel}>
            {t.overview.cancel}
          </button>
        </p>
      ) : null}
      <p class="message" role="status" aria-live="polite">
        {message}
      </p>
    </>
  );
}
