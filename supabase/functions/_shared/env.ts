// Reading settings from the environment (Deno.env.toObject() in an Edge Function, process.env locally): unset or
// blank means the default; a value that is set but malformed is refused at start with a message naming it.
export type Env = Readonly<Record<string, string | undefined>>;

/** A whole number from `min` to `max`, or `fallback` when unset. */
export function integerFromEnv(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}
