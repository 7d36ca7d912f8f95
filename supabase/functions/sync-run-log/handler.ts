// The sync-run-log handler wired to its environment. index.ts serves it; the local functions router imports it.
//   SUPABASE_DB_URL (set by Supabase) or DATABASE_URL (local): the database, used as the caller (RLS) or the service role
//   SUPABASE_URL, SUPABASE_JWKS, SUPABASE_SECRET_KEYS, ... (set by Supabase), or SUPABASE_JWT_SECRET / JWT_SECRET:
//     how callers are verified (_shared/auth-config.ts); with none of them it refuses to start, in one line.
//   SUPABASE_URL with a secret key, SYNC_NOW_HAND_OFF: where a queued "Sync now" is handed on (sync-now-hand-off.ts).
//   SUPABASE_URL is also the server openapi.json names, when it is one a client outside reaches.
import { createAuthenticator } from '../_shared/auth.ts';
import { authConfigFromEnv } from '../_shared/auth-config.ts';
import { connectDatabase } from '../_shared/database.ts';
import { jsonLogger } from '../_shared/log.ts';
import { createSyncRunLogHandler } from './app.ts';
import { publicProjectUrl } from './openapi.ts';
import { syncNowHandOff } from './sync-now-hand-off.ts';

const env = Deno.env.toObject();
const log = jsonLogger();

type EdgeRuntimeGlobal = { EdgeRuntime?: { waitUntil(promise: Promise<unknown>): void } };
const edgeRuntime = (globalThis as EdgeRuntimeGlobal).EdgeRuntime;

export const handler: (request: Request) => Promise<Response> = createSyncRunLogHandler({
  auth: createAuthenticator(authConfigFromEnv(env)),
  db: connectDatabase(env),
  log,
  projectUrl: publicProjectUrl(env.SUPABASE_URL),
  onRunQueued: syncNowHandOff(env, log, {
    keepAlive: edgeRuntime ? (promise) => edgeRuntime.waitUntil(promise) : undefined,
  }),
});

export default handler;
