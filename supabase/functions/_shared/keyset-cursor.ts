// Keyset cursors for paged lists (run history, alerts): the position after the last item of a page, as an opaque
// URL-safe token. It holds the item's sort timestamp exactly as the database rendered it (microseconds kept: a
// JavaScript Date would cut them to milliseconds and skip or repeat items) and its id, the tie-breaker. It also names
// its list: a run history cursor passed to the alerts would otherwise page the alerts from a run's start time.
import { SyncRunLogError } from './errors.ts';

export interface KeysetPosition {
  /** The timestamp as the database returned it, e.g. 2026-12-01T10:00:00.123456+00:00. */
  at: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A UTC offset PostgreSQL takes (at most 15:59): Date.parse takes +23:59, which the database refuses (22009).
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-](0\d|1[0-5])(:?[0-5]\d)?)$/;
const MAX_CURSOR_LENGTH = 200;

/** The paged lists: a cursor is valid only for the list that made it. */
export type CursorList = 'runs' | 'alerts';

export function encodeCursor(list: CursorList, position: KeysetPosition): string {
  return btoa(`${list}|${position.at}|${position.id}`).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** The position a cursor of `list` stands for; `invalid_argument` when it is not one this module made for `list`. */
export function decodeCursor(list: CursorList, cursor: string): KeysetPosition {
  const invalid = () => new SyncRunLogError('invalid_argument', 'cursor is not valid: pass nextCursor as it came');
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) throw invalid();
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let text: string;
  try {
    text = atob(cursor.replaceAll('-', '+').replaceAll('_', '/'));
  } catch {
    throw invalid();
  }
  const [madeFor, at, id, ...rest] = text.split('|');
  if (rest.length > 0 || !at || !id || !TIMESTAMP.test(at) || !UUID.test(id) || Number.isNaN(Date.parse(at))) {
    throw invalid();
  }
  if (madeFor !== list) {
    throw new SyncRunLogError('invalid_argument', `cursor is not valid here: it is not a nextCursor of ${list}`);
  }
  return { at, id: id.toLowerCase() };
}

export interface Page<T> {
  items: T[];
  /** Pass it back as `before` for the next page; null when this page was not full (nothing more). */
  nextCursor: string | null;
}

/** A page of `list`'s `items` (at most `limit`): a full page gets the cursor of its last item. */
export function pageOf<T>(
  list: CursorList,
  items: T[],
  limit: number,
  positionOf: (item: T) => KeysetPosition,
): Page<T> {
  const last = items.at(-1);
  return {
    items,
    nextCursor: items.length === limit && last !== undefined ? encodeCursor(list, positionOf(last)) : null,
  };
}
