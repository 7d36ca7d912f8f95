// Who is signed in. Two ways, chosen by config.json's `auth`:
//   fragment (the local stack): the access token arrives in the address as Supabase Auth's redirect gives it
//     (`#access_token=...`); it is kept in sessionStorage (this tab only, gone when the tab closes) and removed from
//     the address bar at once, so it is not bookmarked, shared or sent as a referrer;
//   supabase (production): the supabase-js session of the app's own sign-in (api.ts asks supabase-js for it).
// The claims are read here only to say who you are and what your role may do; the function verifies the token.

export const TOKEN_KEY = 'sync-run-log.access-token';

export interface Session {
  accessToken: string;
  /** The app role (`user_role` claim): coordinator, admin, ... */
  role: string | null;
  orgId: string | null;
  /** Unix seconds, from the `exp` claim. */
  expiresAt: number | null;
}

export type SessionState =
  | { kind: 'signed-in'; session: Session }
  | { kind: 'signed-out' }
  | { kind: 'expired' }
  | { kind: 'refused'; reason: string };

/** The JWT's payload, without checking it (the server does). Null when the token is not a JWT. */
export function claimsOf(token: string): Record<string, unknown> | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const base64 = part.replaceAll('-', '+').replaceAll('_', '/');
    const text = new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
    const claims = JSON.parse(text) as unknown;
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function sessionOf(accessToken: string): Session | null {
  const claims = claimsOf(accessToken);
  if (!claims) return null;
  return {
    accessToken,
    role: typeof claims.user_role === 'string' ? claims.user_role : null,
    orgId: typeof claims.org_id === 'string' ? claims.org_id : null,
    expiresAt: typeof claims.exp === 'number' ? claims.exp : null,
  };
}

export function isExpired(session: Session, now: Date): boolean {
  return session.expiresAt !== null && session.expiresAt * 1000 <= now.getTime();
}

/**
 * Fragment mode: takes the token (or Supabase Auth's error) from the address, keeps the token for this tab, and
 * removes the fragment from the address bar (leaving the view's query as it was).
 */
export function fragmentSession(storage: Storage, now: Date): SessionState {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const given = fragment.get('access_token');
  const error = fragment.get('error_description') ?? fragment.get('error');
  if (given !== null || error !== null) {
    history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  }
  if (error !== null) {
    storage.removeItem(TOKEN_KEY);
    return { kind: 'refused', reason: error };
  }
  if (given !== null) storage.setItem(TOKEN_KEY, given);
  const token = storage.getItem(TOKEN_KEY);
  if (token === null) return { kind: 'signed-out' };
  const session = sessionOf(token);
  if (!session) {
    storage.removeItem(TOKEN_KEY);
    return { kind: 'signed-out' };
  }
  if (isExpired(session, now)) {
    storage.removeItem(TOKEN_KEY);
    return { kind: 'expired' };
  }
  return { kind: 'signed-in', session };
}

export function forgetFragmentSession(storage: Storage): void {
  storage.removeItem(TOKEN_KEY);
}
