// The run history: filters for status and trigger (a form whose values go to the URL), keyset pages (the API's
// nextCursor, kept in the URL as `cursor`), and a link to each run's detail. Running runs on the page are polled.
// Applying filters or turning a page puts the focus on the history's heading: the form is made anew and the table
// waits for its rows, so the button or link pressed is gone.
import { useRef, useState } from 'preact/hooks';
import type { Integration, RunStatus, SyncRun, TriggeredBy } from '../../api.ts';
import { asApiError, useApp, useLoad } from '../../app-context.ts';
import { Problem } from '../../components/problem.tsx';
import { ScrollRegion } from '../../components/scroll-region.tsx';
import { runLook, StatusLabel } from '../../components/status.tsx';
import { Time } from '../../components/time.tsx';
import { usePolling } from '../../poll.ts';
import { hrefOf, navigate, type ViewState } from '../../url-state.ts';
import { isActive } from '../overview.tsx';

const STATUSES: RunStatus[] = ['pending', 'running', 'completed', 'failed', 'cancelled'];
const TRIGGERS: TriggeredBy[] = ['scheduler', 'manual'];
export const PAGE_SIZE = 25;

export function History({ state, entry, zone }: { state: ViewState; entry: Integration; zone: string }) {
  const { api, t, config, sessionEnded } = useApp();
  const type = entry.integrationType;
  const status = STATUSES.find((s) => s === state.status);
  const trigger = TRIGGERS.find((s) => s === state.trigger);
  const load = useLoad(`history:${type}:${status}:${trigger}:${state.cursor}`, () =>
    api.runs({ integrationType: type, status, triggeredBy: trigger, before: state.cursor, limit: PAGE_SIZE }),
  );
  const heading = useRef<HTMLHeadingElement>(null);
  const [updates, setUpdates] = useState<Record<string, SyncRun>>({});
  const runs = load.state === 'loaded' ? load.data.items.map((run) => updates[run.id] ?? run) : [];
  const active = runs.filter(isActive);
  usePolling(active.length > 0, config.pollMs, async () => {
    try {
      const fresh = await Promise.all(active.map((run) => api.run(run.id)));
      setUpdates((all) => ({ ...all, ...Object.fromEntries(fresh.map((run) => [run.id, run])) }));
    } catch (error) {
      if (asApiError(error).code === 'unauthorized') sessionEnded();
    }
  });

  const statusWord = (s: RunStatus) => (s === 'pending' ? t.status.pending : t.status[s]);
  const filterText = [status ? statusWord(status) : null, trigger ? t.trigger[trigger] : null]
    .filter(Boolean)
    .join(', ');
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const next = {
      status: String(form.get('status') ?? '') || undefined,
      trigger: String(form.get('trigger') ?? '') || undefined,
    };
    // The form is made anew for other filters (below): its button would leave the focus on <body>.
    if (next.status !== status || next.trigger !== trigger || state.cursor) heading.current?.focus();
    navigate({ view: 'integration', type, ...next });
  };

  return (
    <section class="history" aria-labelledby="history-heading">
      <h2 id="history-heading" tabIndex={-1} ref={heading}>
        {t.integration.historyHeading}
      </h2>
      <form
        key={`${status}:${trigger}`}
        class="filters"
        method="get"
        aria-label={t.integration.filters}
        onSubmit={onSubmit}
      >
        <input type="hidden" name="view" value="integration" />
        <input type="hidden" name="type" value={type} />
        <label>
          {t.integration.status}{' '}
          <select name="status">
            <option value="">{t.integration.all}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s} selected={s === status}>
                {statusWord(s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.integration.trigger}{' '}
          <select name="trigger">
            <option value="">{t.integration.all}</option>
            {TRIGGERS.map((s) => (
              <option key={s} value={s} selected={s === trigger}>
                {t.trigger[s]}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">{t.integration.apply}</button>
      </form>
      {load.state === 'loading' ? <p class="loading">{t.app.loading}</p> : null}
      {load.state === 'failed' ? (
        <Problem
          error={load.error}
          retry={load.reload}
          firstPage={
            state.cursor
              ? { href: hrefOf({ ...state, cursor: undefined, run: undefined }), label: t.integration.newestRuns }
              : undefined
          }
        />
      ) : null}
      {load.state === 'loaded' ? (
        <HistoryTable
          runs={runs}
          nextCursor={load.data.nextCursor}
          state={state}
          zone={zone}
          entry={entry}
          caption={t.integration.historyCaption(t.integrationName(type), filterText)}
          filtered={Boolean(status || trigger || state.cursor)}
          onPage={(event) => {
            // Another page: the table waits for its rows, and the link pressed goes (Newest at once).
            if (!(event.ctrlKey || event.metaKey || event.shiftKey)) heading.current?.focus();
          }}
        />
      ) : null}
    </section>
  );
}

interface TableProps {
  runs: SyncRun[];
  nextCursor: string | null;
  state: ViewState;
  zone: string;
  entry: Integration;
  caption: string;
  filtered: boolean;
  /** A link of the pager was clicked (before it leads to the page). */
  onPage(event: MouseEvent): void;
}

function HistoryTable({ runs, nextCursor, state, zone, entry, caption, filtered, onPage }: TableProps) {
  const { t, f, now } = useApp();
  if (runs.length === 0) {
    const next = entry.schedule?.enabled ? entry.schedule.nextPeriods[0] : undefined;
    const wait = next ? t.overview.noRunsWait(f.time(next, zone)) : t.overview.noRunsNoSchedule;
    return <p class="empty">{filtered ? t.integration.noRuns : wait}</p>;
  }
  const seconds = (run: SyncRun) =>
    run.durationSeconds ??
    ((run.endedAt ? Date.parse(run.endedAt) : now().getTime()) - Date.parse(run.startedAt)) / 1000;
  return (
    <>
      <ScrollRegion labelledBy="history-caption">
        <table class="runs">
          <caption id="history-caption">{caption}</caption>
          <thead>
            <tr>
              <th scope="col">{t.integration.started}</th>
              <th scope="col">{t.integration.status}</th>
              <th scope="col">{t.integration.trigger}</th>
              <th scope="col">{t.integration.duration}</th>
              <th scope="col">{t.integration.processed}</th>
              <th scope="col">{t.integration.failed}</th>
              <th scope="col">{t.integration.run}</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr key={run.id}>
                <th scope="row">
                  <Time iso={run.startedAt} zone={zone} />
                </th>
                <td>
                  <StatusLabel look={runLook(run, t)} />
                </td>
                <td>{t.trigger[run.triggeredBy]}</td>
                <td>{f.duration(seconds(run))}</td>
                <td class="number">{f.number(run.recordsProcessed)}</td>
                <td class="number">{f.number(run.recordsFailed)}</td>
                <td>
                  <a href={hrefOf({ ...state, run: run.id })}>
                    {t.integration.runDetails}
                    <span class="visually-hidden"> ({f.dateTime(run.startedAt, zone)})</span>
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
      <nav class="pager" aria-label={t.integration.historyHeading}>
        {state.cursor ? (
          <a href={hrefOf({ ...state, cursor: undefined, run: undefined })} onClick={onPage}>
            {t.integration.newestRuns}
          </a>
        ) : null}
        {nextCursor ? (
          <a href={hrefOf({ ...state, cursor: nextCursor, run: undefined })} rel="next" onClick={onPage}>
            {t.integration.olderRuns}
          </a>
        ) : null}
      </nav>
    </>
  );
}
