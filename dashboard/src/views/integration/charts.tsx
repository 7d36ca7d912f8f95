// Trends of the last 30 days, per day in the schedule's time zone: duration (median and longest), records (processed
// and failed) and drift (largest) against the 5-minute line. Each chart is drawn by uPlot (canvas, hidden from
// screen readers) and says the same in a sentence and in a table of its numbers beside it.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot, { type AlignedData } from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useApp } from '../../app-context.ts';
import { ScrollRegion } from '../../components/scroll-region.tsx';
import { dayKeyOf } from '../../format.ts';
import { type DayFigures, LATE_AFTER_SECONDS, medianDuration } from './ledger-data.ts';

interface SeriesSpec {
  label: string;
  /** A CSS custom property of styles.css: the colours follow light and dark. */
  color: string;
  values: Array<number | null>;
  dash?: number[];
}

/** Redraws when the system switches between light and dark. */
function useColorScheme(): string {
  const query = '(prefers-color-scheme: dark)';
  const [scheme, setScheme] = useState(() => (matchMedia(query).matches ? 'dark' : 'light'));
  useEffect(() => {
    const media = matchMedia(query);
    const update = () => setScheme(media.matches ? 'dark' : 'light');
    media.addEventListener('change', update);
    return () => media.removeEventListener('change', update);
  }, []);
  return scheme;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** The width inside the element's padding: what the chart may fill. */
function contentWidth(element: HTMLElement): number {
  const style = getComputedStyle(element);
  return element.clientWidth - Number.parseFloat(style.paddingLeft) - Number.parseFloat(style.paddingRight);
}

function Plot({ xs, series, zone, unit }: { xs: number[]; series: SeriesSpec[]; zone: string; unit: string }) {
  const { f } = useApp();
  const box = useRef<HTMLDivElement>(null);
  const scheme = useColorScheme();
  // Drawn again only when what it shows changes (the arrays are made anew on every render).
  const drawn = JSON.stringify([xs, series, zone, unit, scheme, f.locale]);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const text = cssVar('--text-muted');
    const grid = cssVar('--grid');
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
    const options: uPlot.Options = {
      width: Math.max(240, contentWidth(element)),
      height: 180,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), zone),
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
      axes: [
        // Day labels in the viewer's language, in the schedule's time zone.
        // At least 80 px per label ("Tue 3 Nov"): uPlot's default of 50 let them run into each other on a phone.
        {
          ...axis,
          space: 80,
          values: (_u, splits) => splits.map((ts) => f.day(dayKeyOf(new Date(ts * 1000), zone))),
        },
        { ...axis, label: unit, size: 56 },
      ],
      series: [
        {},
        ...series.map((spec) => ({
          label: spec.label,
          stroke: cssVar(spec.color),
          width: 2,
          dash: spec.dash,
          spanGaps: false,
          points: { show: true, size: 5, fill: cssVar(spec.color) },
        })),
      ],
    };
    const data = [xs, ...series.map((spec) => spec.values)] as AlignedData;
    const plot = new uPlot(options, data, element);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(240, contentWidth(element)), height: 180 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [drawn]);
  return <div class="plot" ref={box} aria-hidden="true" />;
}

interface ChartProps {
  id: string;
  title: string;
  summary: string;
  figures: DayFigures[];
  series: SeriesSpec[];
  zone: string;
  unit: string;
  format(value: number): string;
}

