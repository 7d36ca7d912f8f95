// The error sanitiser: examples of what it removes, and fast-check properties (length, idempotence, secrets gone,
// no split surrogate pair).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED, sanitizeErrorMessage as sanitize } from '../../supabase/functions/_shared/sanitize-error.ts';

const RUNS = { numRuns: 1000 };

describe('examples', () => {
  it('removes Node and Deno stack frames, keeps the message', () => {
    const node = [
      'TypeError: fetch failed',
      '    at Object.fetch (node:internal/deps/undici/undici:11372:11)',
      '    at async XledgerAdapter.sync (/app/src/xledger.ts:42:17)',
      '    at new Promise (<anonymous>)',
      '    at async Promise.all (index 0)',
      '    ... 2 lines matching cause stack trace ...',
    ].join('\n');
    expect(sanitize(node)).toBe('TypeError: fetch failed');
    const deno =
      'Error: boom\n    at sync (file:///app/functions/x.ts:10:5)\n    at file:///app/functions/index.ts:3:1';
    expect(sanitize(deno)).toBe('Error: boom');
  });

  it('keeps ordinary lines that merely start with "at"', () => {
    expect(sanitize('failed at 10:30\nat least one record failed')).toBe('failed at 10:30\nat least one record failed');
  });

  it.each([
    ['JWT', 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXZhbHVl rejected', 'eyJ'],
    ['bearer header', 'Authorization: Bearer abc.DEF-123_xyz', 'abc.DEF'],
    ['bearer inline', 'sent Bearer Zm9vYmFyYmF6 and failed', 'Zm9vYmFyYmF6'],
    ['api key', 'XLEDGER_API_TOKEN=tok_live_29d8f', 'tok_live_29d8f'],
    ['key: value', 'client_secret: s3cr3t-value', 's3cr3t-value'],
    ['JSON', '{"user":"bob","password":"p@ss w0rd!"}', 'p@ss w0rd!'],
    ['escaped JSON', '{\\"apiKey\\":\\"k-123456\\"}', 'k-123456'],
    ['query string', 'GET /x?access_token=qwerty12345&page=2', 'qwerty12345'],
    ['URL password', 'connect postgres://app:Sup3r:S3cret@db.example:5432/main failed', 'Sup3r'],
    ['URL password with @', 'https://user:p@ss@host/x', 'p@ss'],
    ['connection string', 'Host=db;Username=app;Password=Tr0ub4dor;Database=x', 'Tr0ub4dor'],
    ['Stripe-like key', 'used sk_live_4eC39HqLyjWDarjtT1zdp7dc', '4eC39HqLyjWDarjtT1zdp7dc'],
    ['unlabelled long key', 'key material 8f14e45fceea167a5a36dedd4bea2543aa5f8c2b1d7e', '8f14e45fceea167a5a36'],
    ['service role key env', 'SUPABASE_SERVICE_ROLE_KEY="abc"', '"abc"'],
    ['bracketed form field', 'POST failed, body: user[password]=hunter2&x=1', 'hunter2'],
    ['URL-encoded bracketed field', 'body: user%5Bpassword%5D=hunter2&x=1', 'hunter2'],
    ['plural key', 'credentials=hunter2 secrets: hunter3', 'hunter'],
    ['URL password with / and #', 'connect postgres://svc:Pa/ss#9@db/app failed', 'Pa/ss#9'],
    ['doubly escaped JSON', '{\\\\\\"password\\\\\\":\\\\\\"hunter2\\\\\\"}', 'hunter2'],
  ])('masks a %s', (_name, input, secret) => {
    const out = sanitize(input);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  it('keeps the labels and the rest of the text', () => {
    expect(sanitize('password=hunter2 while syncing')).toBe(`password=${REDACTED} while syncing`);
    expect(sanitize('{"password": "x", "page": 2}')).toBe(`{"password": "${REDACTED}", "page": 2}`);
    expect(sanitize('postgres://app:pw@db/x')).toBe(`postgres://app:${REDACTED}@db/x`);
    expect(sanitize('GET https://api.example:8443/users?email=bob@example.com: 500')).toBe(
      'GET https://api.example:8443/users?email=bob@example.com: 500',
    );
  });

  it('removes NUL and control characters, keeps tabs and newlines', () => {
    expect(sanitize('a\u0000b\u0007c\u001b[31md\u202ee\r\nf\tg')).toBe('abc[31mde\nf\tg');
  });

  it('cuts to 2,000 characters without splitting a surrogate pair', () => {
    const out = sanitize(`${'a'.repeat(1999)}😀tail`);
    expect(out).toBe('a'.repeat(1999));
    expect(sanitize('b'.repeat(5000))).toHaveLength(2000);
  });

  it('replaces lone surrogates', () => {
    expect(sanitize('x\ud800y\udc00z')).toBe('x\ufffdy\ufffdz');
  });

  it('is fast on hostile input (no catastrophic backtracking)', () => {
    for (const input of [
      'a'.repeat(100_000),
      `${'password'.repeat(12_000)}=`,
      `${'"a":'.repeat(25_000)}`,
      '@'.repeat(100_000),
    ]) {
      const started = performance.now();
      sanitize(input);
      expect(performance.now() - started).toBeLessThan(2_000);
    }
  });
});

// Text around secrets: any unicode, including separators and quotes.
const noise = fc.string({ unit: 'binary', maxLength: 300 });
const secretValue = fc.stringMatching(/^[A-Za-z0-9]{12,40}$/).filter((s) => /[0-9]/.test(s) && /[A-Za-z]/.test(s));
const keyName = fc.constantFrom(
  'password',
  'PASSWORD',
  'pwd',
  'api_key',
  'apiKey',
  'x-api-key',
  'client_secret',
  'clientSecret',
  'XLEDGER_API_TOKEN',
  'DYNAMICS_CLIENT_SECRET',
  'BUFDIR_API_KEY',
  'SUPABASE_SERVICE_ROLE_KEY',
  'access_token',
  'refresh_token',
  'secret',
  'authorization',
);
const b64url = fc.stringMatching(/^[A-Za-z0-9_-]{8,40}$/);

/** A secret in one of the forms the sanitiser promises to catch, and the secret itself. */
const secretInContext = fc.oneof(
  fc
    .tuple(keyName, secretValue, fc.constantFrom('=', ': ', ':', ' = ', '=>'))
    .map(([k, v, sep]) => ({ text: `${k}${sep}${v}`, secret: v })),
  fc.tuple(keyName, secretValue).map(([k, v]) => ({ text: `{"${k}": "${v}"}`, secret: v })),
  fc.tuple(keyName, secretValue).map(([k, v]) => ({ text: `'${k}': '${v}'`, secret: v })),
  secretValue.map((v) => ({ text: `Authorization: Bearer ${v}`, secret: v })),
  secretValue.map((v) => ({ text: `Bearer ${v}`, secret: v })),
  fc
    .tuple(fc.constantFrom('postgres', 'postgresql', 'https', 'mysql', 'redis'), secretValue)
    .map(([scheme, v]) => ({ text: `${scheme}://user:${v}@host.example:5432/db`, secret: v })),
  fc.tuple(b64url, b64url, b64url).map(([p, q, r]) => {
    const jwt = `eyJ${p}.eyJ${q}.${r}`;
    return { text: jwt, secret: jwt };
  }),
  fc.tuple(keyName, secretValue).map(([k, v]) => ({ text: `?${k}=${v}&page=2`, secret: v })),
  fc.tuple(keyName, secretValue).map(([k, v]) => ({ text: `user[${k}]=${v}&page=2`, secret: v })),
  fc.tuple(keyName, secretValue).map(([k, v]) => ({ text: `{\\\\\\"${k}\\\\\\":\\\\\\"${v}\\\\\\"}`, secret: v })),
  fc
    .tuple(secretValue, fc.constantFrom('/', '?', '#', '@'), secretValue)
    .map(([a, c, b]) => ({ text: `postgres://svc:${a}${c}${b}@db.example/app`, secret: `${a}${c}${b}` })),
);

describe('properties', () => {
  it('never returns more than 2,000 characters (UTF-16 units and code points)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 6000 }), (input) => {
        const out = sanitize(input);
        expect(out.length).toBeLessThanOrEqual(2000);
        expect([...out].length).toBeLessThanOrEqual(2000);
      }),
      RUNS,
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 3000 }),
          fc
            .array(
              fc.oneof(
                noise,
                secretInContext.map((s) => s.text),
              ),
              { maxLength: 12 },
            )
            .map((parts) => parts.join(' ')),
          fc.tuple(fc.string({ maxLength: 2100 }), secretInContext).map(([pad, s]) => `${pad}${s.text}`),
        ),
        (input) => {
          const once = sanitize(input);
          expect(sanitize(once)).toBe(once);
        },
      ),
      RUNS,
    );
  });

  it('generated secrets never survive, wherever they sit in the text', () => {
    fc.assert(
      fc.property(
        noise,
        secretInContext,
        noise,
        fc.constantFrom('', ' ', '\n', '; ', ', ', '"', "'", '=', ':', '\\'),
        (before, { text, secret }, after, gap) => {
          const out = sanitize(`${before}${gap}${text}${gap}${after}`);
          expect(out).not.toContain(secret);
        },
      ),
      RUNS,
    );
  });

  it('never splits a surrogate pair and leaves no lone surrogate', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1900, maxLength: 2600 }), (input) => {
        const out = sanitize(input);
        expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(out)).toBe(false);
      }),
      RUNS,
    );
  });

  it('never leaves control characters other than tab and newline', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 500 }), (input) => {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the property is about control characters
        expect(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(sanitize(input))).toBe(false);
      }),
      RUNS,
    );
  });
});
