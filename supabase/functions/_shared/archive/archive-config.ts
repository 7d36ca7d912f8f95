// The archival's settings from the server's environment, for the local ticker (pg_cron's job carries its own
// arguments: docs/archival.md). A bad value is refused with a clear error, never silently replaced by a default.
import { SyncRunLogError } from '../errors.ts';
import { type ArchiveOptions, resolveArchiveOptions } from './run-log-archive.ts';

export const ARCHIVE_ENV = {
  retentionDays: 'ARCHIVE_RETENTION_DAYS',
  batchSize: 'ARCHIVE_BATCH_SIZE',
} as const;

/** ARCHIVE_RETENTION_DAYS (default 90) and ARCHIVE_BATCH_SIZE (default 1000), checked. */
export function archiveOptionsFromEnv(env: Record<string, string | undefined>): ArchiveOptions {
  const options: ArchiveOptions = {};
  for (const [key, name] of Object.entries(ARCHIVE_ENV) as [keyof typeof ARCHIVE_ENV, string][]) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    if (!/^\d+$/.test(raw))
      throw new SyncRunLogError('invalid_argument', `${name} must be a whole number, got "${raw}"`);
    options[key] = Number(raw);
  }
  try {
    resolveArchiveOptions(options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new SyncRunLogError('invalid_argument', `archival settings: ${message}`);
  }
  return options;
}
