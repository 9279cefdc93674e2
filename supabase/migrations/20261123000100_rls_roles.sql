-- Who may read what through Supabase's API (PostgREST, supabase-js) with a signed-in user's JWT.
--
-- The role comes from the JWT claim app_metadata.role, Supabase's place for server-assigned
-- data: only the service key (admin API) or SQL on auth.users can set it. user_metadata is
-- never trusted, because users can edit their own.
--   sdr   reads leads, conversations and messages;
--   admin reads every table in public;
--   any other signed-in user, and anon, read nothing. Nobody writes through the API.
-- The service connects as the tables' owner (or as service_role, which has bypassrls): RLS
-- does not apply to it, and this file leaves its privileges alone.
--
-- Safe to run again: policies are created only when missing, grants and revokes are idempotent.

-- Writes are refused by privilege, not only by the absence of a write policy: TRUNCATE ignores
-- RLS altogether, and a permissive policy added later for reads must not open writes.
-- Supabase grants anon and authenticated everything by default; plain Postgres got the same
-- defaults from 20261121000000_supabase_roles.sql. Tables created later inherit what follows.
-- Both API roles keep SELECT, as on Supabase: RLS hides the rows (no policy names anon), so the
-- API answers an empty list rather than a permission error.
revoke all on all sequences in schema public from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;
alter default privileges in schema public
  revoke insert, update, delete, truncate, references, trigger on tables from anon, authenticated;
alter default privileges in schema public grant select on tables to anon, authenticated;

-- Every table of ours gets the admin read policy, so the statement reads "admin sees all"
-- instead of a list that drifts. A table created by a later migration needs its own
-- `<table>_admin_read` policy: tests/rls-roles.test.ts fails until it has one.
-- Only tables this role owns: on Supabase, public may hold extension tables we cannot alter.
do $$
declare
  t record;
begin
  for t in
    select c.relname as name
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and pg_get_userbyid(c.relowner) = current_user
  loop
    execute format(
      'revoke insert, update, delete, truncate, references, trigger on public.%I from anon, authenticated',
      t.name
    );
    execute format('grant select on public.%I to anon, authenticated', t.name);
    if not exists (
      select 1 from pg_policies
      where schemaname = 'public' and tablename = t.name and policyname = t.name || '_admin_read'
    ) then
      -- `(select …)` evaluates the claim once per statement instead of once per row (Supabase's advice).
      execute format(
        $sql$create policy %I on public.%I for select to authenticated
             using ((select auth.jwt() -> 'app_metadata' ->> 'role') = 'admin')$sql$,
        t.name || '_admin_read',
        t.name
      );
    end if;
  end loop;
end
$$;

-- SDRs work the leads: the lead, its conversation and the messages, nothing operational.
do $$
declare
  t text;
begin
  foreach t in array array['leads', 'conversations', 'messages'] loop
    if not exists (
      select 1 from pg_policies
      where schemaname = 'public' and tablename = t and policyname = t || '_sdr_read'
    ) then
      execute format(
        $sql$create policy %I on public.%I for select to authenticated
             using ((select auth.jwt() -> 'app_metadata' ->> 'role') = 'sdr')$sql$,
        t || '_sdr_read',
        t
      );
    end if;
  end loop;
end
$$;
