// The SQL adapter itself (createSqlRpc) against the real database: every value reaches the function exactly as
// given, whatever quotes and backslashes it holds (each call is one simple-protocol message with the values as
// literals); the role and claims hold for the call only; a failing call leaves nothing behind.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqlRpc, literal } from '../../supabase/functions/_shared/sql-rpc.ts';
import { createTestDatabase, SERVICE, type TestDatabase, userClaims } from '../helpers/db.ts';

let db: TestDatabase;
const ORG = '7d2f7a52-3b5e-4f43-9a41-5b7e0c0e2a11';

beforeAll(async () => {
  db = await createTestDatabase();
  // Test-only functions of every return shape the adapter knows, callable by the API roles.
  await db.sql.unsafe(`
    create function public.echo_text(p_value text) returns text language sql as $$ select p_value $$;
    create function public.echo_uuids(p_values uuid[]) returns uuid[] language sql as $$ select p_values $$;
    create function public.echo_texts(p_values text[]) returns text[] language sql as $$ select p_values $$;
    create function public.echo_json(p_value jsonb) returns jsonb language sql as $$ select p_value $$;
    create function public.echo_stamp(p_value timestamptz, p_n integer, p_flag boolean) returns text language sql
      as $$ select to_char(p_value at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') || ' ' || p_n || ' ' || p_flag $$;
    create function public.whoami() returns table (role_name text, org text) language sql
      as $$ select current_user::text, (select auth.jwt()) ->> 'org_id' $$;
    create table public.adapter_probe (note text);
    grant insert on public.adapter_probe to service_role;
    create function public.insert_then_fail(p_note text) returns void language plpgsql as $$
    begin
      insert into public.adapter_probe values (p_note);
      raise exception 'failed after the insert' using errcode = 'SR005';
    end $$;
    create function public.nap(p_seconds double precision) returns text language sql
      as $$ select pg_sleep(p_seconds)::text || current_setting('statement_timeout') $$;
    create function public.statement_text(p_note text, p_secret jsonb) returns jsonb language sql
      as $$ select jsonb_build_object('query', (select query from pg_catalog.pg_stat_activity
        where pid = pg_catalog.pg_backend_pid()), 'note', p_note, 'secret', p_secret) $$;
    grant execute on all functions in schema public to authenticated, service_role;`);
});
afterAll(async () => db?.drop());

const service = () => createSqlRpc(db.sql, SERVICE);

describe('values reach the function unchanged', () => {
  it.each([
    ["it's", 'a quote'],
    ['C:\\path\\to', 'backslashes'],
    ["\\'; drop table public.adapter_probe; --", 'a backslash before a quote'],
    ['$$ select 1 $$', 'dollar quotes'],
    ['Ærlig talt, Øystein – 😀', 'non-ASCII'],
    ['', 'the empty string'],
  ])('%j (%s)', async (value) => {
    expect(await service().rpc('echo_text', { p_value: value })).toEqual({ data: value, error: null });
  });

  it('any string without NUL comes back as sent (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({
          // SQL's special characters often, any other character too
          unit: fc.oneof(
            fc.constantFrom("'", '\\', '"', '$', ';', '{', '}', ',', 'E'),
            fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
          ),
          maxLength: 200,
        }),
        async (raw) => {
          const value = raw.replaceAll('\0', ''); // PostgreSQL text cannot hold NUL (tested below)
          const result = await service().rpc('echo_text', { p_value: value });
          expect(result).toEqual({ data: value, error: null });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('arrays, JSON, dates, numbers and booleans take the parameter types', async () => {
    const ids = [ORG, '00000000-0000-0000-0000-000000000000'];
    expect((await service().rpc('echo_uuids', { p_values: ids })).data).toEqual(ids);
    const texts = ['a,b', '{braces}', 'say "hi"', 'back\\slash', "it's", null, ''];
    expect((await service().rpc('echo_texts', { p_values: texts })).data).toEqual(texts);
    const json = { quote: "it's", nested: { list: [1, 'two', null] }, slash: '\\' };
    expect((await service().rpc('echo_json', { p_value: json })).data).toEqual(json);
    const stamp = await service().rpc('echo_stamp', {
      p_value: new Date('2026-11-28T02:03:04.005Z'),
      p_n: 42,
      p_flag: false,
    });
    expect(stamp.data).toBe('2026-11-28T02:03:04.005 42 false');
  });

  it('a NUL is refused as PostgreSQL refuses it (22021), and nothing is sent', async () => {
    const result = await service().rpc('insert_then_fail', { p_note: 'a\0b' });
    expect(result.error?.code).toBe('22021');
    expect(() => literal(['x\0'])).toThrow(/0x00/);
  });

  it('literals double quotes, and use E strings only where there is a backslash', () => {
    expect(literal("it's")).toBe("'it''s'");
    expect(literal('a\\b')).toBe("E'a\\\\b'");
    expect(literal(null)).toBe('null');
    expect(literal(['a"b', null])).toBe(String.raw`E'{"a\\"b",NULL}'`);
  });
});

