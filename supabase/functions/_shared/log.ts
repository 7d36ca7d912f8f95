// Structured logs: one JSON object per line, each with the request id, so a request can be followed end to end.
// Messages pass through the error sanitiser: no secret or stack reaches the log either.
import { sanitizeErrorMessage } from './sanitize-error.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

/** Writes JSON lines through `write` (console.log by default), with the time from `now`. */
export function jsonLogger(
  write: (line: string) => void = (line) => console.log(line),
  now: () => Date = () => new Date(),
): Logger {
  return {
    log(level, message, fields = {}) {
      write(JSON.stringify({ time: now().toISOString(), level, msg: sanitizeErrorMessage(message), ...fields }));
    },
  };
}

export const silentLogger: Logger = { log() {} };
