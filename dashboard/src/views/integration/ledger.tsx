// The period ledger: a calendar strip of the last 30 days in the schedule's time zone, each day a link (the day is in
// the URL) showing its periods' outcomes as marks and in words; below it, the chosen day's periods in a table.
// Outcomes: on time, late, missed, running, failed, partly failed, cancelled (and upcoming, later today).
import { useEffect, useRef } from 'preact/hooks';
import type { Period, Schedule } from '../../api.ts';
import { useApp } from '../../app-context.ts';
import { ScrollRegion } from '../../components/scroll-region.tsx';
import { Icon, outcomeLook, StatusLabel } from '../../components/status.tsx';
import { Time } from '../../components/time.tsx';
import { addDays, startOfDay } from '../../format.ts';
import { hrefOf, type ViewState } from '../../url-state.ts';
import { countOutcomes, OUTCOME_ORDER } from './ledger-data.ts';

export interface LedgerProps {
  state: ViewState;
  schedule: Schedule;
  days: string[];
  byDay: Map<string, Period[]>;
}

export function Ledger({ state, schedule, days, byDay }: LedgerProps) {
  const { t, f } = useApp();
  const zone = schedule.timeZone;
  const today = days.at(-1) as string;
  const selected = state.day && days.includes(state.day) ? state.day : today;
  // A day tapped or clicked shows its periods on screen: on a phone they start far below the strip. Only then: not
  // on the first render, Back or Forward (the browser restores its scroll), or a key press (the focus stays where
  // the keyboard is, with the page around it).
  const dayBox = useRef<HTMLDivElement>(null);
  const pointerPick = useRef(false);
  useEffect(() => {
    if (!pointerPick.current) return;
    pointerPick.current = false;
    dayBox.current?.scrollIntoView({ block: 'nearest' });
  }, [selected]);
  const countsText = (periods: Period[]) => {
    const counts = countOutcomes(periods);
    if (counts.length === 0) return t.integration.noPeriods;
    return counts.map(({ outcome, count }) => `${count} ${outcomeLook(outcome, t).word.toLowerCase()}`).join(', ');
  };

  return (
    <section class="ledger" aria-labelledby="ledger-heading">
      <h2 id="ledger-heading">{t.integration.ledgerHeading}</h2>
      <p class="intro">{t.integration.ledgerIntro(zone)}</p>
      <ul class="legend" aria-label={t.integration.legend}>
        {OUTCOME_ORDER.map((outcome) => (
          <li key={outcome}>
            <StatusLabel look={outcomeLook(outcome, t)} />
          </li>
        ))}
      </ul>
      <ol class="strip">
        {days.map((day) => {
          const periods = byDay.get(day) ?? [];
          const counts = countOutcomes(periods);
          const worst = counts[0]?.outcome;
          const total = periods.length;
          return (
            <li key={day}>
              <a
                href={hrefOf({ ...state, day, run: undefined })}
                onClick={(event) => {
                  pointerPick.current = event.detail > 0 && day !== selected; // a key press has no click count
                }}
                class={`day${day === selected ? ' selected' : ''}`}
                aria-current={day === selected ? 'true' : undefined}
              >
                <span class="day-name" aria-hidden="true">
                  {f.day(day)}
                </span>
                <span class="day-marks" aria-hidden="true">
                  {worst ? (
                    <span class={`tone-${outcomeLook(worst, t).tone}`}>
                      <Icon name={outcomeLook(worst, t).icon} />
                    </span>
                  ) : (
                    <span class="tone-muted">–</span>
                  )}
                  <span class="bar">
                    {counts.map(({ outcome, count }) => (
                      <span
                        key={outcome}
                        class={`segment fill-${outcomeLook(outcome, t).tone}`}
                        style={{ width: `${(count / total) * 100}%` }}
                      />
                    ))}
                  </span>
                </span>
                <span class="visually-hidden">{t.integration.dayLabel(f.longDay(day), countsText(periods))}</span>
              </a>
            </li>
          );
        })}
      </ol>
      <div ref={dayBox}>
        <DayTable
          day={selected}
          periods={byDay.get(selected) ?? []}
          zone={zone}
          state={state}
          startedAt={Math.min(Date.parse(schedule.createdAt), Date.parse(schedule.activeFrom))}
        />
      </div>
    </section>
  );
}

interface DayTableProps {
  day: string;
  periods: Period[];
  zone: string;
  state: ViewState;
  /**
   * When the schedule could first have had periods (the earlier of its creation and its active_from, which a change
   * of expression or a re-enabling moves on): a day that ended before it had none because there was no schedule yet.
   */
  startedAt: number;
}

function DayTable({ day, periods, zone, state, startedAt }: DayTableProps) {
  const { t, f } = useApp();
  if (periods.length === 0) {
    const before = startOfDay(addDays(day, 1), zone).getTime() <= startedAt;
    return (
      <p class="empty">
        {f.longDay(day)}: {before ? t.integration.beforeSchedule : t.integration.noPeriodsDay}
      </p>
    );
  }
  return (
    <ScrollRegion labelledBy="day-caption">
      <table class="periods">
        <caption id="day-caption">{t.integration.dayCaption(f.longDay(day), zone)}</caption>
        <thead>
          <tr>
            <th scope="col">{t.integration.period}</th>
            <th scope="col">{t.integration.outcome}</th>
            <th scope="col">{t.integration.started}</th>
            <th scope="col">{t.integration.drift}</th>
            <th scope="col">{t.integration.records}</th>
            <th scope="col">{t.integration.run}</th>
          </tr>
        </thead>
        <tbody>
          {periods.map((period) => (
            <tr key={period.scheduledFor}>
              <th scope="row">
                <Time iso={period.scheduledFor} zone={zone} only="time" />
              </th>
              <td>
                <StatusLabel look={outcomeLook(period.outcome, t)} />
              </td>
              <td>{period.startedAt ? <Time iso={period.startedAt} zone={zone} only="time" /> : '–'}</td>
              <td>{period.driftSeconds === null ? '–' : f.duration(period.driftSeconds)}</td>
              <td>
                {period.recordsProcessed === null || period.recordsProcessed === undefined
                  ? '–'
                  : t.overview.records(f.number(period.recordsProcessed), f.number(period.recordsFailed ?? 0))}
              </td>
              <td>
                {period.runId ? (
                  <a href={hrefOf({ ...state, run: period.runId })}>
                    {t.integration.runDetails}
                    <span class="visually-hidden"> ({f.time(period.scheduledFor, zone)})</span>
                  </a>
                ) : (
                  '–'
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}
