// A status screen's reads through the sync-run-log function under real Deno, for the seeded org with 100,000 runs
// per integration, as its coordinator, at concurrency 1 and 16, in one run: GET /runs/latest (the reference), GET
// /integrations (the overview: connections, schedules with next periods, health, last runs, open alerts), and the
// period ledger of an every-15-minutes schedule with 30 days of its scheduler runs (integration-fixtures.ts): one
// request of the newest 10 days (960 periods), and the whole 30 days as the three requests a client sends together
// (a request covers at most 1,000 periods), timed until the last of the three has answered. Each row's p99 is set
// against GET /runs/latest's at the same concurrency (target: at most 2x); beside it, the function's own time per
// request from its log lines, and the handlers' steps one by one (integrations-breakdown.ts). Then "Sync now" on the
// local stack (sync-now-latency.ts).
import { cpus } from 'node:os';
import { LOCAL_JWT_SECRET, mintUserToken } from '../src/local/auth-keys.ts';
import { startFunctionsHost } from '../src/local/functions-host.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { type BenchContext, type BenchSection, summarize } from './bench-context.ts';
import { type CpuShare, cpuShare, readCpuTimes } from './cpu.ts';
import { getRequest, type HttpResponse, KeepAliveConnection } from './http-load.ts';
import { LEDGER_DAYS, LEDGER_SCHEDULE, type LedgerFixture, seedOrgIntegrations } from './integration-fixtures.ts';
import { measureBreakdown } from './integrations-breakdown.ts';
import { measureSyncNow } from './sync-now-latency.ts';

const DEPTH = 100_000;
// As the functions section: one database connection per core (more only add context switches on a small machine).
const POOL = Math.max(1, cpus().length);
const CONCURRENCY = [1, 16] as const;
const WARMUP = 50;
const TARGET_RATIO = 2;
const BASE = '/functions/v1/sync-run-log';

interface Row {
  key: string;
  name: string;
  /**
   * Samples per concurrency (each sample of the month row is three requests). The ledger's rows take as many as the
   * reference's (the month row a third): a p99 of 200 samples was the second-slowest answer, and moved 3x between
   * runs with a single garbage-collection pause.
   */
  samples: number;
  /** The route's path, to pick the function's own times from its log lines. */
  logPath: string;
  once(worker: number): Promise<void>;
}

/** Runs `total` samples with `concurrency` workers: each sample's ms, and what the CPUs did meanwhile. */
async function load(
  concurrency: number,
  total: number,
  once: (worker: number) => Promise<void>,
): Promise<{ samples: number[]; cpu: CpuShare | null }> {
  const samples: number[] = [];
  let next = 0;
  const before = readCpuTimes();
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
  return { samples, cpu: cpuShare(before, readCpuTimes()) };
}

const HEADER = `${'route'.padEnd(58)}concurrency    p50 ms    p99 ms   p99 / latest   samples   CPU busy %`;
const row = (name: string, c: number, p50: number, p99: number, ratio?: number, n?: number, cpu?: CpuShare | null) =>
  `${name.padEnd(58)}${String(c).padStart(11)}   ${p50.toFixed(2).padStart(7)}   ${p99.toFixed(2).padStart(7)}` +
  `${ratio === undefined ? '' : `   ${`${ratio.toFixed(2)}x`.padStart(12)}`}${n === undefined ? '' : `   ${String(n).padStart(7)}`}` +
  `${cpu ? `   ${cpu.busyPct.toFixed(0).padStart(10)}` : ''}`;

export async function runIntegrationsBench(ctx: BenchContext): Promise<BenchSection> {
  const org = ctx.seeded.orgs.find((o) => o.depth === DEPTH);
  if (!org) throw new Error(`the seeded database has no org with ${DEPTH} runs per integration`);
  const lines: string[] = [];
  const figures: Record<string, number> = { pool_max: POOL, depth: DEPTH };

  ctx.log('integrations: connections, schedules, alerts and 30 days of a 15-minute ledger for the seeded org');
  const ledger = await seedOrgIntegrations(ctx.seeded.sql, org.orgId);
  try {
    lines.push(...describeLedger(ledger));
    figures.ledger_periods = ledger.periods;
    await measureReads(ctx, org.orgId, ledger, lines, figures);
    ctx.log('integrations: where the time goes, step by step in process');
    lines.push('', ...(await measureBreakdown(ctx.seeded.sql, org.orgId, ledger, figures)));
  } finally {
    await ledger.remove();
  }

  lines.push('');
  const syncNow = await measureSyncNow(ctx);
  lines.push(...syncNow.lines);
  Object.assign(figures, syncNow.figures);
  return { title: 'Integrations: overview, period ledger and "Sync now" through the function', lines, figures };
}

