// Makes an error message safe to store and show: stack frames (Node and Deno) removed; JWTs, bearer tokens, API
// keys, secrets in `key=value` / `key: value` / JSON form and passwords in URLs masked; NUL, control and bidi
// characters removed; then cut to 2,000 characters (UTF-16 units, so also code points) without splitting a
// surrogate pair. Idempotent: sanitising twice gives the same text. Linear time: no pattern backtracks badly.
import { MAX_ERROR_MESSAGE_LENGTH } from './run-log.types.ts';

export const REDACTED = '[redacted]';

/** Input beyond this is ignored before any work (the output keeps 2,000 characters at most anyway). */
const MAX_INPUT = 100_000;

/** Lone surrogates (not part of a pair) become U+FFFD, so the text is well-formed UTF-16. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// C0 controls except tab and newline, DEL, C1 controls, bidi overrides and isolates, zero-width no-break space.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** A frame line: `at fn (file:1:2)`, `at file:///x.ts:1:2`, `at new X (<anonymous>)`, `at async Promise.all (index 0)`. */
function isStackFrame(line: string): boolean {
  const text = line.trim();
  if (/^\.\.\. \d+ (?:more|lines? matching)/.test(text)) return true;
  if (!text.startsWith('at ')) return false;
  const frame =
    /:\d+:\d+\)?$/.test(text) ||
    /\((?:native|<anonymous>|index \d+)\)$/.test(text) ||
    /^at (?:async )?(?:file|https?|node|ext|data|npm|jsr):\S*$/.test(text);
  // Indented as runtimes print them, or unmistakably a location (a path, <anonymous>, native).
  return frame && (/^\s/.test(line) || /[/\\]|<anonymous>|\(native\)|\(index \d+\)/.test(text));
}

// `scheme://user:password@` (connection strings, URLs): the password, up to the last @ before a space, so that a
// password with a raw `@`, `/`, `?` or `#` is masked whole (a later @ in the path is masked with it: over-masking is
// the safe side). `host:5432/...` is a port, not a password.
const URL_PASSWORD = /([a-z][a-z0-9+.-]{0,30}:\/\/)([^\s:/?#@]{0,256}):(?!\d{1,5}(?:[/?#]|$))(\S{0,256})@/gi;
const JWT = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g;
const KNOWN_KEYS =
  /(?:(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{4,}|sk-[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{16,}|xox[abposr]-[A-Za-z0-9-]{8,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{30,}|sb_(?:secret|publishable)_[A-Za-z0-9_-]{8,})/g;
const AUTH_SCHEME = /(Bearer|Basic)([ \t]+)([A-Za-z0-9\-._~+/]+=*)/gi;
/** A long run of token characters mixing letters and digits: a key or secret without a label. */
const LONG_TOKEN = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])/g;

/**
 * `key` `=`/`:`/`=>`, optionally quoted (also JSON-escaped once or more: `\"key\"`, `\\\"key\\\"`) or the last part of a
 * bracketed form field (`user[password]=`, also URL-encoded `%5D`); the value follows the match.
 */
const KEY_SEPARATOR = /(\\{0,8}["']?)(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]{1,100})\1(?:\]|%5[Dd])?[ \t]*(=>|[:=])[ \t]*/g;
const SECRET_KEY =
  /(?:password|passwd|passphrase|pwd|secret|token|api[-_.]?key|access[-_.]?key|private[-_.]?key|credential|signature|cookie|session|auth(?:orization)?|pass|key|sig)s?(?![a-z])/;
const UNQUOTED_VALUE = /(?:(?:bearer|basic|token|digest)[ \t]+)?[^\s,;&"'<>(){}]+/iy;

/**
 * Masks the values of secret-looking keys. Every `key=` is looked at, also inside another key's value (`a=password=x`
 * masks both values): the ranges to mask are collected first, overlapping ones merged, then replaced.
 */
function maskKeyValues(text: string): string {
  const ranges: { start: number; end: number; quote: string }[] = [];
  KEY_SEPARATOR.lastIndex = 0;
  for (let match = KEY_SEPARATOR.exec(text); match; match = KEY_SEPARATOR.exec(text)) {
    const valueStart = match.index + match[0].length;
    KEY_SEPARATOR.lastIndex = valueStart;
    if (!SECRET_KEY.test((match[2] as string).toLowerCase())) continue;
    const valueEnd = endOfValue(text, valueStart);
    if (valueEnd > valueStart) ranges.push({ start: valueStart, end: valueEnd, quote: quoteAt(text, valueStart) });
  }
  let out = '';
  let copied = 0;
  for (let i = 0; i < ranges.length; i++) {
    const range = ranges[i] as { start: number; end: number; quote: string };
    let { end, quote } = range;
    // Ranges come in start order; merge the ones that overlap this one.
    while (i + 1 < ranges.length && (ranges[i + 1] as { start: number }).start < end) {
      end = Math.max(end, (ranges[i + 1] as { end: number }).end);
      quote = '';
      i++;
    }
    out += text.slice(copied, range.start) + (quote ? `${quote}${REDACTED}${quote}` : REDACTED);
    copied = end;
  }
  return out + text.slice(copied);
}

/** The quote a value starts with: `"` or `'`, or an escaped one (`\"`, `\\\"`, ...); '' when unquoted. */
const QUOTE = /\\{0,8}["']/y;
function quoteAt(text: string, at: number): string {
  QUOTE.lastIndex = at;
  return QUOTE.exec(text)?.[0] ?? '';
}

/** Where the value starting at `at` ends: a quoted string (escapes honoured) or a run of value characters. */
function endOfValue(text: string, at: number): number {
  const quote = quoteAt(text, at);
  if (quote.length > 1) {
    const close = text.indexOf(quote, at + quote.length);
    return close === -1 ? text.length : close + quote.length;
  }
  if (quote) {
    for (let i = at + 1; i < text.length; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === quote) return i + 1;
    }
    return text.length;
  }
  UNQUOTED_VALUE.lastIndex = at;
  const match = UNQUOTED_VALUE.exec(text);
  return match ? at + match[0].length : at;
}

function maskSecrets(text: string): string {
  return maskKeyValues(
    text
      .replace(URL_PASSWORD, (_, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`)
      .replace(JWT, REDACTED)
      .replace(KNOWN_KEYS, REDACTED)
      .replace(AUTH_SCHEME, (whole, scheme: string, space: string, token: string) =>
        scheme.toLowerCase() === 'basic' && !/[0-9+/=]/.test(token) ? whole : `${scheme}${space}${REDACTED}`,
      ),
  ).replace(LONG_TOKEN, (run) => (/[0-9]/.test(run) && /[A-Za-z]/.test(run) ? REDACTED : run));
}

/** Cuts to `max` UTF-16 units, one less when the cut would split a surrogate pair. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

function pass(text: string): string {
  const lines = text.split('\n').filter((line) => !isStackFrame(line));
  const masked = maskSecrets(lines.map((line) => line.trimEnd()).join('\n'));
  return truncate(masked.replace(/\n{3,}/g, '\n\n').trim(), MAX_ERROR_MESSAGE_LENGTH);
}

export function sanitizeErrorMessage(input: string): string {
  let text = String(input)
    .slice(0, MAX_INPUT)
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL, '');
  // Masking can shorten a line into a frame-looking one, truncation can end on a key: repeat to a fixed point.
  for (let i = 0; i < 5; i++) {
    const next = pass(text);
    if (next === text) break;
    text = next;
  }
  return text;
}
