-- LOCAL ONLY: a stand-in for Supabase Vault on a plain PostgreSQL 15. Never part of supabase/migrations and never
-- deployed: Supabase has the real Vault (extension supabase_vault), and this file does nothing wherever a schema
-- `vault` exists already. Loaded after supabase_compat.sql by src/local/migrate.ts (applyLocalCompat).
--
-- The same names and signatures as Vault 0.3 (github.com/supabase/vault), so that the migrations' functions call
-- it unchanged:
--   vault.secrets                       id, name (unique when set), description, secret (ciphertext), key_id, nonce,
--                                       created_at, updated_at; a secret is deleted by deleting its row
--   vault.decrypted_secrets             the same columns plus decrypted_secret
--   vault.create_secret(new_secret, new_name, new_description, new_key_id) -> uuid
--   vault.update_secret(secret_id, new_secret, new_name, new_description, new_key_id); null arguments keep the value
-- No plain text is kept: `secret` is pgcrypto's pgp_sym_encrypt (AES-256) of the value, base64, under a random key
-- made once per database and kept in vault.local_key, which only the owner can read. That key lives in the same
-- database, so this protects a dump, a backup or a grep of the data files, not a superuser (Supabase keeps its key
-- outside the database). Privileges as on Supabase: service_role may use the schema, read and delete
-- vault.secrets and vault.decrypted_secrets, and execute both functions; anon and authenticated have nothing.
-- Needs pgcrypto (PostgreSQL's contrib, present in the embedded server and in Debian's postgresql-15); it is created
-- in the schema `extensions`, as on Supabase, unless it is installed already.
do $compat$
declare
  v_crypto text;
begin
  if exists (select 1 from pg_catalog.pg_namespace where nspname = 'vault') then
    return;
  end if;

  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pgcrypto') then
    if not exists (select 1 from pg_catalog.pg_available_extensions where name = 'pgcrypto') then
      raise exception 'the local Vault stand-in (supabase/local/vault_compat.sql) needs the pgcrypto extension: '
        'install PostgreSQL''s contrib package';
    end if;
    create schema if not exists extensions;
    create extension pgcrypto with schema extensions;
  end if;
  select pg_catalog.quote_ident(n.nspname) into v_crypto
  from pg_catalog.pg_extension e
  join pg_catalog.pg_namespace n on n.oid = e.extnamespace
  where e.extname = 'pgcrypto';
  -- Functions a view calls are checked against the view's user: service_role reads decrypted_secrets.
  execute format('grant usage on schema %s to service_role', v_crypto);

  create schema vault;
  revoke all on schema vault from public;
  grant usage on schema vault to service_role;

  -- The one local key, random per database. Nobody but the owner holds a grant on it.
  create table vault.local_key (
    id boolean primary key default true constraint local_key_one_row check (id),
    key text not null
  );
  comment on table vault.local_key is
    'LOCAL Vault stand-in only: the random key the secrets are encrypted with. Readable by the owner alone.';
  revoke all on table vault.local_key from public, anon, authenticated, service_role;
  execute format('insert into vault.local_key (key) values (encode(%s.gen_random_bytes(32), ''hex''))', v_crypto);

  create table vault.secrets (
    id uuid primary key default gen_random_uuid(),
    name text,
    description text not null default '',
    secret text not null,
    key_id uuid,
    nonce bytea,
    created_at timestamptz not null default current_timestamp,
    updated_at timestamptz not null default current_timestamp
  );
  comment on table vault.secrets is
    'LOCAL Vault stand-in: secrets, encrypted (pgp_sym_encrypt, base64) in `secret`. Supabase has the real one.';
  create unique index secrets_name_idx on vault.secrets (name) where name is not null;

  execute format($view$
    create view vault.decrypted_secrets as
    select s.id, s.name, s.description, s.secret,
      %1$s.pgp_sym_decrypt(pg_catalog.decode(s.secret, 'base64'), (select k.key from vault.local_key k)) as decrypted_secret,
      s.key_id, s.nonce, s.created_at, s.updated_at
    from vault.secrets s
  $view$, v_crypto);
  comment on view vault.decrypted_secrets is 'LOCAL Vault stand-in: vault.secrets with each secret decrypted.';

  execute format($fn$
    create function vault.create_secret(
      new_secret text,
      new_name text default null,
      new_description text default '',
      new_key_id uuid default null
    )
    returns uuid
    language plpgsql
    security definer
    set search_path = ''
    as $body$
    declare
      v_id uuid := pg_catalog.gen_random_uuid();
    begin
      insert into vault.secrets (id, name, description, secret)
      values (
        v_id,
        new_name,
        coalesce(new_description, ''),
        pg_catalog.encode(
          %1$s.pgp_sym_encrypt(new_secret, (select k.key from vault.local_key k), 'cipher-algo=aes256'),
          'base64'
        )
      );
      return v_id;
    end
    $body$
  $fn$, v_crypto);
  comment on function vault.create_secret(text, text, text, uuid) is
    'LOCAL Vault stand-in: stores a secret encrypted and returns its id (new_key_id is ignored, as in Vault 0.3).';

  execute format($fn$
    create function vault.update_secret(
      secret_id uuid,
      new_secret text default null,
      new_name text default null,
      new_description text default null,
      new_key_id uuid default null
    )
    returns void
    language plpgsql
    security definer
    set search_path = ''
    as $body$
    begin
      update vault.secrets s
      set secret = case
            when new_secret is null then s.secret
            else pg_catalog.encode(
              %1$s.pgp_sym_encrypt(new_secret, (select k.key from vault.local_key k), 'cipher-algo=aes256'),
              'base64'
            )
          end,
          name = coalesce(new_name, s.name),
          description = coalesce(new_description, s.description),
          updated_at = now()
      where s.id = secret_id;
    end
    $body$
  $fn$, v_crypto);
  comment on function vault.update_secret(uuid, text, text, text, uuid) is
    'LOCAL Vault stand-in: replaces a secret''s value, name or description (null keeps each).';

  revoke all on table vault.secrets, vault.decrypted_secrets from public, anon, authenticated, service_role;
  grant select, delete on table vault.secrets, vault.decrypted_secrets to service_role;
  revoke all on function vault.create_secret(text, text, text, uuid) from public, anon, authenticated;
  revoke all on function vault.update_secret(uuid, text, text, text, uuid) from public, anon, authenticated;
  grant execute on function vault.create_secret(text, text, text, uuid) to service_role;
  grant execute on function vault.update_secret(uuid, text, text, text, uuid) to service_role;
end
$compat$;
