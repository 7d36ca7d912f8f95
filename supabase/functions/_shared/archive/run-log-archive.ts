// Archival of the run log from TypeScript: the local ticker's path when pg_cron is absent, and a tool for
// operators. Each batch is its own rpc call, so its own transaction: locks and snapshots last one batch.
// The database decides what moves (public.archive_run_log_batch): final runs older than the retention, never
// the newest per (org, integration). Every pass is recorded in sync_private.run_log_archival.
import { callRpc, SyncRunLogError } from '../errors.ts';
import type { RpcPort } from '../rpc-port.ts';

export const DEFAULT_RETENTION_DAYS = 90;
export const DEFAULT_BATCH_SIZE = 1000;
export const MAX_BATCH_SIZE = 50_000;
/** The name of the daily pg_cron job (migration 20261128004600). */
export const PG_CRON_JOB_NAME = 'archive-sync-run-log';

export type ArchivalSource = 'pg_cron' | 'ticker' | 'manual';

export interface ArchiveOptions {
  /** Runs that started more than this many days ago move (whole days, at least 1). Default 90. */
  retentionDays?: number;
  /** Rows per batch (1..50000). Default 1000. */
  batchSize?: number;
  /** Stop after this many batches even if more rows are due (the next pass goes on). Default: no limit. */
  maxBatches?: number;
  /** Recorded with the pass. Default 'ticker'. */
  source?: ArchivalSource;
  /** Called after every batch with the rows it moved and the running total. */
  onBatch?: (moved: number, total: number) => void;
}

export interface ArchiveResult {
  /** Id of the pass in sync_private.run_log_archival. */
  archivalId: number;
  rowsMoved: number;
  batches: number;
  /** False when maxBatches stopped the pass before every due run had moved. */
  complete: boolean;
}

export interface ArchivalStatus {
  /** True when pg_cron runs the daily archival in this database: the local ticker must not. */
  pgCronScheduled: boolean;
  lastPass: { id: number; source: ArchivalSource; startedAt: Date; finishedAt: Date | null; rowsMoved: number } | null;
}

/** Checks the options and fills in the defaults; a bad value is an `invalid_argument` error before any call. */
export function resolveArchiveOptions(options: ArchiveOptions = {}): Required<
  Omit<ArchiveOptions, 'onBatch' | 'maxBatches'>
> & {
  maxBatches: number;
} {
  const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
  const source = options.source ?? 'ticker';
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new SyncRunLogError(
      'invalid_argument',
      `retentionDays must be a whole number of days, at least 1 (got ${retentionDays})`,
    );
  }
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw new SyncRunLogError(
      'invalid_argument',
      `batchSize must be a whole number from 1 to ${MAX_BATCH_SIZE} (got ${batchSize})`,
    );
  }
  if (maxBatches !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxBatches) || maxBatches < 1)) {
    throw new SyncRunLogError('invalid_argument', `maxBatches must be a whole number, at least 1 (got ${maxBatches})`);
  }
  if (!['pg_cron', 'ticker', 'manual'].includes(source)) {
    throw new SyncRunLogError('invalid_argument', `source must be pg_cron, ticker or manual (got ${String(source)})`);
  }
  return { retentionDays, batchSize, maxBatches, source };
}

/** Moves the due runs to the archive, batch by batch; returns how many moved. */
export async function archiveOldRuns(db: RpcPort, options: ArchiveOptions = {}): Promise<ArchiveResult> {
  const { retentionDays, batchSize, maxBatches, source } = resolveArchiveOptions(options);
  const retention = `${retentionDays} days`;
  const archivalId = Number(
    await call(db, 'start_run_log_archival', { p_source: source, p_retention: retention, p_batch_size: batchSize }),
  );
  let rowsMoved = 0;
  let batches = 0;
  for (;;) {
    const moved = Number(
      await call(db, 'archive_run_log_batch', {
        p_retention: retention,
        p_batch_size: batchSize,
        p_archival_id: archivalId,
      }),
    );
    rowsMoved += moved;
    batches += 1;
    options.onBatch?.(moved, rowsMoved);
    if (moved < batchSize) return { archivalId, rowsMoved, batches, complete: true };
    if (batches >= maxBatches) return { archivalId, rowsMoved, batches, complete: false };
  }
}

interface StatusRow {
  pg_cron_scheduled: boolean;
  last_id: number | null;
  last_source: ArchivalSource | null;
  last_started_at: string | null;
  last_finished_at: string | null;
  last_rows_moved: number | string | null;
}

/** Whether pg_cron archives here, and the last pass by anyone (pg_cron, a ticker, an operator). */
export async function getArchivalStatus(db: RpcPort): Promise<ArchivalStatus> {
  const rows = (await call(db, 'get_run_log_archival_status', {})) as StatusRow[];
  const row = rows[0];
  if (!row) throw new SyncRunLogError('internal', 'get_run_log_archival_status returned no row');
  return {
    pgCronScheduled: row.pg_cron_scheduled,
    lastPass:
      row.last_id === null || row.last_started_at === null
        ? null
        : {
            id: Number(row.last_id),
            source: row.last_source as ArchivalSource,
            startedAt: new Date(row.last_started_at),
            finishedAt: row.last_finished_at === null ? null : new Date(row.last_finished_at),
            rowsMoved: Number(row.last_rows_moved ?? 0),
          },
  };
}

function call(db: RpcPort, fn: string, args: Record<string, unknown>): Promise<unknown> {
  return callRpc(db, fn, args, 'the run log could not be reached');
}
