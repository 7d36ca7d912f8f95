// `deno check` on every Edge Function (each with its own deno.json, as `supabase functions deploy` bundles it)
// and on the local router: the functions type-check under Deno itself, not only under Node's tsc.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../src/local/config.ts';
import { DENO_BIN, FUNCTIONS_DIR, mergedImports } from '../../src/local/functions-host.ts';

const run = promisify(execFile);
const functions = readdirSync(FUNCTIONS_DIR).filter(
  (name) => !name.startsWith('_') && existsSync(path.join(FUNCTIONS_DIR, name, 'index.ts')),
);

async function denoCheck(args: string[]): Promise<void> {
  try {
    await run(DENO_BIN, ['check', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 1 << 24 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(`deno check ${args.join(' ')} failed:\n${e.stderr ?? ''}${e.stdout ?? ''}`);
  }
}

describe('deno check', () => {
  it('finds the functions, each with a pinned deno.json', () => {
    expect(functions).toContain('sync-run-log');
    for (const [name, target] of Object.entries(mergedImports())) {
      expect(target, name).toMatch(/^npm:(@[a-z0-9-]+\/)?[a-z0-9.-]+@\d+\.\d+\.\d+(-[\w.]+)?(\/.*)?$/);
    }
  });

  it.each(functions)(
    '%s type-checks under Deno',
    async (name) => {
      const dir = path.join(FUNCTIONS_DIR, name);
      await denoCheck(['--config', path.join(dir, 'deno.json'), path.join(dir, 'index.ts')]);
    },
    180_000,
  );

  it('the local functions router type-checks under Deno', async () => {
    await denoCheck([
      '--config',
      path.join(FUNCTIONS_DIR, 'sync-run-log', 'deno.json'),
      'src/local/functions-router.ts',
    ]);
  }, 180_000);
});