describe('the caller', () => {
  it('the call runs as the given role with the given claims, and only the call', async () => {
    const user = createSqlRpc(db.sql, { role: 'authenticated', claims: userClaims(ORG) });
    expect((await user.rpc('whoami')).data).toEqual([{ role_name: 'authenticated', org: ORG }]);
    expect((await service().rpc('whoami')).data).toEqual([{ role_name: 'service_role', org: null }]);
    // The pool's connections are left as they were: the login role, no claims.
    for (let i = 0; i < 4; i++) {
      const [row] =
        await db.sql`select current_user as role_name, current_setting('request.jwt.claims', true) as claims`;
      expect(row).toEqual({ role_name: 'postgres', claims: '' });
    }
  });

  it('a failing call rolls back what it did', async () => {
    const result = await service().rpc('insert_then_fail', { p_note: 'must not stay' });
    expect(result.error).toMatchObject({ code: 'SR005', message: 'failed after the insert' });
    const [row] = await db.sql`select count(*)::int as n from public.adapter_probe`;
    expect(row?.n).toBe(0);
  });

  it('a per-call statement timeout (behind a pooler) stops a slow call, and ends with the call', async () => {
    const pooled = createSqlRpc(db.sql, { ...SERVICE, statementTimeoutMs: 100 });
    expect((await pooled.rpc('nap', { p_seconds: 1 })).error).toMatchObject({ code: '57014' });
    expect((await pooled.rpc('nap', { p_seconds: 0 })).data).toBe('100ms');
    expect((await service().rpc('nap', { p_seconds: 0 })).data).toBe('0'); // without one: the server's own
    for (let i = 0; i < 4; i++) {
      const [row] = await db.sql`select current_setting('statement_timeout') as timeout`;
      expect(row?.timeout).toBe('0');
    }
  });

  it('a secret argument (p_credentials..., p_secret...) is bound, never written into the statement text', async () => {
    const secret = { apiKey: "s3cr'et-marker-9f2c" };
    const result = await service().rpc('statement_text', { p_note: 'visible-note', p_secret: secret });
    expect(result.error).toBeNull();
    const data = result.data as { query: string; note: string; secret: unknown };
    expect(data.secret).toEqual(secret); // it arrived whole
    expect(data.note).toBe('visible-note');
    expect(data.query).toContain('visible-note'); // the ordinary argument is in the text...
    expect(data.query).not.toContain('marker-9f2c'); // ...the secret is not
    const user = createSqlRpc(db.sql, { role: 'authenticated', claims: userClaims(ORG) });
    expect((await user.rpc('statement_text', { p_note: 'x', p_secret: secret })).error).toMatchObject({
      code: '42501',
    });
  });
});
