// End to end: GET /functions/v1/sync-run-log/runs/latest through the Edge Function under real Deno (JWT check,
// validation, the SQL adapter as `authenticated` under RLS, JSON), for the seeded org with the deepest history, at
// concurrency 1 and 16. Beside it, the database-only figure from the same run: the same repository call in process
// through the same SQL adapter and pool size, without HTTP, Deno or the JWT. Target: p99 under 20 ms at
// concurrency 16. Then the concurrency-16 figure again for several pool sizes (DB_POOL_MAX), and for the two
// signing models (HS256 with the legacy secret, ES256 against a JWKS as a hosted project signs): once with one token
// repeated, as an app sends its access token, and once with a fresh token per request (every signature checked).
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import postgres from 'postgres';
import { type AuthSigning, generateSigningKey, LOCAL_JWT_SECRET, mintUserToken } from '../src/local/auth-keys.ts';
import { startFunctionsHost } from '../src/local/functions-host.ts';
import { SyncRunLogRepository } from '../supabase/functions/_shared/run-log.repository.ts';
import { createSqlRpc } from '../supabase/functions/_shared/sql-rpc.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { type BenchContext, type BenchSection, summarize } from './bench-context.ts';
import { type CpuShare, cpuShare, readCpuTimes } from './cpu.ts';
import { getRequest, KeepAliveConnection } from './http-load.ts';

const REQUESTS = 5_000;
const WARMUP = 200;
const TARGET_P99_MS = 20;
// PostgreSQL, Deno and the load generator share this machine's cores: more connections than cores only add
// context switches (the pool-size rows show it), so the main figures use one connection per core.
const POOL = Math.max(1, cpus().length);
const POOL_SIZES = [1, 2, 4, 16];
const PATH = '/functions/v1/sync-run-log/runs/latest';

/**
 * Runs `total` calls with `concurrency` workers; returns each call's latency in ms, the wall time, and what the
 * machine's CPUs did meanwhile (busy and stolen shares, on Linux).
 */
async function load(
  concurrency: number,
  total: number,
  once: (worker: number) => Promise<void>,
): Promise<{ samples: number[]; wallMs: number; cpu: CpuShare | null }> {
  const samples: number[] = [];
  let next = 0;
  const cpuBefore = readCpuTimes();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < total) {
        next++;
        const t0 = performance.now();
        await once(worker);
        samples.push(performance.now() - t0);
      }
    }),
  );
  const wallMs = performance.now() - started;
  return { samples, wallMs, cpu: cpuShare(cpuBefore, readCpuTimes()) };
}

interface FunctionUnderLoad {
  /** One GET /runs/latest on the worker's own keep-alive connection; checks the 200 and the runs. */
  get(worker: number): Promise<void>;
  /** The function's own time per 200 response since the last call (its log line's durationMs). */
  takeHandlerTimes(): number[];
  integrations: number;
  stop(): Promise<void>;
}

interface FunctionOptions {
  signing?: AuthSigning;
  /** How many distinct tokens the requests cycle through (1: one token repeated, as an app sends it). */
  tokens?: number;
}

async function startFunction(
  ctx: BenchContext,
  orgId: string,
  poolMax: number,
  { signing = 'hs256', tokens = 1 }: FunctionOptions = {},
): Promise<FunctionUnderLoad> {
  let handlerTimes: number[] = [];
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const key = signing === 'es256' ? await generateSigningKey(url) : undefined;
  const host = await startFunctionsHost({
    databaseUrl: ctx.seeded.url,
    port,
    // As a hosted project's functions get them: the JWKS, and the secret keys its services call with.
    authEnv: key
      ? {
          SUPABASE_URL: url,
          SUPABASE_JWKS: JSON.stringify({ keys: [key.publicJwk] }),
          SUPABASE_SECRET_KEYS: JSON.stringify({ default: `sb_secret_${randomBytes(24).toString('base64url')}` }),
        }
      : { SUPABASE_JWT_SECRET: LOCAL_JWT_SECRET },
    env: { DB_POOL_MAX: String(poolMax) },
    log: (line) => {
      if (!line.includes('"durationMs"')) return;
      const entry = JSON.parse(line) as { durationMs?: number; status?: number };
      if (entry.status === 200 && typeof entry.durationMs === 'number') handlerTimes.push(entry.durationMs);
    },
  });
  const connections: KeepAliveConnection[] = [];
  try {
    const requests: Buffer[] = [];
    for (let i = 0; i < tokens; i++) {
      const sub = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      const token = await mintUserToken({ orgId, userRole: 'coordinator', sub }, { secret: LOCAL_JWT_SECRET, key });
      requests.push(getRequest('127.0.0.1', host.port, PATH, { authorization: `Bearer ${token}` }));
    }
    let sent = 0;
    // A lean HTTP/1.1 client (bench/http-load.ts): node:http's own CPU would be counted as the function's latency.
    for (let i = 0; i < 16; i++) connections.push(await KeepAliveConnection.open('127.0.0.1', host.port));
    const fn: FunctionUnderLoad = {
      integrations: -1,
      async get(worker) {
        const request = requests[sent++ % requests.length] as Buffer;
        const response = await (connections[worker] as KeepAliveConnection).send(request);
        const body = JSON.parse(response.body.toString('utf8')) as { runs?: unknown[] };
        if (response.status !== 200 || !Array.isArray(body.runs)) throw new Error(`GET ${PATH}: ${response.status}`);
        fn.integrations = body.runs.length;
      },
      takeHandlerTimes() {
        const taken = handlerTimes;
        handlerTimes = [];
        return taken;
      },
      async stop() {
        for (const connection of connections) connection.close();
        await host.stop();
      },
    };
    return fn;
  } catch (error) {
    for (const connection of connections) connection.close();
    await host.stop();
    throw error;
  }
}

