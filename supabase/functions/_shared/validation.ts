// Input validation with zod: strict objects (unknown fields are refused), and one clear 400 message per failure.
import type { z } from 'zod';
import { SyncRunLogError } from './errors.ts';

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses `value` with `schema`, or throws invalid_argument naming the first problems (`where` prefixes paths). */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join('.');
    return `${path ? `${where}.${path}` : where}: ${issue.message}`;
  });
  throw new SyncRunLogError('invalid_argument', problems.join('; ').slice(0, 500));
}

/** Query parameters as an object; a parameter given twice is refused. */
export function queryObject(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of params) {
    if (Object.hasOwn(out, key)) throw new SyncRunLogError('invalid_argument', `query parameter ${key} is given twice`);
    out[key] = value;
  }
  return out;
}
