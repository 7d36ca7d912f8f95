// Settings, for admins only: per integration, the connection (its settings, enabled, and write-only credentials that
// say "set on <date>" and never show a value) and the schedule, whose cron field says in words what it means and
// shows its next 3 periods before it is saved. Coordinators get a sentence saying what their role may do; other roles
// the API's 403 in words.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Connection, Integration, Schedule } from '../api.ts';
import { asApiError, markViewReady, useApp, useLoad } from '../app-context.ts';
import { Problem, useProblemText } from '../components/problem.tsx';
import { Time } from '../components/time.tsx';
import { describeCron, previewCron, zoneChoices } from '../cron-text.ts';
import { focusLost } from '../focus.ts';
import { roleWord } from '../i18n.ts';

interface FieldSpec {
  key: string;
  kind: 'text' | 'number' | 'url';
}

/** What each adapter's connection holds (the server checks it again: docs/integrations.md). */
const CONNECTION_FIELDS: Record<string, { settings: FieldSpec[]; credentials: string[] }> = {
  xledger: { settings: [{ key: 'companyId', kind: 'number' }], credentials: ['apiToken'] },
  dynamics: {
    settings: [
      { key: 'environmentUrl', kind: 'url' },
      { key: 'tenantId', kind: 'text' },
    ],
    credentials: ['clientId', 'clientSecret'],
  },
  bufdir: { settings: [{ key: 'organisationNumber', kind: 'text' }], credentials: ['apiKey'] },
};

export const DEFAULT_RUN_TIMEOUT_SECONDS = 1800;
/** A new schedule's time zone, and the zone of an integration's times while it has no schedule. */
export const DEFAULT_TIME_ZONE = 'Europe/Oslo';

export function SettingsView() {
  const { api, t, session, language } = useApp();
  const isAdmin = session.role === 'admin';
  const load = useLoad(`settings:${isAdmin}`, () => (isAdmin ? api.integrations() : Promise.resolve([])));
  useEffect(() => {
    if (!isAdmin || load.state === 'loaded') markViewReady('settings');
  }, [isAdmin, load.state]);
  if (!isAdmin) {
    const role = roleWord(session.role, language);
    return (
      <>
        <h1 tabIndex={-1}>{t.settings.heading}</h1>
        {/* The API refuses other roles than coordinators and admins altogether (403). */}
        <p class="notice">{session.role === 'coordinator' ? t.settings.adminsOnly(role) : t.errors.forbidden(role)}</p>
      </>
    );
  }
  return (
    <>
      <h1 tabIndex={-1}>{t.settings.heading}</h1>
      <p class="intro">{t.settings.intro}</p>
      {load.state === 'loading' ? <p class="loading">{t.app.loading}</p> : null}
      {load.state === 'failed' ? <Problem error={load.error} retry={load.reload} /> : null}
      {load.state === 'loaded'
        ? load.data.map((entry) => <IntegrationSettings key={entry.integrationType} entry={entry} />)
        : null}
    </>
  );
}

function IntegrationSettings({ entry }: { entry: Integration }) {
  const { t } = useApp();
  const type = entry.integrationType;
  return (
    <section class="settings" aria-labelledby={`settings-${type}`}>
      <h2 id={`settings-${type}`}>{t.integrationName(type)}</h2>
      <div class="settings-grid">
        <ConnectionForm type={type} initial={entry.connection} zone={entry.schedule?.timeZone ?? DEFAULT_TIME_ZONE} />
        <ScheduleForm type={type} initial={entry.schedule} />
      </div>
    </section>
  );
}

