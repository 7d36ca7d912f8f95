// One PostgreSQL server per test run (embedded, or DATABASE_URL), and one template database migrated once;
// each test file clones its own database from it (test/helpers/db.ts).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { startDatabase, withDatabase } from '../../src/local/embedded-db.ts';
import { applyLocalCompat, migrate } from '../../src/local/migrate.ts';
import { freePort } from './free-port.ts';

export const TEMPLATE = 'sync_run_log_test_template';

declare module 'vitest' {
  export interface ProvidedContext {
    serverUrl: string;
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sync-run-log-test-'));
  chmodSync(dataDir, 0o755); // as root, the server runs as `postgres` and must reach its data directory
  const output: string[] = [];
  const server = await startDatabase({
    dataDir: path.join(dataDir, 'pg'),
    port: await freePort(),
    log: (line) => output.push(line),
    fast: true,
  }).catch((error: unknown) => {
    console.error(output.join('\n'));
    throw error;
  });

  const admin = postgres(server.url, { max: 1, onnotice: () => {} });
  // A server given by DATABASE_URL keeps the last run's template, marked as one: PostgreSQL refuses to drop that.
  const [kept] = await admin`select 1 from pg_database where datname = ${TEMPLATE}`;
  if (kept) await admin.unsafe(`alter database ${TEMPLATE} is_template false`);
  await admin.unsafe(`drop database if exists ${TEMPLATE} with (force)`);
  await admin.unsafe(`create database ${TEMPLATE}`);
  const template = postgres(withDatabase(server.url, TEMPLATE), { max: 1, onnotice: () => {} });
  await applyLocalCompat(template);
  await migrate(template);
  await template.end();
  await admin.unsafe(`alter database ${TEMPLATE} is_template true`);
  await admin.end();

  project.provide('serverUrl', server.url);
  project.provide('templateDatabase', TEMPLATE);

  return async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
