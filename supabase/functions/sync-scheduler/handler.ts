// The sync-scheduler handler wired to its environment. index.ts serves it; the local functions router imports it.
//   SUPABASE_DB_URL (set by Supabase) or DATABASE_URL (local): the database, used as the service role
//   SUPABASE_SECRET_KEYS / SUPABASE_SERVICE_ROLE_KEY (set by Supabase), or a service_role JWT verified as
//     _shared/auth-config.ts says: who may tick
//   SUPABASE_URL (set by Supabase): the default warm-up target is this function's GET /warm
//   the adapters' base URLs and tuning (XLEDGER_*, DYNAMICS_*, BUFDIR_*; each org's credentials come from its
//   connection, per run), the scheduler's (_shared/scheduler/config.ts) and the health monitor's (HEALTH_*,
//   _shared/health/health-config.ts)
import { createAuthenticator } from '../_shared/auth.ts';
import { authConfigFromEnv, requireServiceCallers } from '../_shared/auth-config.ts';
import { connectDatabase } from '../_shared/database.ts';
import { healthConfigFromEnv } from '../_shared/health/health-config.ts';
import { createAdapters } from '../_shared/integrations/registry.ts';
import { jsonLogger } from '../_shared/log.ts';
import { schedulerSettingsFromEnv } from '../_shared/scheduler/config.ts';
import { createSyncSchedulerHandler, FUNCTION_NAME } from './app.ts';

const env = Deno.env.toObject();

function selfUrl(): string | null {
  if (env.SUPABASE_URL) return `${env.SUPABASE_URL.replace(/\/$/, '')}/functions/v1/${FUNCTION_NAME}/warm`;
  if (env.FUNCTIONS_PORT) return `http://127.0.0.1:${env.FUNCTIONS_PORT}/functions/v1/${FUNCTION_NAME}/warm`;
  return null;
}

type EdgeRuntimeGlobal = { EdgeRuntime?: { waitUntil(promise: Promise<unknown>): void } };
const edgeRuntime = (globalThis as EdgeRuntimeGlobal).EdgeRuntime;

/** Supabase's runtime dispatches `beforeunload` before it stops a worker (detail.reason: WallClockTime, CPUTime...). */
function onBeforeUnload(stop: (reason: string) => Promise<void>): void {
  if (!edgeRuntime) return;
  globalThis.addEventListener('beforeunload', (event) => {
    const reason = (event as Event & { detail?: { reason?: unknown } }).detail?.reason;
    void stop(typeof reason === 'string' ? reason : 'shutdown');
  });
}

export const handler: (request: Request) => Promise<Response> = createSyncSchedulerHandler({
  auth: createAuthenticator(requireServiceCallers(authConfigFromEnv(env), FUNCTION_NAME)),
  db: connectDatabase(env),
  log: jsonLogger(),
  adapters: createAdapters(env),
  settings: schedulerSettingsFromEnv(env, selfUrl()),
  health: { config: healthConfigFromEnv(env) },
  waitUntil: edgeRuntime ? (promise) => edgeRuntime.waitUntil(promise) : undefined,
  onShutdown: onBeforeUnload,
});

export default handler;
