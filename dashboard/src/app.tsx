// The signed-in dashboard: a header with the views as links (Settings only for admins) and who you are, and the
// view the URL names. Moving to another view puts the focus on its heading, as a page load would.
import { useEffect, useRef } from 'preact/hooks';
import { useApp } from './app-context.ts';
import { roleWord } from './i18n.ts';
import { hrefOf, interceptLinks, useViewState, type View } from './url-state.ts';
import { AlertsView } from './views/alerts.tsx';
import { IntegrationView } from './views/integration/index.tsx';
import { OverviewView } from './views/overview.tsx';
import { SettingsView } from './views/settings.tsx';

export function App({ onSignOut }: { onSignOut(): void }) {
  const { t, session, language } = useApp();
  const state = useViewState();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  useEffect(() => (main.current ? interceptLinks(document.body) : undefined), []);
  useEffect(() => {
    document.title = `${state.view === 'integration' && state.type ? t.integrationName(state.type) : t.views[state.view]} · ${t.app.title}`;
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [state.view, state.type, t]);

  const views: View[] = session.role === 'admin' ? ['overview', 'alerts', 'settings'] : ['overview', 'alerts'];
  const current = state.view === 'integration' ? 'overview' : state.view;

  return (
    <>
      <a class="skip" href="#main">
        {t.app.skip}
      </a>
      <header class="top">
        <p class="brand">{t.app.title}</p>
        <nav aria-label={t.app.nav}>
          <ul>
            {views.map((view) => (
              <li key={view}>
                <a href={hrefOf({ view })} aria-current={view === current ? 'page' : undefined}>
                  {t.views[view]}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <p class="who">
          {t.app.signedInAs(roleWord(session.role, language))}{' '}
          <button type="button" class="link" onClick={onSignOut}>
            {t.app.signOut}
          </button>
        </p>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {state.view === 'overview' ? <OverviewView /> : null}
        {state.view === 'integration' ? <IntegrationView key={state.type} state={state} /> : null}
        {state.view === 'alerts' ? <AlertsView state={state} /> : null}
        {state.view === 'settings' ? <SettingsView /> : null}
      </main>
    </>
  );
}
