// Input validation with zod: strict objects (unknown fields are refused), and one clear 400 message per failure.
import type { z } from 'zod';
import { SyncRunLogError } from './errors.ts';

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses `value` with `schema`, or throws invalid_argument naming the first problems (`where` prefixes paths). */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 3).map((issue) => problemOf(issue, value, where));
  throw new SyncRunLogError('invalid_argument', problems.join('; ').slice(0, 500));
}

/** One problem of `input`, as "<where>.<path>: <what is wrong>". */
export function problemOf(issue: z.core.$ZodIssue, input: unknown, where: string): string {
  const path = issue.path.map(String).join('.');
  return `${path ? `${where}.${path}` : where}: ${typeProblem(issue, input) ?? issue.message}`;
}

/**
 * A missing or mistyped value in words of our own ("is required", "must be a boolean", "must be a whole number"),
 * or null for any other problem: zod's own words for these name the type received ("Invalid input: expected
 * string, received undefined").
 */
function typeProblem(issue: z.core.$ZodIssue, input: unknown): string | null {
  if (issue.code !== 'invalid_type') return null;
  if (issue.path.length > 0 && valueAt(input, issue.path) === undefined) return 'is required';
  if (issue.expected === 'object') return 'must be a JSON object';
  if (issue.expected === 'int') return 'must be a whole number';
  return `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
}

/** The value at `path` inside `input` (a zod issue's path), or undefined where the path leaves the objects. */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
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
