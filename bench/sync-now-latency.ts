// "Sync now" on the local stack, wired as `npm start` wires it (src/local/start.ts): a fresh database, the simulated
// vendor APIs (their latency and data), the functions under Deno, and the local ticker (startTicker) with its claim
// loop every SCHEDULER_CLAIM_INTERVAL_MS (default 1 s), the health monitor on, running the syncs in this process.
// An org with an xledger connection (the credentials the simulated API accepts) clicks "Sync now": a coordinator's
// POST /runs, then GET /runs/{id} every 20 ms until the run is `running`. Timed from the click to that answer; beside
// it, when the ticker claimed the run (its run_claimed log line, in this process). Then the coordinator cancels the
// run and the next click waits until the executor has let it go (its end log line).
// A click comes at any moment of the claim loop's interval, but one right after a cancel would always come just
// after a claim: before each click the bench waits a different fraction of the interval (golden-ratio steps, the same
// every run), so the clicks cover the interval evenly. The first click of the fresh stack is reported apart.
import { randomUUID } from 'node:crypto';
import { LOCAL_JWT_SECRET, mintUserToken } from '../src/local/auth-keys.ts';
import { DEMO_CONNECTIONS } from '../src/local/demo-seed.ts';
import { startFunctionsHost } from '../src/local/functions-host.ts';
import { startSimulatedApis } from '../src/local/simulated-apis/index.ts';
import { startTicker } from '../src/local/ticker.ts';
import { SERVICE_CONTEXT } from '../supabase/functions/_shared/database.ts';
import { integerFromEnv } from '../supabase/functions/_shared/env.ts';
import { healthConfigFromEnv } from '../supabase/functions/_shared/health/health-config.ts';
import { createAdapters } from '../supabase/functions/_shared/integrations/registry.ts';
import { IntegrationsRepository } from '../supabase/functions/_shared/integrations.repository.ts';
import type { Logger } from '../supabase/functions/_shared/log.ts';
import { schedulerSettingsFromEnv } from '../supabase/functions/_shared/scheduler/config.ts';
import { createSqlRpc } from '../supabase/functions/_shared/sql-rpc.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { type BenchContext, type BenchSection, percentile } from './bench-context.ts';
import { getRequest, KeepAliveConnection } from './http-load.ts';

const CLICKS = 20;
const POLL_MS = 20;
const TARGET_MS = 5_000; // issue 10: on the local stack a click starts within 5 s
const RUN_END_TIMEOUT_MS = 30_000;
const ENDED = new Set(['run_completed', 'run_failed', 'run_ended_elsewhere', 'run_end_unrecorded']);
const GOLDEN = 0.618_033_988_75;
const BASE = '/functions/v1/sync-run-log';

interface Click {
  /** Click to the 201 of POST /runs. */
  answeredMs: number;
  /** Click to the ticker's claim (its log line). */
  claimedMs: number;
  /** Click to the GET /runs/{id} that said `running`. */
  runningMs: number;
}

