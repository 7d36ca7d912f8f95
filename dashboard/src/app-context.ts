// What every view gets: the API, the signed-in session, the language's messages and formats, the clock, and how to
// report that the session has ended. Also the hook that loads a view's data once (and again only when asked).
import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import { type DashboardApi, SyncRunLogError } from './api.ts';
import type { DashboardConfig } from './config.ts';
import type { Formats } from './format.ts';
import type { Language, Messages } from './i18n.ts';
import type { Session } from './session.ts';

export interface AppContextValue {
  config: DashboardConfig;
  session: Session;
  api: DashboardApi;
  language: Language;
  t: Messages;
  f: Formats;
  now(): Date;
  /** A 401 anywhere: the session has ended; the app shows the sign-in page. */
  sessionEnded(): void;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside the app');
  return value;
}

export type Load<T> =
  | { state: 'loading' }
  | { state: 'failed'; error: SyncRunLogError; reload(): void }
  | { state: 'loaded'; data: T; reload(): void };

/** A plain error from anything thrown (the API throws SyncRunLogErrors; anything else is a bug or the network). */
export function asApiError(error: unknown): SyncRunLogError {
  if (error instanceof SyncRunLogError) return error;
  return new SyncRunLogError('internal', error instanceof Error ? error.message : String(error));
}

/**
 * Loads a view's data once per `key` (the view's URL state that matters), dropping answers that arrive after the
 * key changed. A 401 ends the session instead of showing an error.
 */
export function useLoad<T>(key: string, load: () => Promise<T>): Load<T> {
  const { sessionEnded } = useApp();
  const [result, setResult] = useState<Load<T>>({ state: 'loading' });
  const [generation, setGeneration] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  const reload = useCallback(() => setGeneration((n) => n + 1), []);

  useEffect(() => {
    let current = true;
    setResult((previous) => (previous.state === 'loaded' && generation > 0 ? previous : { state: 'loading' }));
    latest.current().then(
      (data) => {
        if (current) setResult({ state: 'loaded', data, reload });
      },
      (error: unknown) => {
        if (!current) return;
        const apiError = asApiError(error);
        if (apiError.code === 'unauthorized') sessionEnded();
        else setResult({ state: 'failed', error: apiError, reload });
      },
    );
    return () => {
      current = false;
    };
  }, [key, generation]);
  return result;
}

/** Marks the moment a view first shows its data (the browser tests and the first-view figure read it). */
export function markViewReady(view: string): void {
  document.documentElement.dataset.ready = view;
  try {
    performance.mark(`sync-run-log:view-ready:${view}`);
  } catch {
    // a performance object without marks (e.g. a test's fake clock): the attribute above is enough
  }
}
