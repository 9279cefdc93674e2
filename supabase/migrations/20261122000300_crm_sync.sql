-- The PipeRun sync of each qualified lead, checkpointed step by step: a retried or resumed job
-- continues from the last remote id it recorded, so no CRM record is ever created twice.
create table public.crm_sync (
  lead_id uuid primary key references public.leads (id),
  -- pending → done; failed (permanent PipeRun error, dead-lettered); not_configured (stub mode).
  status text not null default 'pending' check (status in ('pending', 'done', 'failed', 'not_configured')),
  city_id bigint,
  company_id bigint,
  -- What the company was last created or updated with: a change triggers a PUT.
  company_hash text,
  person_id bigint,
  deal_id bigint,
  note_id bigint,
  -- The lead data the last note was written from: a change adds a note with the new summary.
  note_hash text,
  -- Stub mode: what would have been sent.
  stub_payload jsonb,
  last_error text,
  attempts int not null default 0,
  synced_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- PipeRun city ids by folded "name|UF"; city_id null when PipeRun has no such city.
create table public.crm_cities (
  key text primary key,
  city_id bigint,
  name text not null,
  uf text not null,
  fetched_at timestamptz not null default now()
);

alter table public.leads add column crm_deal_id bigint;

alter table public.crm_sync enable row level security;
alter table public.crm_cities enable row level security;
