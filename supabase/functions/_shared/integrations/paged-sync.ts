// The loop every adapter runs: fetch a page, check each record, report progress, follow the next-page pointer.
// Cancellation is checked before every page (and aborts the page in flight); a pointer that does not move is a
// vendor bug we refuse to loop on.
import { throwIfCancelled } from './http-client.ts';
import { IntegrationError, type SyncContext, type SyncResult } from './integration.ts';

export interface Page<Cursor> {
  records: unknown[];
  /** The next page's pointer, or null on the last page. */
  next: Cursor | null;
}

export interface PagedSource<Cursor> {
  integration: string;
  first: Cursor;
  fetchPage(cursor: Cursor, signal: AbortSignal): Promise<Page<Cursor>>;
  /** Why a record cannot be processed, or null when it can. */
  checkRecord(record: unknown): string | null;
  /** Safety stop against a vendor that pages forever. */
  maxPages?: number;
}

export async function runPagedSync<Cursor>(source: PagedSource<Cursor>, context: SyncContext): Promise<SyncResult> {
  const maxPages = source.maxPages ?? 100_000;
  let cursor: Cursor | null = source.first;
  let processed = 0;
  let failed = 0;
  let firstFailure: string | null = null;
  const seen = new Set<string>();
  for (let pages = 0; cursor !== null; pages += 1) {
    throwIfCancelled(context.signal, source.integration);
    if (pages >= maxPages)
      throw new IntegrationError('bad_response', `${source.integration}: more than ${maxPages} pages`);
    const key = JSON.stringify(cursor);
    if (seen.has(key))
      throw new IntegrationError('bad_response', `${source.integration}: the next-page pointer repeats`);
    seen.add(key);

    const page: Page<Cursor> = await source.fetchPage(cursor, context.signal);
    for (const [index, record] of page.records.entries()) {
      const problem = source.checkRecord(record);
      if (problem === null) {
        processed += 1;
      } else {
        failed += 1;
        firstFailure ??= `page ${pages + 1} record ${index + 1}: ${problem}`;
      }
    }
    await context.onProgress({ recordsProcessed: processed, recordsFailed: failed });
    cursor = page.next;
  }
  return {
    recordsProcessed: processed,
    recordsFailed: failed,
    errorMessage:
      failed === 0
        ? null
        : `${failed} of ${processed + failed} records could not be processed (first: ${firstFailure})`,
  };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function badShape(integration: string, what: string): IntegrationError {
  return new IntegrationError('bad_response', `${integration}: unexpected response shape (${what})`);
}
