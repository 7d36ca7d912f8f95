// A text snapshot of everything the migrations define, read from the catalogs: compare two and you know whether
// two schemas are the same (tables, columns, constraints, indexes, functions, policies, triggers, grants, comments).
import type { Sql } from 'postgres';

const SCHEMAS = `n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'supabase_migrations') and n.nspname not like 'pg_temp%' and n.nspname not like 'pg_toast_temp%'`;

export async function schemaSnapshot(sql: Sql): Promise<string[]> {
  const parts = await Promise.all([
    sql.unsafe(
      `select 'schema ' || n.nspname || ' acl=' || coalesce(n.nspacl::text, '') as line from pg_namespace n where ${SCHEMAS}`,
    ),
    sql.unsafe(`select 'relation ' || n.nspname || '.' || c.relname || ' kind=' || c.relkind::text || ' rls=' || c.relrowsecurity
        || ' acl=' || coalesce(c.relacl::text, '') || ' comment=' || coalesce(obj_description(c.oid, 'pg_class'), '') as line
      from pg_class c join pg_namespace n on n.oid = c.relnamespace where ${SCHEMAS} and c.relkind in ('r', 'v', 'm', 'p', 'S')`),
    sql.unsafe(`select 'column ' || n.nspname || '.' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
        || ' notnull=' || a.attnotnull || ' generated=' || a.attgenerated::text || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') as line
      from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where ${SCHEMAS} and c.relkind in ('r', 'v', 'm', 'p') and a.attnum > 0 and not a.attisdropped`),
    sql.unsafe(`select 'constraint ' || n.nspname || '.' || c.relname || '.' || k.conname || ' ' || pg_get_constraintdef(k.oid) as line
      from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace where ${SCHEMAS}`),
    sql.unsafe(`select 'index ' || pg_get_indexdef(i.indexrelid) as line
      from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace where ${SCHEMAS}`),
    sql.unsafe(`select 'function ' || pg_get_functiondef(p.oid) || ' acl=' || coalesce(p.proacl::text, '')
        || ' comment=' || coalesce(obj_description(p.oid, 'pg_proc'), '') as line
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace where ${SCHEMAS} and p.prokind in ('f', 'p')`),
    sql.unsafe(`select 'policy ' || schemaname || '.' || tablename || ' ' || policyname || ' ' || permissive || ' ' || roles::text
        || ' ' || cmd || ' using=' || coalesce(qual, '') || ' check=' || coalesce(with_check, '') as line from pg_policies`),
    sql.unsafe(`select 'trigger ' || pg_get_triggerdef(t.oid) as line
      from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      where ${SCHEMAS} and not t.tgisinternal`),
    sql.unsafe(`select 'type ' || n.nspname || '.' || t.typname || ' ' || t.typtype::text as line
      from pg_type t join pg_namespace n on n.oid = t.typnamespace
      where ${SCHEMAS} and t.typtype in ('e', 'd') `),
  ]);
  return parts.flatMap((rows) => rows.map((row) => String(row.line))).sort();
}