function Chart({ id, title, summary, figures, series, zone, unit, format }: ChartProps) {
  const { t, f } = useApp();
  const xs = figures.map((day) => day.x);
  const cell = (value: number | null): ComponentChildren => (value === null ? '–' : format(value));
  return (
    <section class="chart" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{title}</h3>
      <p class="summary">{summary}</p>
      <div class="chart-row">
        <Plot xs={xs} series={series} zone={zone} unit={unit} />
        {/* Named apart from the chart's section, whose name the caption repeats (axe's landmark-unique). */}
        <ScrollRegion labelledBy={`${id}-caption`} label={t.integration.chartNumbers(title)} class="numbers">
          <table>
            <caption id={`${id}-caption`}>{title}</caption>
            <thead>
              <tr>
                <th scope="col">{t.integration.day}</th>
                {series.map((spec) => (
                  <th scope="col" key={spec.label}>
                    {/* The chart's key: each column's line, in its colour and dash. */}
                    <span
                      class="key"
                      aria-hidden="true"
                      style={{ borderTopColor: `var(${spec.color})`, borderTopStyle: spec.dash ? 'dashed' : 'solid' }}
                    />
                    {spec.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {figures.map((day, row) => (
                <tr key={day.day}>
                  <th scope="row">{f.day(day.day)}</th>
                  {series.map((spec) => (
                    <td key={spec.label}>{cell(spec.values[row] ?? null)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      </div>
    </section>
  );
}

export function Trends({ figures, zone }: { figures: DayFigures[]; zone: string }) {
  const { t, f } = useApp();
  const withRuns = figures.filter((day) => day.runs > 0);
  if (withRuns.length === 0) {
    return (
      <section aria-labelledby="trends-heading">
        <h2 id="trends-heading">{t.integration.trendsHeading}</h2>
        <p class="empty">{t.integration.noTrend}</p>
      </section>
    );
  }
  const seconds = (value: number) => f.duration(value);
  const longest = withRuns.reduce((a, b) => ((b.longestDuration ?? 0) > (a.longestDuration ?? 0) ? b : a));
  const overallMedian = medianDuration(figures) ?? 0;
  const processed = figures.reduce((sum, day) => sum + day.processed, 0);
  const failed = figures.reduce((sum, day) => sum + day.failed, 0);
  const worstFailures = withRuns.reduce((a, b) => (b.failed > a.failed ? b : a));
  const largestDrift = withRuns.reduce((a, b) => ((b.largestDrift ?? 0) > (a.largestDrift ?? 0) ? b : a));
  const lateDays = figures.filter((day) => (day.largestDrift ?? 0) > LATE_AFTER_SECONDS).length;

  return (
    <section class="trends" aria-labelledby="trends-heading">
      <h2 id="trends-heading">{t.integration.trendsHeading}</h2>
      <Chart
        id="duration"
        title={t.integration.durationChart}
        summary={t.integration.durationSummary(
          f.duration(overallMedian),
          f.duration(longest.longestDuration ?? 0),
          f.longDay(longest.day),
        )}
        figures={figures}
        zone={zone}
        unit="s"
        format={seconds}
        series={[
          { label: t.integration.median, color: '--chart-1', values: figures.map((d) => d.medianDuration) },
          { label: t.integration.longest, color: '--chart-2', values: figures.map((d) => d.longestDuration) },
        ]}
      />
      <Chart
        id="records"
        title={t.integration.recordsChart}
        summary={t.integration.recordsSummary(
          f.number(processed),
          f.number(failed),
          worstFailures.failed > 0 ? f.longDay(worstFailures.day) : null,
        )}
        figures={figures}
        zone={zone}
        unit=""
        format={(value) => f.number(value)}
        series={[
          {
            label: t.integration.processed,
            color: '--chart-1',
            values: figures.map((d) => (d.runs > 0 ? d.processed : null)),
          },
          {
            label: t.integration.failed,
            color: '--chart-bad',
            values: figures.map((d) => (d.runs > 0 ? d.failed : null)),
          },
        ]}
      />
      <Chart
        id="drift"
        title={t.integration.driftChart}
        summary={t.integration.driftSummary(
          lateDays,
          f.duration(largestDrift.largestDrift ?? 0),
          f.longDay(largestDrift.day),
        )}
        figures={figures}
        zone={zone}
        unit="s"
        format={seconds}
        series={[
          { label: t.integration.largestDrift, color: '--chart-1', values: figures.map((d) => d.largestDrift) },
          {
            label: t.integration.fiveMinuteLine,
            color: '--chart-bad',
            values: figures.map(() => LATE_AFTER_SECONDS),
            dash: [6, 4],
          },
        ]}
      />
    </section>
  );
}
