// What is on screen lives in the address's query, so a link reproduces it: the view, the integration, the history
// filters and page (keyset cursor), the run whose detail is open, the ledger's day and the alerts page.
// Links are real <a href="?..."> links; a click on one is turned into history.pushState (no reload), and the back
// button works because the view follows popstate.
import { useEffect, useState } from 'preact/hooks';

export const VIEWS = ['overview', 'integration', 'alerts', 'settings'] as const;
export type View = (typeof VIEWS)[number];

export interface ViewState {
  view: View;
  /** The integration (integration view; a filter on the alerts view). */
  type?: string;
  /** History filters. */
  status?: string;
  trigger?: string;
  /** Keyset cursor of the history or alerts page (the API's nextCursor). */
  cursor?: string;
  /** The run whose detail is open. */
  run?: string;
  /** The ledger's selected day (YYYY-MM-DD in the schedule's time zone). */
  day?: string;
}

const KEYS = ['type', 'status', 'trigger', 'cursor', 'run', 'day'] as const;

export function parseState(search: string): ViewState {
  const query = new URLSearchParams(search);
  const view = query.get('view');
  const state: ViewState = { view: (VIEWS as readonly string[]).includes(view ?? '') ? (view as View) : 'overview' };
  for (const key of KEYS) {
    const value = query.get(key);
    if (value) state[key] = value;
  }
  return state;
}

/** The href of a state: `?view=...&type=...` (relative, so the dashboard works under any path). */
export function hrefOf(state: ViewState): string {
  const query = new URLSearchParams({ view: state.view });
  for (const key of KEYS) {
    const value = state[key];
    if (value) query.set(key, value);
  }
  return `?${query}`;
}

const CHANGE = 'sync-run-log:navigate';

export function navigate(state: ViewState, options: { replace?: boolean } = {}): void {
  const href = hrefOf(state);
  if (options.replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  window.dispatchEvent(new Event(CHANGE));
}

/** The current state, following links, navigate() and the back button. */
export function useViewState(): ViewState {
  const [state, setState] = useState(() => parseState(location.search));
  useEffect(() => {
    const update = () => {
      const next = parseState(location.search);
      // Another view marks itself ready when its data is shown (app-context.ts's markViewReady).
      if (next.view !== document.documentElement.dataset.ready) delete document.documentElement.dataset.ready;
      setState(next);
    };
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGE, update);
    };
  }, []);
  return state;
}

/**
 * Turns clicks on the dashboard's own links (`?...`) into navigation without a reload. Modified clicks (new tab,
 * etc.) and other links keep the browser's behaviour.
 */
export function interceptLinks(root: HTMLElement): () => void {
  const onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const link = (event.target as Element | null)?.closest?.('a');
    if (!link || link.target || link.hasAttribute('download')) return;
    const href = link.getAttribute('href');
    if (!href?.startsWith('?')) return;
    event.preventDefault();
    history.pushState(null, '', href);
    window.dispatchEvent(new Event(CHANGE));
  };
  root.addEventListener('click', onClick);
  return () => root.removeEventListener('click', onClick);
}
