-- Chatwoot: where each conversation lives in the SDR inbox, what we posted there (so our own
-- messages echoed back are never taken for a human), the webhook events (deduped), a
-- cancelled state for reply parts a human takeover stopped, and who paused or resumed the bot.
alter table public.conversations
  add column chatwoot_contact_id bigint,
  add column chatwoot_conversation_id bigint unique,
  -- Last time a human wrote to the lead (Chatwoot or the phone): BOT_AUTO_RESUME_HOURS counts from it.
  add column human_last_active_at timestamptz,
  add column handoff_at timestamptz;

alter table public.messages
  add column chatwoot_message_id bigint;
create index messages_unmirrored_idx on public.messages (conversation_id, id) where chatwoot_message_id is null;

-- Every message we post to Chatwoot, registered before the POST: its echo can arrive first.
create table public.chatwoot_outgoing (
  id bigint generated always as identity primary key,
  conversation_id uuid not null references public.conversations (id),
  content_hash text not null,
  chatwoot_message_id bigint unique,
  created_at timestamptz not null default now()
);
create index chatwoot_outgoing_hash_idx on public.chatwoot_outgoing (conversation_id, content_hash);

create table public.chatwoot_events (
  id bigint generated always as identity primary key,
  -- X-Chatwoot-Delivery when sent, else event + object id (+ changed attributes): duplicates collapse.
  delivery_key text not null unique,
  event text not null,
  payload jsonb not null,
  outcome text,
  -- Applied at once by the webhook request, else by its queue job: one of them claims it.
  claimed_until timestamptz,
  received_at timestamptz not null default now(),
  processed_at timestamptz
);

alter table public.outbox drop constraint outbox_status_check;
alter table public.outbox add constraint outbox_status_check
  check (status in ('pending', 'sending', 'sent', 'failed', 'uncertain', 'cancelled'));

alter table public.chatwoot_outgoing enable row level security;
alter table public.chatwoot_events enable row level security;
