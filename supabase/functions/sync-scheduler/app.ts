// The sync-scheduler Edge Function as a runtime-neutral `Request -> Response` handler (handler.ts wires it to the
// environment, index.ts serves it):
//   POST /tick  service role only (the JWT's verified role claim): one tick of the scheduler with the real clock;
//               answers with the tick's report. The runs it started go on in the background (EdgeRuntime.waitUntil
//               on Supabase), recording heartbeats and their end in the run log.
//   GET  /warm  the warm-up target: a cheap answer that wakes this function before a scheduled run.
import { authenticate, requireServiceRole } from '../_shared/auth.ts';
import type { DatabasePorts } from '../_shared/database.ts';
import { createFunctionHandler, json } from '../_shared/function-handler.ts';
import type { AdapterRegistry } from '../_shared/integrations/integration.ts';
import type { Logger } from '../_shared/log.ts';
import { SyncRunLogRepository } from '../_shared/run-log.repository.ts';
import { type SchedulerSettings, tickOptions } from '../_shared/scheduler/config.ts';
import { RunExecutor } from '../_shared/scheduler/executor.ts';
import { SchedulerRepository } from '../_shared/scheduler/scheduler.repository.ts';
import { tick } from '../_shared/scheduler/tick.ts';

export const FUNCTION_NAME = 'sync-scheduler';

export interface SyncSchedulerDeps {
  jwtSecret: string;
  db: DatabasePorts;
  log: Logger;
  adapters: AdapterRegistry;
  settings: SchedulerSettings;
  /** The scheduler's clock (default: the real one). */
  now?: () => Date;
  /** Keeps background work alive after the response (Supabase: EdgeRuntime.waitUntil). */
  waitUntil?: (promise: Promise<unknown>) => void;
}

export function createSyncSchedulerHandler(deps: SyncSchedulerDeps): (request: Request) => Promise<Response> {
  const now = deps.now ?? (() => new Date());
  const service = deps.db.asService();
  const runLog = new SyncRunLogRepository(service);
  const scheduler = new SchedulerRepository(service);
  const executor = new RunExecutor({ runLog, adapters: deps.adapters, log: deps.log });
  const options = tickOptions(deps.settings);

  return createFunctionHandler({
    name: FUNCTION_NAME,
    log: deps.log,
    routes: [
      {
        method: 'POST',
        path: '/tick',
        async handle(context) {
          const caller = await authenticate(context.request.headers.get('authorization'), { secret: deps.jwtSecret });
          requireServiceRole(caller);
          context.annotate({ caller: 'service_role' });
          const report = await tick(now(), {
            ...options,
            runLog,
            scheduler,
            log: deps.log,
            execute: (run) => {
              const running = executor.start(run);
              deps.waitUntil?.(running);
            },
          });
          context.annotate({ started: report.started.length, errors: report.errors.length });
          return json(report.errors.some((e) => e.stage === 'schedules') ? 503 : 200, report);
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
