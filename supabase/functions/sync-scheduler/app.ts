// The sync-scheduler Edge Function as a runtime-neutral `Request -> Response` handler (handler.ts wires it to the
// environment, index.ts serves it):
//   POST /tick  service role only (a secret key in the apikey header, or a verified service_role JWT): one tick of the
//               scheduler with the real clock; answers once the due runs are started, with the report so far (reaped,
//               claimed, started, skipped, missed, alerts). The warm-up pings, the health checks, the alert webhooks
//               and the runs it started go on in the background (EdgeRuntime.waitUntil on Supabase).
//   POST /runs/claim  service role only: claims the queued "Sync now" runs (up to 25, oldest first) and executes
//               them in the background, as a tick does; answers at once with `{ claimed: [{ runId, orgId,
//               integrationType, queuedAt }] }`. The sync-run-log function calls it right after queueing a run
//               (_shared/scheduler/hand-off.ts), so a click need not wait for the next minute's tick.
//   GET  /warm  the warm-up target: a cheap answer that wakes this function before a scheduled run.
import { type Authenticator, requireServiceRole } from '../_shared/auth.ts';
import type { DatabasePorts } from '../_shared/database.ts';
import { createFunctionHandler, json, type RouteContext } from '../_shared/function-handler.ts';
import type { AdapterRegistry } from '../_shared/integrations/integration.ts';
import type { Logger } from '../_shared/log.ts';
import type { SchedulerSettings } from '../_shared/scheduler/config.ts';
import { claimQueuedRuns } from '../_shared/scheduler/queued-runs.ts';
import { createSchedulerRuntime, type SchedulerRuntimeOptions } from '../_shared/scheduler/runtime.ts';
import { tick } from '../_shared/scheduler/tick.ts';
import type { TickReport } from '../_shared/scheduler/tick.types.ts';

export const FUNCTION_NAME = 'sync-scheduler';

export interface SyncSchedulerDeps {
  auth: Authenticator;
  db: DatabasePorts;
  log: Logger;
  adapters: AdapterRegistry;
  settings: SchedulerSettings;
  /** The health monitor's settings; null: none. */
  health?: SchedulerRuntimeOptions['health'];
  /** The scheduler's clock (default: the real one). */
  now?: () => Date;
  /** Keeps background work alive after the response (Supabase: EdgeRuntime.waitUntil). */
  waitUntil?: (promise: Promise<unknown>) => void;
  /**
   * Given the function's `stop(reason)`, to call when the worker is about to be stopped (Supabase: the runtime's
   * `beforeunload` event, at its wall clock, CPU or memory limit): the runs still syncing are failed at once, saying
   * so, instead of staying `running` until the reaper gives up on them after their run timeout.
   */
  onShutdown?: (stop: (reason: string) => Promise<void>) => void;
}

export function createSyncSchedulerHandler(deps: SyncSchedulerDeps): (request: Request) => Promise<Response> {
  const now = deps.now ?? (() => new Date());
  const runtime = createSchedulerRuntime({
    rpc: deps.db.asService(),
    adapters: deps.adapters,
    log: deps.log,
    settings: deps.settings,
    health: deps.health,
    waitUntil: deps.waitUntil,
  });
  deps.onShutdown?.((reason) => runtime.executor.stopAll(reason));

  /** Both work routes are the service role's: 401/403 for anyone else, and the log line says who called. */
  const asServiceRole = async (context: RouteContext) => {
    requireServiceRole(await deps.auth.authenticate(context.request.headers));
    context.annotate({ caller: 'service_role' });
  };

  return createFunctionHandler({
    name: FUNCTION_NAME,
    log: deps.log,
    routes: [
      {
        method: 'POST',
        path: '/tick',
        async handle(context) {
          await asServiceRole(context);
          // Answered once the due runs are started: the warm-up pings, the health checks and the alert webhooks
          // (each may wait on a slow server) go on after the answer, and the tick's log line has them.
          let answer: (report: TickReport) => void = () => {};
          const started = new Promise<TickReport>((resolve) => {
            answer = resolve;
          });
          const done = tick(now(), { ...runtime.deps, onStarted: (report) => answer(report) });
          deps.waitUntil?.(done.catch(() => {}));
          const report = await Promise.race([started, done]);
          context.annotate({ started: report.started.length, errors: report.errors.length });
          return json(report.errors.some((e) => e.stage === 'schedules') ? 503 : 200, report);
        },
      },
      {
        method: 'POST',
        path: '/runs/claim',
        async handle(context) {
          await asServiceRole(context);
          const claimed = await claimQueuedRuns({ ...runtime.deps, queue: runtime.queue });
          context.annotate({ claimed: claimed.length });
          return json(200, { claimed });
        },
      },
      {
        method: 'GET',
        path: '/warm',
        handle: () => json(200, { warm: true, at: now().toISOString() }),
      },
    ],
  });
}
