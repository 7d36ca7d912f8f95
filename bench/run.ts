// `npm run bench`: one PostgreSQL server (embedded, or DATABASE_URL), a seeded run log of about two million rows,
// then every benchmark section in one run. Prints the figures and writes them to bench/results/.
// `npm run bench -- --only run-log,archive` runs some sections only.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { startDatabase, withDatabase } from '../src/local/embedded-db.ts';
import { applyLocalCompat, migrate } from '../src/local/migrate.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { runArchiveBench } from './archive.bench.ts';
import type { BenchContext, BenchDatabase, BenchSection } from './bench-context.ts';
import { runDashboardBench } from './dashboard.bench.ts';
import { runFunctionsBench } from './functions.bench.ts';
import { runIntegrationsBench } from './integrations.bench.ts';
import { runRunLogBench } from './run-log.bench.ts';
import { runSchedulerBench } from './scheduler.bench.ts';
import { seedRunLog } from './seed.ts';

const SECTIONS: Record<string, (ctx: BenchContext) => Promise<BenchSection>> = {
  'run-log': runRunLogBench,
  functions: runFunctionsBench,
  integrations: runIntegrationsBench,
  dashboard: runDashboardBench,
  scheduler: runSchedulerBench,
  archive: runArchiveBench,
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' } } });
  const only = values.only ? values.only.split(',') : Object.keys(SECTIONS);
  const unknown = only.filter((name) => !SECTIONS[name]);
  if (unknown.length)
    throw new Error(`unknown section(s) ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}`);
  const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

  const dataDir = mkdtempSync(path.join(tmpdir(), 'sync-run-log-bench-'));
  chmodSync(dataDir, 0o755);
  const serverLog: string[] = [];
  const server = await startDatabase({
    dataDir: path.join(dataDir, 'pg'),
    port: await freePort(),
    log: (l) => serverLog.push(l),
    fast: true,
  }).catch((error: unknown) => {
    console.error(serverLog.join('\n'));
    throw error;
  });
  const admin = postgres(server.url, { max: 1, onnotice: () => {} });
  const databases: string[] = [];
  try {
    const template = `bench_template_${randomBytes(4).toString('hex')}`;
    await admin.unsafe(`create database ${template}`);
    databases.push(template);
    const t = postgres(withDatabase(server.url, template), { max: 1, onnotice: () => {} });
    await applyLocalCompat(t);
    await migrate(t);
    await t.end();

    const createDatabase = async (): Promise<BenchDatabase> => {
      const name = `bench_${randomBytes(4).toString('hex')}`;
      await admin.unsafe(`create database ${name} template ${template}`);
      databases.push(name);
      const url = withDatabase(server.url, name);
      const sql = postgres(url, { max: 20, onnotice: () => {}, connection: { TimeZone: 'UTC' } });
      return { url, sql, drop: async () => void (await sql.end()) };
    };

    log('seeding the run log (about 2.1 million rows; a minute or two)');
    const seededDb = await createDatabase();
    const seeded = await seedRunLog(seededDb.sql, log);
    log(`seeded ${seeded.rows.toLocaleString('en')} rows`);
    const ctx: BenchContext = {
      serverUrl: server.url,
      createDatabase,
      seeded: { url: seededDb.url, sql: seededDb.sql, orgs: seeded.orgs },
      log,
    };

    const results: BenchSection[] = [];
    for (const name of only) {
      log(`section ${name}`);
      const section = await (SECTIONS[name] as (c: BenchContext) => Promise<BenchSection>)(ctx);
      results.push(section);
      console.log(`\n## ${section.title}\n${section.lines.join('\n')}\n`);
    }
    await seededDb.drop();

    const cpu = cpus()[0]?.model ?? 'unknown cpu';
    const header = `# npm run bench, ${new Date().toISOString()}\n${cpus().length} cores (${cpu}), Node ${process.version}, PostgreSQL 15 (${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded'})\n`;
    const text = `${header}\n${results.map((s) => `## ${s.title}\n\n\`\`\`\n${s.lines.join('\n')}\n\`\`\``).join('\n\n')}\n`;
    const outDir = path.resolve(import.meta.dirname, 'results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, 'latest.md'), text);
    writeFileSync(
      path.join(outDir, 'latest.json'),
      `${JSON.stringify({ at: new Date().toISOString(), cores: cpus().length, node: process.version, sections: results }, null, 2)}\n`,
    );
    log(`written to ${path.join(outDir, 'latest.md')} and latest.json`);
  } finally {
    for (const name of databases.reverse())
      await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
    await admin.end();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
