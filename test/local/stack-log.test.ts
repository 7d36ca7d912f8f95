// npm start's lines: all in <DATA_DIR>/stack.log; in the terminal, all but the routine (answered requests, ticks,
// health checks) unless STACK_LOG=all.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { isRoutine, stackLog } from '../../src/local/stack-log.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'stack-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line = (fields: Record<string, unknown>) => JSON.stringify({ time: '2026-12-02T08:00:00Z', ...fields });

it('routine: a request answered below 400, a tick report, a vendor found healthy, each at level info', () => {
  expect(isRoutine(line({ level: 'info', msg: 'request', status: 200 }))).toBe(true);
  expect(isRoutine(line({ level: 'info', msg: 'request', status: 304 }))).toBe(true);
  expect(isRoutine(line({ level: 'info', msg: 'tick', started: [] }))).toBe(true);
  const check = { level: 'info', msg: 'health check', event: 'integration_health_check' };
  expect(isRoutine(line({ ...check, result: 'healthy' }))).toBe(true);
  // A vendor in trouble, or a check the database did not record, is shown: no alert says so.
  expect(isRoutine(line({ ...check, result: 'unhealthy', error: 'timeout' }))).toBe(false);
  expect(isRoutine(line({ ...check, result: 'rate_limited' }))).toBe(false);
  expect(isRoutine(line({ ...check, event: 'integration_health_not_recorded', code: 'unavailable' }))).toBe(false);
  expect(isRoutine(line({ level: 'info', msg: 'toString' }))).toBe(false);
  // Not routine: refused and failed requests, runs, warnings, errors, anything not a JSON log line.
  expect(isRoutine(line({ level: 'info', msg: 'request', status: 409 }))).toBe(false);
  expect(isRoutine(line({ level: 'error', msg: 'request', status: 500 }))).toBe(false);
  expect(isRoutine(line({ level: 'info', msg: 'request' }))).toBe(false);
  expect(isRoutine(line({ level: 'info', msg: 'run started' }))).toBe(false);
  expect(isRoutine(line({ level: 'warn', msg: 'tick', errors: [{}] }))).toBe(false);
  expect(isRoutine('Deno: error: Module not found')).toBe(false);
  expect(isRoutine('{not json')).toBe(false);
});

it('writes every line to the file, prints the rest; STACK_LOG=all prints all; a bad STACK_LOG is refused', () => {
  const printed: string[] = [];
  const file = path.join(dir, 'quiet.log');
  const quiet = stackLog(file, {}, (text) => printed.push(text));
  const request = line({ level: 'info', msg: 'request', status: 200 });
  const started = line({ level: 'info', msg: 'run started' });
  quiet.line('functions', request);
  quiet.line('scheduler', started);
  expect(printed).toEqual([`scheduler: ${started}`]);
  expect(readFileSync(file, 'utf8')).toBe(`functions: ${request}\nscheduler: ${started}\n`);

  const all: string[] = [];
  stackLog(path.join(dir, 'all.log'), { STACK_LOG: 'ALL' }, (text) => all.push(text)).line('functions', request);
  expect(all).toEqual([`functions: ${request}`]);
  expect(() => stackLog(file, { STACK_LOG: 'loud' })).toThrow('STACK_LOG must be "quiet" or "all", got "loud"');
});

it("each start begins the file afresh and keeps the last start's lines as stack.previous.log", () => {
  const file = path.join(dir, 'stack.log');
  stackLog(file, {}, () => {}).line('functions', 'first start');
  stackLog(file, {}, () => {}).line('functions', 'second start');
  expect(readFileSync(file, 'utf8')).toBe('functions: second start\n');
  expect(readFileSync(path.join(dir, 'stack.previous.log'), 'utf8')).toBe('functions: first start\n');
});
