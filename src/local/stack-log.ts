// Where `npm start`'s lines go. Every line goes to <DATA_DIR>/stack.log; the terminal shows what a person watching
// wants to see (the stack starting, runs starting and ending, alerts, warnings, errors, refused requests) and leaves
// out the routine that would bury it: each answered request, the minute's tick report and the health checks
// (STACK_LOG=all shows those too). Each start begins the file afresh; the last start's is kept beside it, as
// stack.previous.log, so the file does not grow without end.
import { appendFileSync, existsSync, renameSync } from 'node:fs';

/** Info lines that say nothing went wrong and nothing happened that a person would act on. */
const ROUTINE = new Set(['request', 'tick', 'health check']);

/** Whether a line (a JSON log line, or any other text) is routine: a request answered below 400, a tick, a check. */
export function isRoutine(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    const entry = JSON.parse(line) as { level?: unknown; msg?: unknown; status?: unknown };
    if (entry.level !== 'info' || typeof entry.msg !== 'string' || !ROUTINE.has(entry.msg)) return false;
    return entry.msg !== 'request' || (typeof entry.status === 'number' && entry.status < 400);
  } catch {
    return false;
  }
}

export interface StackLog {
  /** Writes `line` (a part's own line) under the part's name: to the file always, to the terminal unless routine. */
  line(part: string, line: string): void;
  file: string;
}

/** STACK_LOG: unset or `quiet` leaves routine lines out of the terminal; `all` shows every line there. */
export function stackLog(file: string, env: NodeJS.ProcessEnv = process.env, print = console.log): StackLog {
  const mode = (env.STACK_LOG ?? '').trim().toLowerCase() || 'quiet';
  if (mode !== 'quiet' && mode !== 'all') throw new Error(`STACK_LOG must be "quiet" or "all", got "${env.STACK_LOG}"`);
  if (existsSync(file)) renameSync(file, file.replace(/(\.log)?$/, '.previous.log'));
  return {
    file,
    line(part, line) {
      const text = `${part}: ${line}`;
      appendFileSync(file, `${text}\n`);
      if (mode === 'all' || !isRoutine(line)) print(text);
    },
  };
}