function useSaving() {
  const { sessionEnded } = useApp();
  const problemText = useProblemText();
  const [message, setMessage] = useState<{ text: string; failed: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  async function save(action: () => Promise<string>) {
    setBusy(true);
    setMessage(null);
    try {
      setMessage({ text: await action(), failed: false });
    } catch (error) {
      const apiError = asApiError(error);
      if (apiError.code === 'unauthorized') return sessionEnded();
      setMessage({ text: problemText(apiError), failed: true });
    } finally {
      setBusy(false);
    }
  }
  return { message, setMessage, busy, save };
}

function ConnectionForm({ type, initial, zone }: { type: string; initial: Connection | null; zone: string }) {
  const { api, t, f } = useApp();
  const fields = CONNECTION_FIELDS[type] ?? { settings: [], credentials: [] };
  const [connection, setConnection] = useState(initial);
  const { message, setMessage, busy, save } = useSaving();
  const id = (key: string) => `${type}-${key}`;

  const onSubmit = (event: Event) => {
    event.preventDefault();
    const element = event.currentTarget as HTMLFormElement;
    const form = new FormData(element);
    const settings: Record<string, unknown> = {};
    for (const field of fields.settings) {
      const value = String(form.get(field.key) ?? '').trim();
      if (value !== '') settings[field.key] = field.kind === 'number' ? Number(value) : value;
    }
    const credentials: Record<string, string> = {};
    for (const key of fields.credentials) {
      const value = String(form.get(key) ?? '');
      if (value !== '') credentials[key] = value;
    }
    // PUT replaces the connection whole, credentials included: they are write-only, so they are entered again.
    if (Object.keys(credentials).length < fields.credentials.length) {
      setMessage({ text: t.settings.credentialsRequired, failed: true });
      return;
    }
    void save(async () => {
      const saved = await api.saveConnection(type, { settings, credentials, enabled: form.get('enabled') === 'on' });
      setConnection(saved);
      // Write-only: the fields are emptied, in the form as it is (a new one would lose the focus and the status line
      // that screen readers are listening to).
      for (const key of fields.credentials) {
        const input = element.elements.namedItem(key);
        if (input instanceof HTMLInputElement) input.value = '';
      }
      return t.settings.connectionSaved(t.integrationName(type));
    });
  };

  return (
    <form class="panel" aria-label={t.settings.connectionOf(t.integrationName(type))} onSubmit={onSubmit}>
      <h3 id={id('connection')}>{t.settings.connection}</h3>
      <p class="check">
        <input type="checkbox" id={id('enabled')} name="enabled" defaultChecked={connection?.enabled ?? true} />
        <label for={id('enabled')}>{t.settings.connectionEnabled}</label>
      </p>
      {fields.settings.length > 0 ? (
        <fieldset>
          <legend>{t.settings.settingsLegend}</legend>
          {fields.settings.map((field) => (
            <p class="field" key={field.key}>
              <label for={id(field.key)}>{t.settings.fields[field.key] ?? field.key}</label>
              <input
                id={id(field.key)}
                name={field.key}
                // text, url or number: Preact's types want one literal per element
                type={field.kind as 'text'}
                defaultValue={String(connection?.settings[field.key] ?? '')}
                autoComplete="off"
              />
            </p>
          ))}
        </fieldset>
      ) : null}
      {fields.credentials.length > 0 ? (
        <fieldset>
          <legend>{t.settings.credentials}</legend>
          <p class="hint" id={id('credentials-state')}>
            {connection?.credentialsSetAt
              ? t.settings.setOn(f.dateTime(connection.credentialsSetAt, zone))
              : t.settings.notSet}
          </p>
          {fields.credentials.map((key) => (
            <p class="field" key={key}>
              <label for={id(key)}>{t.settings.fields[key] ?? key}</label>
              <input
                id={id(key)}
                name={key}
                type="password"
                autoComplete="new-password"
                spellcheck={false}
                aria-describedby={id('credentials-state')}
              />
            </p>
          ))}
        </fieldset>
      ) : null}
      <SaveRow label={t.settings.saveConnection} type={type} busy={busy} message={message} />
    </form>
  );
}

/** A form's save button (named with its integration for screen readers) and the status line that says what came of it. */
function SaveRow(props: {
  label: string;
  type: string;
  busy: boolean;
  message: { text: string; failed: boolean } | null;
}) {
  const { t } = useApp();
  // The button is disabled while its request is out (and so loses the focus): it gets it back once that answered.
  const button = useRef<HTMLButtonElement>(null);
  const status = useRef<HTMLParagraphElement>(null);
  const pressed = useRef(false);
  useLayoutEffect(() => {
    if (!pressed.current || props.busy) return;
    pressed.current = false;
    if (focusLost()) button.current?.focus();
  }, [props.busy]);
  // What came of it is on screen, also on a phone where the line under the button starts below the fold.
  useLayoutEffect(() => {
    if (props.message) status.current?.scrollIntoView({ block: 'nearest' });
  }, [props.message]);
  return (
    <>
      <p>
        <button
          type="submit"
          class="primary"
          disabled={props.busy}
          ref={button}
          onClick={() => {
            pressed.current = true;
          }}
        >
          {props.label}
          <span class="visually-hidden"> ({t.integrationName(props.type)})</span>
        </button>
      </p>
      <p class={`message${props.message?.failed ? ' failed' : ''}`} role="status" aria-live="polite" ref={status}>
        {props.message?.text ?? ''}
      </p>
    </>
  );
}

function ScheduleForm({ type, initial }: { type: string; initial: Schedule | null }) {
  const { api, t, f, language, now } = useApp();
  const [cron, setCron] = useState(initial?.cronExpression ?? '0 14 * * *');
  const [zone, setZone] = useState(initial?.timeZone ?? DEFAULT_TIME_ZONE);
  const [enabled, setEnabled] = useState(initial?.enabled ?? true);
  const [timeout, setTimeoutSeconds] = useState(String(initial?.runTimeoutSeconds ?? DEFAULT_RUN_TIMEOUT_SECONDS));
  const { message, busy, save } = useSaving();
  // The stored zone stays offered (an old spelling too) whatever is picked meanwhile; a pick comes from the list.
  const stored = initial?.timeZone ?? DEFAULT_TIME_ZONE;
  const zones = useMemo(() => zoneChoices(stored), [stored]);
  const preview = previewCron(cron, zone, now());
  const words = describeCron(cron, zone, language);
  const id = (key: string) => `${type}-schedule-${key}`;

  const onSubmit = (event: Event) => {
    event.preventDefault();
    void save(async () => {
      const saved = await api.saveSchedule(type, {
        cronExpression: cron.trim(),
        timeZone: zone,
        enabled,
        runTimeoutSeconds: Number(timeout),
      });
      const next = saved.nextPeriods[0];
      return next
        ? t.settings.scheduleSaved(t.integrationName(type), f.dateTime(next, saved.timeZone))
        : t.settings.scheduleSavedPaused(t.integrationName(type));
    });
  };

  return (
    <form class="panel" aria-label={t.settings.scheduleOf(t.integrationName(type))} onSubmit={onSubmit}>
      <h3 id={id('heading')}>{t.settings.schedule}</h3>
      <p class="field">
        <label for={id('cron')}>{t.settings.cron}</label>
        <input
          id={id('cron')}
          name="cronExpression"
          value={cron}
          onInput={(event) => setCron((event.currentTarget as HTMLInputElement).value)}
          aria-describedby={`${id('help')} ${id('means')}`}
          aria-invalid={preview.ok ? undefined : 'true'}
          autoComplete="off"
          spellcheck={false}
          class="mono"
        />
        <span class="hint" id={id('help')}>
          {t.settings.cronHelp}
        </span>
      </p>
      <p class="field">
        <label for={id('zone')}>{t.settings.timeZone}</label>
        <select
          id={id('zone')}
          value={zone}
          onChange={(event) => setZone((event.currentTarget as HTMLSelectElement).value)}
        >
          {zones.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </p>
      <div class="preview" id={id('means')}>
        {preview.ok ? (
          <>
            <p>
              <strong>{t.settings.means}:</strong> {words ?? cron}
            </p>
            <p id={id('next')}>
              <strong>{t.settings.nextPeriods}:</strong>
            </p>
            <ol aria-labelledby={id('next')}>
              {preview.periods.map((period) => (
                <li key={period.toISOString()}>
                  <Time iso={period.toISOString()} zone={zone} />
                </li>
              ))}
            </ol>
          </>
        ) : (
          <p class="failed">
            {preview.fields === undefined
              ? t.settings.cronRefused(preview.message)
              : t.settings.cronFields(preview.fields)}
          </p>
        )}
      </div>
      <p class="check">
        <input
          type="checkbox"
          id={id('enabled')}
          checked={enabled}
          onChange={(event) => setEnabled((event.currentTarget as HTMLInputElement).checked)}
        />
        <label for={id('enabled')}>{t.settings.scheduleEnabled}</label>
      </p>
      <p class="field">
        <label for={id('timeout')}>{t.settings.runTimeout}</label>
        <input
          id={id('timeout')}
          type="number"
          min={60}
          step={1}
          value={timeout}
          onInput={(event) => setTimeoutSeconds((event.currentTarget as HTMLInputElement).value)}
        />
      </p>
      <SaveRow label={t.settings.saveSchedule} type={type} busy={busy} message={message} />
    </form>
  );
}
