// Makes an error message safe to store and show. (First cut: control characters and length; issue #3 completes it.)
import { MAX_ERROR_MESSAGE_LENGTH } from './run-log.types.ts';

export function sanitizeErrorMessage(input: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const text = input.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
  const chars = Array.from(text);
  return chars.length <= MAX_ERROR_MESSAGE_LENGTH ? text : chars.slice(0, MAX_ERROR_MESSAGE_LENGTH).join('');
}
