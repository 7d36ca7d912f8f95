// Starts the dashboard: the language from the browser, config.json, who is signed in (the URL fragment locally, the
// supabase-js session in production), then the app, or the sign-in page when there is no valid session.
import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { createDashboardApi, supabaseClientFor } from './api.ts';
import { App } from './app.tsx';
import { AppContext, type AppContextValue } from './app-context.ts';
import { type DashboardConfig, loadConfig } from './config.ts';
import { createFormats, type Formats } from './format.ts';
import { chooseLanguage, type Language, type Messages, messagesFor } from './i18n.ts';
import { forgetFragmentSession, fragmentSession, isExpired, type SessionState, sessionOf } from './session.ts';
import { SignInView } from './views/sign-in.tsx';
import './styles.css';

interface RootProps {
  config: DashboardConfig;
  language: Language;
  t: Messages;
  f: Formats;
}

const now = () => new Date();

function Root({ config, language, t, f }: RootProps) {
  const token = useRef('');
  const supabase = useMemo(
    () => supabaseClientFor(config, config.auth === 'fragment' ? () => token.current : null),
    [config],
  );
  const [state, setState] = useState<SessionState | null>(null);

  useEffect(() => {
    if (config.auth === 'fragment') {
      setState(fragmentSession(sessionStorage, now()));
      return;
    }
    // Production: supabase-js takes Supabase Auth's redirect (#access_token=...&refresh_token=...) itself, keeps the
    // session and refreshes it; the dashboard follows its events.
    const fromSession = (accessToken: string | undefined): SessionState => {
      const session = accessToken ? sessionOf(accessToken) : null;
      if (!session) return { kind: 'signed-out' };
      return isExpired(session, now()) ? { kind: 'expired' } : { kind: 'signed-in', session };
    };
    supabase.auth.getSession().then(({ data }) => setState(fromSession(data.session?.access_token)));
    const { data } = supabase.auth.onAuthStateChange((event, session) => {
      if (event === 'SIGNED_OUT')
        setState((previous) => (previous?.kind === 'expired' ? previous : { kind: 'signed-out' }));
      else if (session) setState(fromSession(session.access_token));
    });
    return () => data.subscription.unsubscribe();
  }, [config, supabase]);

  const api = useMemo(() => createDashboardApi(supabase), [supabase]);
  const session = state?.kind === 'signed-in' ? state.session : null;
  if (session) token.current = session.accessToken;

  const context = useMemo<AppContextValue | null>(() => {
    if (!session) return null;
    const end = (next: SessionState) => {
      if (config.auth === 'fragment') forgetFragmentSession(sessionStorage);
      else void supabase.auth.signOut({ scope: 'local' });
      setState(next);
    };
    return {
      config,
      session,
      api,
      language,
      t,
      f,
      now,
      sessionEnded: () => end({ kind: 'expired' }),
    };
  }, [session, api, config, language, t, f, supabase]);

  if (state === null) return <p class="loading">{t.app.loading}</p>;
  if (!context) return <SignInView state={state} config={config} t={t} />;
  const signOut = () => {
    if (config.auth === 'fragment') forgetFragmentSession(sessionStorage);
    else void supabase.auth.signOut();
    setState({ kind: 'signed-out' });
  };
  return (
    <AppContext.Provider value={context}>
      <App onSignOut={signOut} />
    </AppContext.Provider>
  );
}

async function start(): Promise<void> {
  const root = document.getElementById('app') as HTMLElement;
  const { language, locale } = chooseLanguage(navigator.languages);
  document.documentElement.lang = language === 'nb' ? 'nb' : 'en';
  const t = messagesFor(language);
  const f = createFormats(locale);
  let config: DashboardConfig;
  try {
    config = await loadConfig();
  } catch (error) {
    render(
      <main id="main">
        <h1>{t.app.title}</h1>
        <p role="alert">{t.errors.config(error instanceof Error ? error.message : String(error))}</p>
      </main>,
      root,
    );
    return;
  }
  root.replaceChildren();
  render(<Root config={config} language={language} t={t} f={f} />, root);
}

void start();