const HEADER = 'concurrency   median ms    p99 ms    requests/s   CPU busy %   steal %';
const row = (name: string, concurrency: number, median: number, p99: number, rps?: number, cpu?: CpuShare | null) =>
  `${name.padEnd(40)}${String(concurrency).padStart(11)}   ${median.toFixed(2).padStart(9)}   ${p99.toFixed(2).padStart(7)}${rps === undefined ? '' : `   ${rps.toFixed(0).padStart(11)}`}${cpu ? `   ${cpu.busyPct.toFixed(0).padStart(10)}   ${cpu.stealPct.toFixed(1).padStart(7)}` : ''}`;

/** Adds a row's CPU shares to the figures, under `key`. */
function cpuFigures(figures: Record<string, number>, key: string, cpu: CpuShare | null): void {
  if (!cpu) return;
  figures[`${key}_cpu_busy_pct`] = cpu.busyPct;
  figures[`${key}_cpu_steal_pct`] = cpu.stealPct;
}

export async function runFunctionsBench(ctx: BenchContext): Promise<BenchSection> {
  const deepest = [...ctx.seeded.orgs].sort((a, b) => b.depth - a.depth)[0];
  if (!deepest) throw new Error('the seeded database has no orgs');
  const lines: string[] = [];
  const figures: Record<string, number> = { pool_max: POOL };
  const fn = await startFunction(ctx, deepest.orgId, POOL);
  const sql = postgres(ctx.seeded.url, { max: POOL, onnotice: () => {}, connection: { TimeZone: 'UTC' } });
  try {
    const claims = { role: 'authenticated', sub: deepest.orgId, org_id: deepest.orgId, user_role: 'coordinator' };
    const repository = new SyncRunLogRepository(createSqlRpc(sql, { role: 'authenticated', claims }));
    const viaDatabase = async () => {
      await repository.getLastRunPerIntegration(deepest.orgId);
    };

    ctx.log(`functions: warming up Deno and the pool (${WARMUP} requests)`);
    await load(4, WARMUP, fn.get);
    await load(4, WARMUP, viaDatabase);
    lines.push(
      `org with ${deepest.depth.toLocaleString('en')} runs per integration (${fn.integrations} integrations), ${REQUESTS} requests per row, DB_POOL_MAX ${POOL} (one connection per core)`,
    );
    lines.push(`${'path'.padEnd(40)}${HEADER}`);
    for (const concurrency of [1, 16]) {
      for (const [name, key, once] of [
        ['HTTP -> Deno function -> PostgreSQL', 'e2e', fn.get],
        ['repository -> PostgreSQL (in process)', 'db', viaDatabase],
      ] as const) {
        ctx.log(`functions: ${key} at concurrency ${concurrency}`);
        fn.takeHandlerTimes();
        const { samples, wallMs, cpu } = await load(concurrency, REQUESTS, once);
        const s = summarize(samples);
        const rps = (samples.length / wallMs) * 1000;
        figures[`${key}_c${concurrency}_median_ms`] = s.median;
        figures[`${key}_c${concurrency}_p99_ms`] = s.p99;
        figures[`${key}_c${concurrency}_rps`] = rps;
        cpuFigures(figures, `${key}_c${concurrency}`, cpu);
        lines.push(row(name, concurrency, s.median, s.p99, rps, cpu));
        const handler = fn.takeHandlerTimes();
        if (key === 'e2e' && handler.length > 0) {
          const own = summarize(handler);
          figures[`handler_c${concurrency}_median_ms`] = own.median;
          figures[`handler_c${concurrency}_p99_ms`] = own.p99;
          lines.push(row('  of which inside the handler (Deno)', concurrency, own.median, own.p99));
        }
      }
    }
    for (const c of [1, 16]) {
      const ratio = (figures[`e2e_c${c}_p99_ms`] as number) / (figures[`db_c${c}_p99_ms`] as number);
      figures[`e2e_over_db_p99_c${c}`] = ratio;
      lines.push(`end to end / database-only, p99, concurrency ${c}: ${ratio.toFixed(2)}x`);
    }
    const p99 = figures.e2e_c16_p99_ms as number;
    figures.target_p99_ms = TARGET_P99_MS;
    figures.target_met = p99 < TARGET_P99_MS ? 1 : 0;
    const busy = figures.e2e_c16_cpu_busy_pct;
    const steal = figures.e2e_c16_cpu_steal_pct;
    const machine =
      busy === undefined || steal === undefined ? '' : `; CPUs ${busy.toFixed(0)}% busy, ${steal.toFixed(1)}% stolen`;
    lines.push(
      `target p99 < ${TARGET_P99_MS} ms at concurrency 16: ${p99 < TARGET_P99_MS ? 'met' : 'NOT met'} (${p99.toFixed(2)} ms${machine})`,
    );
  } finally {
    await sql.end({ timeout: 5 });
    await fn.stop();
  }

  lines.push('', 'the function at concurrency 16 by pool size (a fresh function each)');
  lines.push(`${'DB_POOL_MAX'.padEnd(40)}${HEADER}`);
  for (const poolMax of POOL_SIZES) {
    ctx.log(`functions: e2e at concurrency 16 with DB_POOL_MAX ${poolMax}`);
    const sized = await startFunction(ctx, deepest.orgId, poolMax);
    try {
      await load(4, WARMUP, sized.get);
      const { samples, wallMs, cpu } = await load(16, REQUESTS, sized.get);
      const s = summarize(samples);
      const rps = (samples.length / wallMs) * 1000;
      figures[`e2e_c16_pool${poolMax}_median_ms`] = s.median;
      figures[`e2e_c16_pool${poolMax}_p99_ms`] = s.p99;
      cpuFigures(figures, `e2e_c16_pool${poolMax}`, cpu);
      lines.push(row(String(poolMax), 16, s.median, s.p99, rps, cpu));
    } finally {
      await sized.stop();
    }
  }

  lines.push('', `signing models at concurrency 16, DB_POOL_MAX ${POOL} (a fresh function each)`);
  lines.push(`${'tokens'.padEnd(40)}${HEADER}`);
  for (const [label, tokens] of [
    ['one token repeated', 1],
    ['a fresh token per request', REQUESTS + WARMUP],
  ] as const) {
    for (const signing of ['hs256', 'es256'] as const) {
      ctx.log(`functions: ${signing}, ${label}`);
      const signed = await startFunction(ctx, deepest.orgId, POOL, { signing, tokens });
      try {
        await load(4, WARMUP, signed.get);
        const { samples, wallMs, cpu } = await load(16, REQUESTS, signed.get);
        const s = summarize(samples);
        const rps = (samples.length / wallMs) * 1000;
        const key = `${signing}_${tokens === 1 ? 'one_token' : 'fresh_tokens'}`;
        figures[`${key}_c16_p99_ms`] = s.p99;
        figures[`${key}_c16_rps`] = rps;
        lines.push(row(`${signing.toUpperCase()}, ${label}`, 16, s.median, s.p99, rps, cpu));
      } finally {
        await signed.stop();
      }
    }
  }
  for (const kind of ['one_token', 'fresh_tokens']) {
    const ratio = (figures[`es256_${kind}_c16_rps`] as number) / (figures[`hs256_${kind}_c16_rps`] as number);
    figures[`es256_over_hs256_rps_${kind}`] = ratio;
    lines.push(`ES256 / HS256 throughput, ${kind.replace('_', ' ')}: ${ratio.toFixed(2)}x (target: within 10%)`);
  }
  return { title: 'Edge Function end to end: GET /runs/latest under Deno', lines, figures };
}
