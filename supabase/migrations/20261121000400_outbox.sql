-- Replies are written here before they are sent: the idempotency key makes a retried or resumed
-- turn send each part once.
create table public.outbox (
  id uuid primary key default gen_random_uuid(),
  idempotency_key text not null unique,
  conversation_id uuid not null references public.conversations (id),
  turn_id uuid references public.turns (id),
  part int not null default 0,
  provider text not null,
  instance_id text not null,
  chat_id text not null,
  text text not null,
  -- pending → sending (in flight) → sent; failed (permanent); uncertain (crashed mid-call).
  status text not null default 'pending' check (status in ('pending', 'sending', 'sent', 'failed', 'uncertain')),
  attempts int not null default 0,
  provider_message_id text,
  last_error text,
  -- Latest delivery receipt from the provider: sent, delivered, read, played, failed.
  delivery_status text,
  delivery_error text,
  delivery_updated_at timestamptz,
  -- Set when the provider echoed this message back (Z-API, Evolution fromMe).
  echoed_at timestamptz,
  created_at timestamptz not null default now(),
  sending_at timestamptz,
  sent_at timestamptz
);
create index outbox_conversation_idx on public.outbox (conversation_id, created_at);
create index outbox_provider_message_idx on public.outbox (provider, provider_message_id);
create index outbox_open_idx on public.outbox (status) where status in ('pending', 'sending', 'uncertain');

-- Outbound pacing per WhatsApp number, shared by every instance of the service.
create table public.send_pacing (
  sender_key text primary key,
  next_slot_at timestamptz not null default now()
);

alter table public.outbox enable row level security;
alter table public.send_pacing enable row level security;
