// npm run coverage: every test, with line coverage of both sides. Node's, by vitest's v8 provider: src and
// supabase/functions/_shared as the Node tests import them. Deno's: the Edge Functions as the local functions host
// (src/local/functions-host.ts, which most tests serve them with) ran them, each Deno writing a profile into
// DENO_COVERAGE_DIR when it stops, merged by `deno coverage` (run beside the router's deno.json: elsewhere it does
// not find the code Deno ran, and skips _shared). Not counted: the standalone functions of hosted.test.ts, which get
// a hosted project's environment only. Arguments go to vitest (e.g. a test file). Exits non-zero when a test fails,
// or when the whole suite wrote no Deno profile.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../src/local/config.ts';
import { DENO_BIN, writeRouterConfig } from '../src/local/functions-host.ts';

const denoProfiles = path.join(ROOT, 'coverage', 'deno');
rmSync(denoProfiles, { recursive: true, force: true });

const vitest = spawnSync(
  process.execPath,
  [path.join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--coverage', ...process.argv.slice(2)],
  { cwd: ROOT, stdio: 'inherit', env: { ...process.env, DENO_COVERAGE_DIR: denoProfiles } },
);

// null: killed by a signal, or not started at all. A failure either way.
const testsFailed = vitest.error !== undefined || vitest.status !== 0;
if (!existsSync(denoProfiles) || readdirSync(denoProfiles).length === 0) {
  // Only the whole suite must run the functions in Deno; a file of Node-only tests may not.
  const files = process.argv.slice(2).length > 0;
  console.error(
    files
      ? '\nNo Edge Function ran in Deno in these tests: no Deno coverage to report.'
      : '\nNo Deno coverage profile was written: no test ran the Edge Functions in Deno.',
  );
  process.exit(testsFailed || !files ? 1 : 0);
}
console.log('\nEdge Functions, as the local functions host ran them in the tests:');
const configDir = mkdtempSync(path.join(tmpdir(), 'coverage-'));
writeRouterConfig(configDir);
const deno = spawnSync(DENO_BIN, ['coverage', denoProfiles, '--include=/supabase/functions/'], {
  cwd: configDir,
  stdio: 'inherit',
  env: { ...process.env, NO_COLOR: '1' },
});
rmSync(configDir, { recursive: true, force: true });
process.exit(testsFailed || deno.error !== undefined || deno.status !== 0 ? 1 : 0);
