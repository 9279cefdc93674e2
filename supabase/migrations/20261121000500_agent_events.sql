-- What the agent and the humans around it did: guardrail hits, tool calls, pauses, handoffs,
-- human takeovers, uncertain sends. The operator's timeline of a conversation.
create table public.agent_events (
  id bigint generated always as identity primary key,
  conversation_id uuid references public.conversations (id),
  turn_id uuid references public.turns (id),
  type text not null,
  actor text not null,
  data jsonb not null default '{}',
  created_at timestamptz not null default now()
);
create index agent_events_conversation_idx on public.agent_events (conversation_id, created_at);
create index agent_events_type_idx on public.agent_events (type, created_at);

alter table public.agent_events enable row level security;
