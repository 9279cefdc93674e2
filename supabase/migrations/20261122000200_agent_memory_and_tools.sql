-- The LLM agent: the rolling memory of long conversations, and the records its tools create
-- (companies, quote requests). Which prompt wrote a turn and its token usage are on turns
-- since 20261121000600.

alter table public.conversations
  -- What the agent remembers of messages older than the last AGENT_HISTORY_MESSAGES.
  add column memory_summary text,
  -- The newest message id folded into memory_summary.
  add column memory_summary_through bigint;

create table public.companies (
  id uuid primary key default gen_random_uuid(),
  -- Digits only, check digits verified before insert.
  cnpj text not null unique check (cnpj ~ '^[0-9]{14}$'),
  name text,
  city text,
  uf text,
  lead_id uuid references public.leads (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.quotes (
  id uuid primary key default gen_random_uuid(),
  lead_id uuid not null references public.leads (id),
  conversation_id uuid references public.conversations (id),
  product text not null,
  application text,
  volume text,
  notes text,
  status text not null default 'requested' check (status in ('requested', 'in_progress', 'sent', 'cancelled')),
  created_at timestamptz not null default now()
);
-- One open request per lead and product: the model asking twice does not make two.
create unique index quotes_open_per_product_idx on public.quotes (lead_id, lower(product))
  where status in ('requested', 'in_progress');

alter table public.companies enable row level security;
alter table public.quotes enable row level security;