/** Timestamps (performance.now()) of the ticker's log events, per run. */
function eventRecorder() {
  const seen = new Map<string, Map<string, number>>();
  const waiters = new Set<() => void>();
  const log: Logger = {
    log(_level, _message, fields = {}) {
      const { runId, event } = fields as { runId?: unknown; event?: unknown };
      if (typeof runId !== 'string' || typeof event !== 'string') return;
      const events = seen.get(runId) ?? new Map<string, number>();
      if (!events.has(event)) events.set(event, performance.now());
      seen.set(runId, events);
      for (const wake of waiters) wake();
    },
  };
  /** Resolves with the time of the first of `events` for the run, or throws after `timeoutMs`. */
  async function waitFor(runId: string, events: Set<string>, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      for (const [event, at] of seen.get(runId) ?? []) if (events.has(event)) return at;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`run ${runId}: none of ${[...events].join(', ')} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, left);
        waiters.add(wake);
      });
    }
  }
  return { log, waitFor };
}

function request(method: string, port: number, path: string, token: string, body?: unknown): Buffer {
  const text = body === undefined ? '' : JSON.stringify(body);
  const head = [`${method} ${path} HTTP/1.1`, `host: 127.0.0.1:${port}`, `authorization: Bearer ${token}`];
  if (body !== undefined) head.push('content-type: application/json', `content-length: ${Buffer.byteLength(text)}`);
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${text}`, 'utf8');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function measureSyncNow(ctx: BenchContext): Promise<Pick<BenchSection, 'lines' | 'figures'>> {
  const db = await ctx.createDatabase();
  const stops: Array<() => Promise<void>> = [() => db.drop()];
  try {
    const orgId = randomUUID();
    const rpc = createSqlRpc(db.sql, SERVICE_CONTEXT);
    await new IntegrationsRepository(rpc).upsertConnection({
      orgId,
      integrationType: 'xledger',
      settings: { ...DEMO_CONNECTIONS.xledger.settings },
      credentials: { ...DEMO_CONNECTIONS.xledger.credentials },
      enabled: true,
    });

    // The simulated APIs as npm start runs them (latency, data), on free ports; their base URLs go to the adapters
    // and the functions, never into this process's environment.
    const apiEnv: NodeJS.ProcessEnv = {};
    const apis = await startSimulatedApis(
      { xledgerPort: await freePort(), dynamicsPort: await freePort(), bufdirPort: await freePort() },
      apiEnv,
    );
    stops.push(() => apis.stop());
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...process.env, ...apiEnv })) if (value !== undefined) env[key] = value;
    const port = await freePort();
    const host = await startFunctionsHost({
      databaseUrl: db.url,
      port,
      authEnv: { SUPABASE_JWT_SECRET: LOCAL_JWT_SECRET },
      env: Object.fromEntries(Object.entries(apiEnv).filter((e): e is [string, string] => e[1] !== undefined)),
      log: () => {},
    });
    stops.push(() => host.stop());
    const events = eventRecorder();
    const claimIntervalMs = integerFromEnv(env, 'SCHEDULER_CLAIM_INTERVAL_MS', 1_000, 0, 60_000);
    const ticker = startTicker({
      rpc,
      adapters: createAdapters(env),
      log: events.log,
      settings: schedulerSettingsFromEnv(env, `${host.url}/sync-scheduler/warm`),
      health: { config: healthConfigFromEnv(env) },
      claimIntervalMs,
    });
    stops.push(() => ticker.stop());

    const token = await mintUserToken({ orgId, userRole: 'coordinator' }, { secret: LOCAL_JWT_SECRET });
    const connection = await KeepAliveConnection.open('127.0.0.1', host.port);
    stops.push(async () => connection.close());
    const call = async (bytes: Buffer, expected: number) => {
      const response = await connection.send(bytes);
      const text = response.body.toString();
      if (response.status !== expected) throw new Error(`${response.status} instead of ${expected}: ${text}`);
      return JSON.parse(text) as { run: { id: string; status: string } };
    };
    const click = async (): Promise<Click> => {
      const t0 = performance.now();
      const { run } = await call(request('POST', port, `${BASE}/runs`, token, { integrationType: 'xledger' }), 201);
      const answeredMs = performance.now() - t0;
      const poll = getRequest('127.0.0.1', port, `${BASE}/runs/${run.id}`, { authorization: `Bearer ${token}` });
      let status = run.status;
      let runningMs = answeredMs;
      while (status !== 'running') {
        if (status !== 'pending') throw new Error(`run ${run.id} is ${status}, never running`);
        if (performance.now() - t0 > RUN_END_TIMEOUT_MS) throw new Error(`run ${run.id} still pending`);
        const polled = performance.now();
        status = (await call(poll, 200)).run.status;
        runningMs = performance.now() - t0;
        await sleep(Math.max(0, polled + POLL_MS - performance.now()));
      }
      const claimedMs = (await events.waitFor(run.id, new Set(['run_claimed']), 1_000)) - t0;
      await call(request('PATCH', port, `${BASE}/runs/${run.id}`, token, { status: 'cancelled' }), 200);
      await events.waitFor(run.id, ENDED, RUN_END_TIMEOUT_MS);
      return { answeredMs, claimedMs, runningMs };
    };

    ctx.log(`integrations: "Sync now" on the local stack, 1 + ${CLICKS} clicks`);
    const first = await click();
    const clicks: Click[] = [];
    for (let i = 1; i <= CLICKS; i++) {
      await sleep(((i * GOLDEN) % 1) * claimIntervalMs);
      clicks.push(await click());
    }
    return report(clicks, first, claimIntervalMs);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }
}

function report(clicks: Click[], first: Click, claimIntervalMs: number): Pick<BenchSection, 'lines' | 'figures'> {
  const stats = (pick: (c: Click) => number) => {
    const sorted = clicks.map(pick).sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] as number };
  };
  const running = stats((c) => c.runningMs);
  const claimed = stats((c) => c.claimedMs);
  const answered = stats((c) => c.answeredMs);
  const f = (n: number) => n.toFixed(0).padStart(6);
  return {
    lines: [
      `"Sync now" on the local stack (fresh database, simulated APIs, local ticker claiming every ${claimIntervalMs} ms), ` +
        `${clicks.length} clicks, GET /runs/{id} polled every ${POLL_MS} ms; each run cancelled and let go before the next click`,
      `${''.padEnd(44)}p50 ms   p99 ms   max ms`,
      `${'click -> POST /runs answered (201, pending)'.padEnd(44)}${f(answered.p50)}   ${f(answered.p99)}   ${f(answered.max)}`,
      `${'click -> claimed by the ticker'.padEnd(44)}${f(claimed.p50)}   ${f(claimed.p99)}   ${f(claimed.max)}`,
      `${'click -> GET /runs/{id} says running'.padEnd(44)}${f(running.p50)}   ${f(running.p99)}   ${f(running.max)}`,
      `first click of the fresh stack: running after ${first.runningMs.toFixed(0)} ms (claimed after ${first.claimedMs.toFixed(0)} ms)`,
      `target: running within ${TARGET_MS / 1000} s of the click: ${running.max <= TARGET_MS ? 'met' : 'NOT met'} (max ${running.max.toFixed(0)} ms)`,
    ],
    figures: {
      sync_now_clicks: clicks.length,
      sync_now_claim_interval_ms: claimIntervalMs,
      sync_now_answered_p50_ms: answered.p50,
      sync_now_answered_p99_ms: answered.p99,
      sync_now_claimed_p50_ms: claimed.p50,
      sync_now_claimed_p99_ms: claimed.p99,
      sync_now_running_p50_ms: running.p50,
      sync_now_running_p99_ms: running.p99,
      sync_now_running_max_ms: running.max,
      sync_now_first_running_ms: first.runningMs,
      sync_now_target_ms: TARGET_MS,
      sync_now_target_met: running.max <= TARGET_MS ? 1 : 0,
    },
  };
}
