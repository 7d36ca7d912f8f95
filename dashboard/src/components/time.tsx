// A point in time as <time>: shown in the schedule's time zone, with the viewer's local time and UTC on hover.
import { useApp } from '../app-context.ts';

export const VIEWER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function Time({ iso, zone, only }: { iso: string; zone?: string; only?: 'time' }) {
  const { f, t } = useApp();
  const timeZone = zone ?? VIEWER_ZONE;
  const text = only === 'time' ? f.time(iso, timeZone) : f.dateTime(iso, timeZone);
  return (
    <time dateTime={iso} title={f.localAndUtc(iso, { local: t.app.yourTime, utc: 'UTC' })}>
      {text}
    </time>
  );
}
