// Sign in: why you are here (signed out, session expired, or the sign-in was refused) and a link to sign in again.
import type { DashboardConfig } from '../config.ts';
import type { Messages } from '../i18n.ts';
import type { SessionState } from '../session.ts';

export function SignInView({ state, config, t }: { state: SessionState; config: DashboardConfig; t: Messages }) {
  const reason =
    state.kind === 'expired'
      ? t.signIn.expired
      : state.kind === 'refused'
        ? t.signIn.refused(state.reason)
        : t.signIn.signedOut;
  return (
    <main id="main" class="sign-in" tabIndex={-1}>
      <h1>{t.signIn.heading}</h1>
      <p role={state.kind === 'signed-out' ? undefined : 'alert'}>{reason}</p>
      {config.signInUrl ? (
        <p>
          <a class="button primary" href={config.signInUrl}>
            {state.kind === 'expired' ? t.signIn.linkAgain : t.signIn.link}
          </a>
        </p>
      ) : (
        <p>{t.signIn.noSignInUrl}</p>
      )}
    </main>
  );
}
