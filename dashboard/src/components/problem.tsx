// An error as a plain sentence with what to do next (docs/errors.md has the codes). A 401 never gets here: the app
// shows the sign-in page instead.
import type { SyncRunLogError } from '../api.ts';
import { useApp } from '../app-context.ts';
import { type Messages, roleWord } from '../i18n.ts';

export function problemText(error: SyncRunLogError, t: Messages, role: string): string {
  switch (error.code) {
    case 'forbidden':
      return t.errors.forbidden(role);
    case 'not_found':
      return t.errors.notFound;
    case 'not_configured':
      return t.errors.notConfigured;
    case 'already_running':
      return t.errors.alreadyRunning;
    case 'not_running':
    case 'invalid_transition':
      return t.errors.notRunning;
    case 'alert_changed': {
      const count = error.details.failedCount;
      return t.errors.alertChanged(typeof count === 'number' && Number.isInteger(count) ? count : null);
    }
    case 'invalid_argument':
      return t.errors.invalid(error.message.replace(/\.$/, ''));
    case 'unavailable':
      return t.errors.unavailable;
    case 'rate_limited':
      return t.errors.rateLimited;
    default:
      return t.errors.internal;
  }
}

export function useProblemText(): (error: SyncRunLogError) => string {
  const { t, session, language } = useApp();
  return (error) => problemText(error, t, roleWord(session.role, language));
}

/**
 * A failed load: the sentence, and a way to try again. A page of a list whose cursor the service refused (a link from
 * before an update, or edited by hand) offers the list's first page instead: trying the same cursor again cannot help.
 */
export function Problem({
  error,
  retry,
  firstPage,
}: {
  error: SyncRunLogError;
  retry?: () => void;
  firstPage?: { href: string; label: string };
}) {
  const { t } = useApp();
  const text = useProblemText()(error);
  const refusedPage = firstPage !== undefined && error.code === 'invalid_argument';
  return (
    <div class="problem" role="alert">
      <p>{text}</p>
      {refusedPage ? (
        <p>
          <a href={firstPage.href}>{firstPage.label}</a>
        </p>
      ) : retry ? (
        <button type="button" onClick={retry}>
          {t.errors.retry}
        </button>
      ) : null}
    </div>
  );
}
