// The docs keep up with the code: every relative link in README.md and docs/ leads to a file that exists, every npm
// script is in README's commands (its pre-hook runs with it), and every environment variable the code reads by name
// is in README.md or docs/. The names are found where the code reads them literally (`env.NAME`, `env['NAME']`,
// `helper(env, 'NAME', ...)`, `Deno.env.get('NAME')`); names built from a prefix (INTEGRATION_*, XLEDGER_*) are
// documented as families in docs/integrations.md and are not found here.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const DOCS = [join(ROOT, 'README.md'), ...markdownIn(join(ROOT, 'docs'))];
const CODE_DIRS = ['src', 'supabase/functions', 'bench', 'dashboard/src', 'test'];
const SELF = resolve(import.meta.filename);
/** The system's own variables, passed on to child processes, not this project's settings. */
const SYSTEM = new Set(['PATH', 'HOME', 'DENO_DIR', 'TMPDIR', 'USER']);

function markdownIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(dir, name));
}

function sourcesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => /\.(ts|tsx|mts)$/.test(path) && !/(^|\/)(node_modules|dist)\//.test(path))
    .map((path) => join(dir, path));
}

/** Relative link targets of a Markdown text: `[text](target)`, without the anchor; web and mail links left out. */
function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => (match[1] as string).split('#')[0] as string)
    .filter((target) => target !== '' && !/^[a-z]+:/i.test(target));
}

/** Environment variables a source reads by a literal name. */
function envNamesRead(source: string): string[] {
  const NAME = '[\'"`]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{2,})[\'"`]';
  const patterns = [
    /\benv\.([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)\b/g,
    new RegExp(`\\benv\\[${NAME}\\]`, 'g'),
    new RegExp(`\\(\\s*(?:process\\.)?env\\s*,\\s*${NAME}`, 'g'),
    new RegExp(`Deno\\.env\\.get\\(${NAME}`, 'g'),
  ];
  return [...new Set(patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1] as string)))];
}

describe('the docs', () => {
  it.each(DOCS.map((path) => [relative(ROOT, path), path]))('%s links only to files that exist', (_, path) => {
    const missing = relativeLinks(readFileSync(path, 'utf8')).filter(
      (target) => !existsSync(resolve(dirname(path), decodeURIComponent(target))),
    );
    expect(missing).toEqual([]);
  });

  it("list every npm script in README's commands", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const scripts = Object.keys(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as object);
    const named = (script: string) =>
      ['start', 'test'].includes(script)
        ? readme.includes(`\`npm ${script}\``)
        : new RegExp(`npm run (-s )?${script}\\b`).test(readme);
    const undocumented = scripts.filter((script) => !/^(pre|post)/.test(script) && !named(script));
    expect(undocumented).toEqual([]);
  });

  it('name every environment variable the code reads', () => {
    const text = DOCS.map((path) => readFileSync(path, 'utf8')).join('\n');
    const read = new Map<string, string>();
    for (const file of CODE_DIRS.flatMap((dir) => sourcesIn(join(ROOT, dir))).filter((file) => file !== SELF)) {
      for (const name of envNamesRead(readFileSync(file, 'utf8'))) read.set(name, relative(ROOT, file));
    }
    // The finder finds what it should (else an empty list would pass): names of the local stack and the functions.
    expect([...read.keys()]).toEqual(expect.arrayContaining(['DATABASE_URL', 'DB_POOL_MAX', 'ALERT_WEBHOOK_URL']));
    const undocumented = [...read].filter(
      ([name]) => !SYSTEM.has(name) && !new RegExp(`(^|[^A-Z0-9_])${name}([^A-Z0-9_]|$)`).test(text),
    );
    expect(undocumented.map(([name, file]) => `${name} (${file})`)).toEqual([]);
  });

  it('finds links and names the way the code and the docs write them', () => {
    expect(relativeLinks('[a](docs/x.md#part) [b](https://x.y/z) [c](#top) [d](../y.png)')).toEqual([
      'docs/x.md',
      '../y.png',
    ]);
    expect(
      envNamesRead(
        "process.env.DATA_DIR; env['DB_PORT']; integerFromEnv(process.env, 'X_MS', 1); url(env, 'HOOK_URL'); Deno.env.get('CI'); env.lower",
      ).sort(),
    ).toEqual(['CI', 'DATA_DIR', 'DB_PORT', 'HOOK_URL', 'X_MS']);
  });
});
