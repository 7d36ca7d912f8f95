// Where `npm start`'s lines go. Every line goes to <DATA_DIR>/stack.log; the terminal shows what a person watching
// wants to see (the stack starting, runs starting and ending, alerts, warnings, errors, refused requests) and leaves
// out the routine that would bury it: each answered request, the minute's tick report and the vendors found healthy
// (STACK_LOG=all shows those too). Each start begins the file afresh; the last start's is kept beside it, as
// stack.previous.log, so the file does not grow without end.
import { appendFileSync, existsSync, renameSync } from 'node:fs';

interface Entry {
  level?: unknown;
  msg?: unknown;
  status?: unknown;
  event?: unknown;
  result?: unknown;
}

/** Info lines that say nothing went wrong and nothing happened that a person would act on. */
const ROUTINE: Record<string, (entry: Entry) => boolean> = {
  request: (entry) => typeof entry.status === 'number' && entry.status < 400,
  tick: () => true,
  // A vendor found healthy; unhealthy, rate limited or a check not recorded is shown (no alert says so).
  'health check': (entry) => entry.event === 'integration_health_check' && entry.result === 'healthy',
};

/** Whether a line (a JSON log line, or any other text) is routine: a request answered below 400, a tick, a check. */
export function isRoutine(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    const entry = JSON.parse(line) as Entry;
    if (entry.level !== 'info' || typeof entry.msg !== 'string' || !Object.hasOwn(ROUTINE, entry.msg)) return false;
    return (ROUTINE[entry.msg] as (entry: Entry) => boolean)(entry);
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
