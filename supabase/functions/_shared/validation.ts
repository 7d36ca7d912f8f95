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
  return `${path ? `${where}.${path}` : where}: ${typeProblem(issue, input) ?? boundProblem(issue) ?? issue.message}`;
}

/** zod's default messages start so; a schema's own message (a regex's, a refinement's) is kept as it is. */
const ZOD_DEFAULT = /^(Invalid option|Invalid input|Unrecognized key|Too small|Too big)/;

/**
 * An unknown field, a value outside a list, or a number or length out of range, in words of our own ("must be one
 * of ...", "has a field it does not know", "must be at least 0"), or null for any other problem: zod's own words for
 * these read as its internals ("Invalid option: expected one of ...", "Too small: expected number to be >=0").
 */
function boundProblem(issue: z.core.$ZodIssue): string | null {
  if (!ZOD_DEFAULT.test(issue.message)) return null;
  // A literal may be a bigint, undefined or a symbol, which JSON cannot write.
  const quoted = (values: readonly unknown[]) =>
    values.map((value) => (typeof value === 'string' ? JSON.stringify(value) : String(value))).join(', ');
  switch (issue.code) {
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${quoted(issue.values)}` : `must be one of ${quoted(issue.values)}`;
    case 'unrecognized_keys':
      return issue.keys.length === 1
        ? `has a field it does not know: ${quoted(issue.keys)}`
        : `has fields it does not know: ${quoted(issue.keys)}`;
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = Number(small ? issue.minimum : issue.maximum);
      const limit = issue.exact
        ? 'exactly'
        : issue.inclusive === false
          ? small
            ? 'more than'
            : 'less than'
          : small
            ? 'at least'
            : 'at most';
      if (issue.origin === 'string') return `must be ${limit} ${bound} character${bound === 1 ? '' : 's'} long`;
      if (issue.origin === 'array') return `must have ${limit} ${bound} item${bound === 1 ? '' : 's'}`;
      if (issue.origin === 'number' || issue.origin === 'int') return `must be ${limit} ${bound}`;
      return null;
    }
    default:
      return null;
  }
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
