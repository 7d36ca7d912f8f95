// When the local ticker archives: once a day, and only where pg_cron does not (it runs the same archival in the
// database). The clock is the caller's `now`; the last pass comes from the database, so a restart does not reset it.
import type { RpcPort } from '../rpc-port.ts';
import { type ArchiveOptions, type ArchiveResult, archiveOldRuns, getArchivalStatus } from './run-log-archive.ts';

export const ARCHIVE_INTERVAL_MS = 24 * 60 * 60 * 1000;

/** True when no pass ever ran, or the last one started at least `intervalMs` (default a day) before `now`. */
export function isArchiveDue(lastRunAt: Date | null, now: Date, intervalMs = ARCHIVE_INTERVAL_MS): boolean {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new TypeError('now must be a valid Date');
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new TypeError('intervalMs must be a positive number');
  if (lastRunAt === null) return true;
  return now.getTime() - lastRunAt.getTime() >= intervalMs;
}

export type ArchiveTickOutcome =
  | { ran: true; result: ArchiveResult }
  | { ran: false; reason: 'pg_cron_scheduled' | 'not_due'; lastRunAt: Date | null };

/**
 * One step of the local ticker: archives when pg_cron does not and the last pass (by anyone) is a day old.
 * Two tickers that both find it due both run; that is harmless (the batches skip each other's rows).
 */
export async function archiveIfDue(
  db: RpcPort,
  now: Date,
  options: ArchiveOptions & { intervalMs?: number } = {},
): Promise<ArchiveTickOutcome> {
  const status = await getArchivalStatus(db);
  const lastRunAt = status.lastPass?.startedAt ?? null;
  if (status.pgCronScheduled) return { ran: false, reason: 'pg_cron_scheduled', lastRunAt };
  if (!isArchiveDue(lastRunAt, now, options.intervalMs)) return { ran: false, reason: 'not_due', lastRunAt };
  return { ran: true, result: await archiveOldRuns(db, { source: 'ticker', ...options }) };
}
