// End to end: GET /functions/v1/sync-run-log/runs/latest through the Edge Function under real Deno (JWT check,
// validation, the SQL adapter as `authenticated` under RLS, JSON), for the seeded org with the deepest history, at
// concurrency 1 and 16. Beside it, the database-only figure from the same run: the same repository call in process
// through the same SQL adapter, without HTTP, Deno or the JWT. Target: p99 under 20 ms at concurrency 16.
import http from 'node:http';
import postgres from 'postgres';
import { startFunctionsHost } from '../src/local/functions-host.ts';
import { LOCAL_JWT_SECRET, mintUserToken } from '../supabase/functions/_shared/auth.ts';
import { SyncRunLogRepository } from '../supabase/functions/_shared/run-log.repository.ts';
import { createSqlRpc } from '../supabase/functions/_shared/sql-rpc.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { type BenchContext, type BenchSection, summarize } from './bench-context.ts';

const REQUESTS = 2_000;
const WARMUP = 200;
const TARGET_P99_MS = 20;

/** Runs `total` calls with `concurrency` workers; returns each call's latency in ms and the wall time. */
async function load(
  concurrency: number,
  total: number,
  once: () => Promise<void>,
): Promise<{ samples: number[]; wallMs: number }> {
  const samples: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const t0 = performance.now();
        await once();
        samples.push(performance.now() - t0);
      }
    }),
  );
  return { samples, wallMs: performance.now() - started };
}

export async function runFunctionsBench(ctx: BenchContext): Promise<BenchSection> {
  const deepest = [...ctx.seeded.orgs].sort((a, b) => b.depth - a.depth)[0];
  if (!deepest) throw new Error('the seeded database has no orgs');
  const lines: string[] = [];
  const figures: Record<string, number> = {};
  // The function's own time per request (its log line's durationMs): what Deno spends inside the handler.
  const inFunction: number[] = [];
  const host = await startFunctionsHost({
    databaseUrl: ctx.seeded.url,
    port: await freePort(),
    jwtSecret: LOCAL_JWT_SECRET,
    env: { DB_POOL_MAX: '16' },
    log: (line) => {
      if (!line.includes('"durationMs"')) return;
      const entry = JSON.parse(line) as { durationMs?: number; status?: number };
      if (entry.status === 200 && typeof entry.durationMs === 'number') inFunction.push(entry.durationMs);
    },
  });
  const sql = postgres(ctx.seeded.url, { max: 16, onnotice: () => {}, connection: { TimeZone: 'UTC' } });
  const agents: http.Agent[] = [];
  try {
    const token = await mintUserToken({ orgId: deepest.orgId, userRole: 'coordinator' }, { secret: LOCAL_JWT_SECRET });
    // A light load generator (node:http, keep-alive) rather than fetch: undici's own cost would swamp the figure.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    agents.push(agent);
    const path = '/functions/v1/sync-run-log/runs/latest';
    let integrations = -1;
    const viaFunction = () =>
      new Promise<void>((resolve, reject) => {
        const request = http.request(
          { host: '127.0.0.1', port: host.port, path, agent, headers: { authorization: `Bearer ${token}` } },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => {
              const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { runs?: unknown[] };
              if (response.statusCode !== 200 || !Array.isArray(body.runs)) {
                reject(new Error(`GET /runs/latest: ${response.statusCode}`));
                return;
              }
              integrations = body.runs.length;
              resolve();
            });
            response.on('error', reject);
          },
        );
        request.on('error', reject);
        request.end();
      });
    const claims = { role: 'authenticated', sub: deepest.orgId, org_id: deepest.orgId, user_role: 'coordinator' };
    const repository = new SyncRunLogRepository(createSqlRpc(sql, { role: 'authenticated', claims }));
    const viaDatabase = async () => {
      await repository.getLastRunPerIntegration(deepest.orgId);
    };

    ctx.log(`functions: warming up Deno and the pool (${WARMUP} requests)`);
    await load(4, WARMUP, viaFunction);
    await load(4, WARMUP, viaDatabase);
    lines.push(
      `org with ${deepest.depth.toLocaleString('en')} runs per integration (${integrations} integrations), ${REQUESTS} requests per row`,
    );
    lines.push('path                                    concurrency   median ms    p99 ms    requests/s');
    for (const concurrency of [1, 16]) {
      for (const [name, key, once] of [
        ['HTTP -> Deno function -> PostgreSQL', 'e2e', viaFunction],
        ['repository -> PostgreSQL (in process)', 'db', viaDatabase],
      ] as const) {
        ctx.log(`functions: ${key} at concurrency ${concurrency}`);
        inFunction.length = 0;
        const { samples, wallMs } = await load(concurrency, REQUESTS, once);
        const s = summarize(samples);
        const rps = (samples.length / wallMs) * 1000;
        figures[`${key}_c${concurrency}_median_ms`] = s.median;
        figures[`${key}_c${concurrency}_p99_ms`] = s.p99;
        figures[`${key}_c${concurrency}_rps`] = rps;
        lines.push(
          `${name.padEnd(40)}${String(concurrency).padStart(11)}   ${s.median.toFixed(2).padStart(9)}   ${s.p99.toFixed(2).padStart(7)}   ${rps.toFixed(0).padStart(11)}`,
        );
        if (key === 'e2e' && inFunction.length > 0) {
          const own = summarize(inFunction);
          figures[`handler_c${concurrency}_median_ms`] = own.median;
          figures[`handler_c${concurrency}_p99_ms`] = own.p99;
          lines.push(
            `${'  of which inside the handler (Deno)'.padEnd(40)}${String(concurrency).padStart(11)}   ${own.median.toFixed(2).padStart(9)}   ${own.p99.toFixed(2).padStart(7)}`,
          );
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
    lines.push(
      `target p99 < ${TARGET_P99_MS} ms at concurrency 16: ${p99 < TARGET_P99_MS ? 'met' : 'NOT met'} (${p99.toFixed(2)} ms)`,
    );
    return { title: 'Edge Function end to end: GET /runs/latest under Deno', lines, figures };
  } finally {
    for (const agent of agents) agent.destroy();
    await sql.end({ timeout: 5 });
    await host.stop();
  }
}
