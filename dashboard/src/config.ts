// Where the project is: config.json beside index.html (written by `npm start` locally; by whoever deploys the static
// files in production, docs/dashboard.md). Read once at start.

export type AuthMode = 'fragment' | 'supabase';

export interface DashboardConfig {
  /** The project's URL, e.g. https://abcd.supabase.co (locally http://127.0.0.1:54321). */
  supabaseUrl: string;
  /** The project's publishable key (sb_publishable_...), or the legacy anon key. */
  publishableKey: string;
  /**
   * How the user's access token arrives: `fragment` (local stack: `#access_token=...` in the address, kept for the
   * tab in sessionStorage) or `supabase` (production: the supabase-js session of the app's own sign-in).
   */
  auth: AuthMode;
  /** Where "Sign in" sends the user (the app's sign-in page, or the local stack's page of sign-in links). */
  signInUrl: string | null;
  /** How often a running run is asked for its progress, in ms (default 2000). */
  pollMs: number;
}

export class ConfigError extends Error {}

/** Checks what config.json holds: a wrong file says what is wrong rather than failing later. */
export function parseConfig(value: unknown): DashboardConfig {
  const raw = (value ?? {}) as Record<string, unknown>;
  const url = raw.supabaseUrl;
  if (typeof url !== 'string' || !/^https?:\/\/[^\s]+$/.test(url)) {
    throw new ConfigError('config.json: supabaseUrl must be the project URL, e.g. https://<ref>.supabase.co');
  }
  if (typeof raw.publishableKey !== 'string' || raw.publishableKey === '') {
    throw new ConfigError('config.json: publishableKey must be the project publishable key');
  }
  const auth = raw.auth ?? 'supabase';
  if (auth !== 'fragment' && auth !== 'supabase') {
    throw new ConfigError('config.json: auth must be "supabase" or "fragment"');
  }
  const pollMs = raw.pollMs ?? 2000;
  if (typeof pollMs !== 'number' || !Number.isInteger(pollMs) || pollMs < 200 || pollMs > 60_000) {
    throw new ConfigError('config.json: pollMs must be a whole number of milliseconds from 200 to 60000');
  }
  const signInUrl = raw.signInUrl ?? null;
  if (signInUrl !== null && typeof signInUrl !== 'string') {
    throw new ConfigError('config.json: signInUrl must be a URL or null');
  }
  return { supabaseUrl: url.replace(/\/+$/, ''), publishableKey: raw.publishableKey, auth, signInUrl, pollMs };
}

export async function loadConfig(): Promise<DashboardConfig> {
  const response = await fetch('./config.json', { cache: 'no-store' });
  if (!response.ok) throw new ConfigError(`config.json could not be read (HTTP ${response.status})`);
  return parseConfig(await response.json());
}
