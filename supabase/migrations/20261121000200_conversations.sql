-- Leads, their WhatsApp conversations and the messages exchanged.

create table public.leads (
  id uuid primary key default gen_random_uuid(),
  -- E.164 digits without '+', when known; a lead reached only through an @lid alias has none.
  phone text,
  name text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.conversations (
  id uuid primary key default gen_random_uuid(),
  lead_id uuid not null unique references public.leads (id),
  provider text not null,
  instance_id text not null,
  -- Where replies go, exactly as the provider last gave it (digits, JID or @lid).
  chat_id text not null,
  -- Messages arriving before this instant are answered together in one turn.
  buffer_deadline timestamptz,
  last_inbound_at timestamptz,
  -- One worker at a time per conversation, across instances: a lease that expires if it crashes.
  turn_lease_owner text,
  turn_lease_until timestamptz,
  -- Turns whose reply was dropped in favour of a fresh turn with newer messages, in a row.
  consecutive_folds int not null default 0,
  -- A human answered (Chatwoot, or the phone app): the bot stays silent while paused.
  paused_at timestamptz,
  paused_by text,
  paused_reason text,
  human_takeover_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Every identity under which a lead writes: 'phone:<key>' (ninth digit normalised) and 'lid:<id>'.
create table public.contact_aliases (
  alias text primary key,
  conversation_id uuid not null references public.conversations (id),
  created_at timestamptz not null default now()
);
create index contact_aliases_conversation_idx on public.contact_aliases (conversation_id);

create table public.turns (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references public.conversations (id),
  -- generating → ready (reply and outbox written) → sent; or superseded / silenced / abandoned.
  status text not null check (status in ('generating', 'ready', 'sent', 'superseded', 'silenced', 'abandoned', 'failed')),
  input_message_ids bigint[] not null,
  reply text,
  agent jsonb,
  correlation_id text,
  created_at timestamptz not null default now(),
  finished_at timestamptz
);
create index turns_conversation_idx on public.turns (conversation_id, created_at desc);

create table public.messages (
  id bigint generated always as identity primary key,
  conversation_id uuid not null references public.conversations (id),
  direction text not null check (direction in ('inbound', 'outbound')),
  -- lead: the lead wrote it; bot: this service sent it; human: an SDR or the phone app.
  author text not null check (author in ('lead', 'bot', 'human')),
  provider text not null,
  provider_message_id text,
  kind text not null,
  text text,
  media jsonb,
  quoted_id text,
  -- The turn that answered (inbound) or produced (outbound) this message.
  turn_id uuid references public.turns (id),
  sent_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index messages_conversation_idx on public.messages (conversation_id, id);
create index messages_unanswered_idx on public.messages (conversation_id, id)
  where direction = 'inbound' and author = 'lead' and turn_id is null;

alter table public.leads enable row level security;
alter table public.conversations enable row level security;
alter table public.contact_aliases enable row level security;
alter table public.turns enable row level security;
alter table public.messages enable row level security;
