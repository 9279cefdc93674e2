-- The admin API's reads: conversations and leads newest first with a keyset cursor, a
-- conversation's timeline including its lead's CRM events (recorded without a conversation),
-- and requeueing every open dead letter of one queue.
create index conversations_updated_idx on public.conversations (updated_at desc, id desc);
create index leads_updated_idx on public.leads (updated_at desc, id desc);
create index agent_events_lead_idx on public.agent_events ((data ->> 'leadId'), created_at)
  where conversation_id is null;
create index dead_letters_open_queue_idx on public.dead_letters (queue, failed_at) where requeued_at is null;
