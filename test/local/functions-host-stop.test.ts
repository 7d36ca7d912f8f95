// stop() lets Deno exit on its own (stdin closed, Deno.exit), not by SIGTERM: only then does Deno write the coverage
// profile of the Edge Functions it ran, which `npm run coverage` reports (test/coverage.ts).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startFunctionsHost } from '../../src/local/functions-host.ts';
import { freePort } from '../helpers/free-port.ts';

const profiles = mkdtempSync(path.join(tmpdir(), 'deno-coverage-'));
afterAll(() => rmSync(profiles, { recursive: true, force: true }));

it('a stopped host leaves the coverage profile of the functions it served when DENO_COVERAGE_DIR is set', async () => {
  const host = await startFunctionsHost({
    databaseUrl: 'postgres://nobody@127.0.0.1:1/none',
    port: await freePort(),
    env: { DENO_COVERAGE_DIR: profiles },
    log: () => {},
  });
  const response = await fetch(`${host.url}/sync-run-log/openapi.json`);
  expect(response.status).toBe(200);
  await response.body?.cancel();
  await host.stop();

  const written = readdirSync(profiles).map((name) => readFileSync(path.join(profiles, name), 'utf8'));
  expect(written.some((profile) => profile.includes('supabase/functions/sync-run-log/app.ts'))).toBe(true);
}, 120_000);
