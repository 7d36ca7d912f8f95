// What every benchmark section gets, and what it gives back. bench/run.ts runs the sections in one process,
// prints them and writes them to bench/results/.
import type { Sql } from 'postgres';

export interface BenchDatabase {
  url: string;
  /** Superuser connection to this database. */
  sql: Sql;
  drop(): Promise<void>;
}

export interface BenchContext {
  /** Superuser URL of the benchmark server's `postgres` database. */
  serverUrl: string;
  /** A fresh, migrated database of its own. */
  createDatabase(): Promise<BenchDatabase>;
  /** The seeded run log database (about a million rows), shared by the read benchmarks. */
  seeded: { url: string; sql: Sql; orgs: { depth: number; orgId: string }[] };
  /** Progress output on long work. */
  log(line: string): void;
}

export interface BenchSection {
  title: string;
  /** Human-readable lines, printed and written to the results file. */
  lines: string[];
  /** Machine-readable figures (ms, ratios, rows per second). */
  figures: Record<string, number>;
}

/** Percentile of sorted numbers (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function summarize(samplesMs: number[]): { median: number; p99: number; mean: number } {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, x) => sum + x, 0) / (sorted.length || 1);
  return { median: percentile(sorted, 50), p99: percentile(sorted, 99), mean };
}
