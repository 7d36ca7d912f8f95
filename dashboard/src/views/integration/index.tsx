// Integration: one integration's schedule in words, a run's detail when one is open, the period ledger of the last
// 30 days, its trends, and the run history. Fetches once per view: the integrations (for the schedule), the ledger's
// periods (a few requests for a busy schedule), and a page of history; only running runs are polled after that.
import { useEffect, useMemo } from 'preact/hooks';
import type { Integration, Period } from '../../api.ts';
import { asApiError, markViewReady, useApp, useLoad } from '../../app-context.ts';
import { Problem } from '../../components/problem.tsx';
import { Time, VIEWER_ZONE } from '../../components/time.tsx';
import { describeCron } from '../../cron-text.ts';
import { hrefOf, type ViewState } from '../../url-state.ts';
import { Trends } from './charts.tsx';
import { History } from './history.tsx';
import { Ledger } from './ledger.tsx';
import { dayFigures, fetchPeriods, isTooManyPeriods, ledgerRange, periodsByDay, requestRanges } from './ledger-data.ts';
import { RunDetail } from './run-detail.tsx';

export function IntegrationView({ state }: { state: ViewState }) {
  const { api, t } = useApp();
  const type = state.type ?? '';
  const load = useLoad(`integrations:${type}`, () => api.integrations());
  const entry = load.state === 'loaded' ? load.data.find((candidate) => candidate.integrationType === type) : undefined;
  return (
    <>
      {/* One heading throughout: the focus it gets on arrival stays while the data loads. */}
      <h1 tabIndex={-1}>{load.state === 'loaded' && !entry ? t.views.integration : t.integrationName(type)}</h1>
      {load.state === 'loading' ? <p class="loading">{t.app.loading}</p> : null}
      {load.state === 'failed' ? <Problem error={load.error} retry={load.reload} /> : null}
      {load.state === 'loaded' && !entry ? (
        <p class="empty">
          {type ? t.integration.notFound(type) : t.integration.noneChosen}{' '}
          <a href={hrefOf({ view: 'overview' })}>{t.views.overview}</a>
        </p>
      ) : null}
      {entry ? <Loaded state={state} entry={entry} /> : null}
    </>
  );
}

function Loaded({ state, entry }: { state: ViewState; entry: Integration }) {
  const { t, language } = useApp();
  const schedule = entry.schedule;
  const zone = schedule?.timeZone ?? VIEWER_ZONE;
  const next = schedule?.enabled ? schedule.nextPeriods[0] : undefined;
  return (
    <>
      <p class="intro">
        {schedule ? (
          <>
            {t.integration.schedule}: {describeCron(schedule.cronExpression, schedule.timeZone, language)}{' '}
            <code>{schedule.cronExpression}</code>.{' '}
            {next ? (
              <>
                {t.overview.nextPeriod}: <Time iso={next} zone={zone} />.
              </>
            ) : (
              t.overview.schedulePaused
            )}
          </>
        ) : (
          t.integration.noSchedule
        )}
      </p>
      {state.run ? <RunDetail runId={state.run} state={state} zone={zone} /> : null}
      {schedule ? <LedgerAndTrends state={state} entry={entry} /> : null}
      <History state={state} entry={entry} zone={zone} />
    </>
  );
}

function LedgerAndTrends({ state, entry }: { state: ViewState; entry: Integration }) {
  const { api, t, now } = useApp();
  const schedule = entry.schedule as NonNullable<Integration['schedule']>;
  const zone = schedule.timeZone;
  // The range is fixed when the view opens: choosing a day does not fetch again.
  const range = useMemo(() => ledgerRange(now(), zone), [zone, now]);
  const load = useLoad(`periods:${entry.integrationType}:${schedule.cronExpression}:${zone}`, async () => {
    const ranges = requestRanges(schedule.cronExpression, zone, range.from, range.to);
    const load = (from: Date, to: Date) => api.periods(entry.integrationType, from, to);
    const tooMany = (error: unknown) => isTooManyPeriods(asApiError(error));
    const pages = await Promise.all(ranges.map((r) => fetchPeriods(load, r.from, r.to, tooMany)));
    return pages.flat() as Period[];
  });
  const byDay = useMemo(() => (load.state === 'loaded' ? periodsByDay(load.data, zone) : null), [load, zone]);
  const figures = useMemo(() => (byDay ? dayFigures(range.days, byDay, zone) : null), [byDay, range, zone]);
  useEffect(() => {
    if (load.state === 'loaded') markViewReady('integration');
  }, [load.state]);

  if (load.state === 'loading') return <p class="loading">{t.app.loading}</p>;
  if (load.state === 'failed') return <Problem error={load.error} retry={load.reload} />;
  return (
    <>
      <Ledger state={state} schedule={schedule} days={range.days} byDay={byDay ?? new Map()} />
      <Trends figures={figures ?? []} zone={zone} />
    </>
  );
}
