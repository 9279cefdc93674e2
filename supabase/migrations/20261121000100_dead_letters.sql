-- Jobs that exhausted their retries, kept for the operator to inspect and requeue.
create table public.dead_letters (
  id bigint generated always as identity primary key,
  source_job_id uuid not null unique,
  queue text not null,
  payload jsonb not null,
  error text not null,
  correlation_id text,
  failed_at timestamptz not null default now(),
  requeued_at timestamptz,
  requeued_job_id uuid
);

create index dead_letters_open_idx on public.dead_letters (failed_at desc) where requeued_at is null;

alter table public.dead_letters enable row level security;

-- Operators signed in through Supabase with the admin role claim may read them; nobody else.
create policy dead_letters_admin_read on public.dead_letters
  for select to authenticated
  using (coalesce(auth.jwt() -> 'app_metadata' ->> 'role', '') = 'admin');
