// The database accepts a schedule exactly when the tick can read it: upsert_sync_schedule's checks
// (sync_private.cron_expression_error, time_zone_error) against the tick's parser (croner, in 5-field mode) and
// Intl, over a corpus of expressions built field by field and every time zone PostgreSQL knows. A schedule stored
// that the tick cannot read would start nothing, ever, with nothing to say so but a log line each minute.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isTimeZone, parseScheduleCron } from '../../supabase/functions/_shared/scheduler/cron.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

/** Values for each field (minute, hour, day of month, month, day of week): valid, borderline and wrong. */
const VALUES = [
  [
    '*',
    '*/1',
    '*/7',
    '*/59',
    '*/60',
    '*/61',
    '0-59/30',
    '5/10',
    '0-59/60',
    '0-59/61',
    '5',
    '59',
    '60',
    '1,2,3',
    '10-5',
  ],
  ['*', '*/23', '*/24', '*/25', '0-23/24', '3/5', '23', '24', 'L', '*/0'],
  ['*', '*/31', '*/32', '1-31/31', '1-31/40', '5/10', 'L', 'LW', '15W', '30', '31', '0', '32', '?', 'L,5', 'W'],
  ['*', '*/12', '*/13', 'JAN-DEC/13', 'JAN-DEC/12', '2', 'FEB', 'feb', '13', '0', 'JAN,MAR', 'Jan-Mar', '2-12/2'],
  ['*', '*/7', '*/8', '0-7/7', 'MON', 'mon-fri', '7', '8', '5L', '1#2', '1#6', '+MON', 'SUN-SAT', 'MON/2'],
];
const WHOLE = [
  '0 0 30 2 *', // never: no 30 February
  '0 0 31 4 *',
  '0 0 31 2,4 *',
  '0 0 30-31 2 *',
  '0 0 31 4-6/2 *',
  '0 0 30 2 MON', // fires on February's Mondays (day of month OR day of week)
  '0 0 29 2 *', // leap years
  '0 0 31 4,5 *',
  '0 0 31 */2 *',
  '0 0 31 2-12/2 *',
  '0 0 L 2 *',
  '@daily',
  '@weekly',
  '@reboot',
  '0 0 * *',
];

function corpus(): string[] {
  const expressions = new Set(WHOLE);
  const base = ['0', '0', '*', '*', '*'];
  VALUES.forEach((values, field) => {
    for (const value of values) expressions.add(base.map((part, i) => (i === field ? value : part)).join(' '));
  });
  return [...expressions];
}

it('accepts exactly the cron expressions the tick can read, and says why it refuses the others', async () => {
  const disagreements: string[] = [];
  let refused = 0;
  for (const expression of corpus()) {
    const [row] = await db.sql<{ error: string | null }[]>`
      select sync_private.cron_expression_error(${expression}) as error`;
    let tickError: string | null = null;
    try {
      parseScheduleCron(expression, 'UTC');
    } catch (error) {
      tickError = (error as Error).message;
    }
    if ((row?.error === null) !== (tickError === null)) {
      disagreements.push(`${expression}: database ${row?.error ?? 'accepts'}; tick ${tickError ?? 'accepts'}`);
    }
    if (row?.error) refused += 1;
  }
  expect(disagreements).toEqual([]);
  expect(refused).toBeGreaterThan(20); // the corpus holds both kinds
  const [never] = await db.sql<{ error: string }[]>`select sync_private.cron_expression_error('0 0 30 2 *') as error`;
  expect(never?.error).toBe("cron expression '0 0 30 2 *' never fires: none of its months has that day");
  const [prefix] = await db.sql<
    { error: string }[]
  >`select sync_private.cron_expression_error('5/10 * * * *') as error`;
  expect(prefix?.error).toBe(
    "cron expression '5/10 * * * *': minute step '5/10' needs * or a range before it (*/10 or 5-59/10)",
  );
});

it('accepts exactly the time zones the tick can read', async () => {
  // time_zone_error reads pg_timezone_names, which reads the zone files: it is asked of the zones Intl refuses
  // (all of them) and of every tenth zone it accepts, not of all ~600.
  const names = (await db.sql<{ name: string }[]>`select name from pg_timezone_names order by name`).map((z) => z.name);
  expect(names.length).toBeGreaterThan(400);
  const refused = names.filter((name) => !isTimeZone(name));
  expect(refused).toContain('Factory');
  const asked = [...refused, ...names.filter((name, i) => isTimeZone(name) && i % 10 === 0)];
  const answers = await db.sql<{ name: string; error: string | null }[]>`
    select name, sync_private.time_zone_error(name) as error from unnest(${asked}::text[]) as name`;
  expect(answers.filter((zone) => (zone.error === null) !== isTimeZone(zone.name)).map((zone) => zone.name)).toEqual(
    [],
  );
  expect(answers.find((zone) => zone.name === 'Factory')?.error).toBe(
    "unknown time zone 'Factory': use an IANA name such as Europe/Oslo",
  );
});