function describeLedger(ledger: LedgerFixture): string[] {
  const planned = Object.entries(ledger.planned)
    .map(([outcome, n]) => `${n} ${outcome}`)
    .join(', ');
  return [
    `org with ${DEPTH.toLocaleString('en')} runs per integration (10 integrations), as its coordinator; ` +
      `connections, schedules, health rows and 3 open alerts for xledger, dynamics, bufdir`,
    `ledger: xledger "${LEDGER_SCHEDULE.cronExpression}" ${LEDGER_SCHEDULE.timeZone}, ${LEDGER_DAYS} days = ` +
      `${ledger.periods.toLocaleString('en')} periods (${planned})`,
    `the 30 days are ${ledger.chunks.length} requests of ${ledger.chunks.map((c) => c.periods).join(' + ')} periods ` +
      '(at most 1,000 per request), sent together on three connections; the row is the time until the last answers',
  ];
}

async function measureReads(
  ctx: BenchContext,
  orgId: string,
  ledger: LedgerFixture,
  lines: string[],
  figures: Record<string, number>,
): Promise<void> {
  let handlerTimes = new Map<string, number[]>();
  const port = await freePort();
  const host = await startFunctionsHost({
    databaseUrl: ctx.seeded.url,
    port,
    authEnv: { SUPABASE_JWT_SECRET: LOCAL_JWT_SECRET },
    env: { DB_POOL_MAX: String(POOL) },
    log: (line) => {
      if (!line.includes('"durationMs"')) return;
      const entry = JSON.parse(line) as { durationMs?: number; status?: number; path?: string };
      if (entry.status !== 200 || typeof entry.durationMs !== 'number' || !entry.path) return;
      const times = handlerTimes.get(entry.path) ?? [];
      times.push(entry.durationMs);
      handlerTimes.set(entry.path, times);
    },
  });
  // Three keep-alive connections per worker: the month row sends its three requests at once.
  const connections: KeepAliveConnection[] = [];
  try {
    for (let i = 0; i < 3 * 16; i++) connections.push(await KeepAliveConnection.open('127.0.0.1', host.port));
    const token = await mintUserToken({ orgId, userRole: 'coordinator' }, { secret: LOCAL_JWT_SECRET });
    const request = (path: string) => getRequest('127.0.0.1', host.port, path, { authorization: `Bearer ${token}` });
    const send = async (connection: number, bytes: Buffer, path: string): Promise<HttpResponse> => {
      const response = await (connections[connection] as KeepAliveConnection).send(bytes);
      if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${response.body.toString()}`);
      return response;
    };

    const latest = `${BASE}/runs/latest`;
    const overview = `${BASE}/integrations`;
    const periodsPath = `${BASE}/integrations/${LEDGER_SCHEDULE.integrationType}/periods`;
    const ledgerPaths = ledger.chunks.map(
      (c) => `${periodsPath}?from=${c.from.toISOString()}&to=${c.to.toISOString()}`,
    );
    const ledgerRequests = ledgerPaths.map(request);
    const newest = ledger.chunks.length - 1;
    const expectedBytes = await checkLedger(ledgerPaths, ledger, (i) => send(i, ledgerRequests[i] as Buffer, ''));

    // The ledger's answers are a few hundred kB: parsing each would put the load generator's CPU into the figures,
    // so the measured requests check the status and the size the fully checked answer above had.
    const sameLedger = (i: number, response: HttpResponse) => {
      if (response.body.length !== expectedBytes[i]) {
        throw new Error(`${ledgerPaths[i]}: ${response.body.length} bytes, ${expectedBytes[i]} when checked`);
      }
    };
    const latestRequest = request(latest);
    const latestBytes = (await send(0, latestRequest, latest)).body.length;
    const overviewRequest = request(overview);
    const rows: Row[] = [
      {
        key: 'runs_latest',
        name: 'GET /runs/latest (reference)',
        samples: 1_000,
        logPath: latest,
        async once(worker) {
          const body = JSON.parse((await send(worker, latestRequest, latest)).body.toString()) as { runs?: unknown };
          if (!Array.isArray(body.runs) || body.runs.length !== 10) throw new Error(`${latest}: not 10 runs`);
        },
      },
      {
        key: 'integrations',
        name: 'GET /integrations',
        samples: 1_000,
        logPath: overview,
        async once(worker) {
          const body = JSON.parse((await send(worker, overviewRequest, overview)).body.toString()) as {
            integrations?: { connection: unknown; schedule: unknown }[];
          };
          if (body.integrations?.filter((i) => i.connection && i.schedule).length !== 3) {
            throw new Error(`${overview}: not 3 integrations with a connection and a schedule`);
          }
        },
      },
      {
        key: 'periods_10d',
        name: `GET /integrations/xledger/periods, newest 10 days (${ledger.chunks[newest]?.periods})`,
        samples: 1_000,
        logPath: periodsPath,
        async once(worker) {
          sameLedger(newest, await send(worker, ledgerRequests[newest] as Buffer, periodsPath));
        },
      },
      {
        key: 'periods_30d',
        name: `  30 days: ${ledger.chunks.length} requests together (${ledger.periods.toLocaleString('en')})`,
        samples: 300,
        logPath: periodsPath,
        async once(worker) {
          await Promise.all(
            ledgerRequests.map(async (bytes, i) => sameLedger(i, await send(3 * worker + i, bytes, periodsPath))),
          );
        },
      },
    ];

    ctx.log(`integrations: warming up Deno and the pool (${WARMUP} samples per route)`);
    for (const r of rows) await load(4, WARMUP, r.once);

    const kB = expectedBytes.map((bytes) => (bytes / 1024).toFixed(0)).join(' + ');
    lines.push(`the ledger's answers are ${kB} kB of JSON; GET /runs/latest's ${latestBytes} bytes`);
    lines.push('', `${POOL} database connections in the function (DB_POOL_MAX), HS256 token`, HEADER);
    const handlerLines: string[] = [];
    for (const concurrency of CONCURRENCY) {
      let reference = Number.NaN;
      for (const r of rows) {
        ctx.log(`integrations: ${r.key} at concurrency ${concurrency}`);
        handlerTimes = new Map();
        const { samples, cpu } = await load(concurrency, r.samples, r.once);
        const s = summarize(samples);
        if (r.key === 'runs_latest') reference = s.p99;
        const ratio = s.p99 / reference;
        const key = `${r.key}_c${concurrency}`;
        figures[`${key}_p50_ms`] = s.median;
        figures[`${key}_p99_ms`] = s.p99;
        figures[`${key}_samples`] = samples.length;
        if (r.key !== 'runs_latest') figures[`${key}_p99_over_latest`] = ratio;
        if (cpu) figures[`${key}_cpu_busy_pct`] = cpu.busyPct;
        lines.push(row(r.name, concurrency, s.median, s.p99, ratio, samples.length, cpu));
        const own = summarize(handlerTimes.get(r.logPath) ?? []);
        figures[`${key}_handler_p50_ms`] = own.median;
        figures[`${key}_handler_p99_ms`] = own.p99;
        handlerLines.push(row(r.name, concurrency, own.median, own.p99));
      }
    }
    lines.push(
      '',
      'inside the handler (Deno, from its log lines; per request, also for each of the three of the 30-day row)',
      HEADER.slice(0, 58 + 31),
      ...handlerLines,
    );
    lines.push('', ...targetLines(rows, figures));
  } finally {
    for (const connection of connections) connection.close();
    await host.stop();
  }
}

/**
 * Reads the whole ledger once and checks it: each request has its chunk's periods, in order, and together they
 * have exactly the outcomes the fixture planned (so the runs were found by their period keys). Returns each
 * answer's size in bytes.
 */
async function checkLedger(
  paths: string[],
  ledger: LedgerFixture,
  get: (i: number) => Promise<HttpResponse>,
): Promise<number[]> {
  const sizes: number[] = [];
  const seen: Record<string, number> = {};
  for (const [i, path] of paths.entries()) {
    const response = await get(i);
    const body = JSON.parse(response.body.toString()) as { periods?: { scheduledFor: string; outcome: string }[] };
    const periods = body.periods ?? [];
    if (periods.length !== ledger.chunks[i]?.periods) {
      throw new Error(`${path}: ${periods.length} periods, expected ${ledger.chunks[i]?.periods}`);
    }
    for (const period of periods) seen[period.outcome] = (seen[period.outcome] ?? 0) + 1;
    sizes.push(response.body.length);
  }
  for (const [outcome, n] of Object.entries(ledger.planned)) {
    if ((seen[outcome] ?? 0) !== n) {
      throw new Error(`the ledger has ${JSON.stringify(seen)}, expected ${JSON.stringify(ledger.planned)}`);
    }
  }
  return sizes;
}

function targetLines(rows: Row[], figures: Record<string, number>): string[] {
  const out: string[] = [];
  let met = 1;
  for (const r of rows.filter((x) => x.key !== 'runs_latest')) {
    const parts = CONCURRENCY.map((c) => {
      const ratio = figures[`${r.key}_c${c}_p99_over_latest`] as number;
      if (!(ratio <= TARGET_RATIO)) met = 0;
      return `concurrency ${c} ${ratio.toFixed(2)}x ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'}`;
    });
    out.push(`${r.name.trim()}: ${parts.join(', ')}`);
  }
  figures.target_p99_over_latest = TARGET_RATIO;
  figures.target_met = met;
  return [`target: p99 at most ${TARGET_RATIO}x GET /runs/latest's at the same concurrency`, ...out];
}
