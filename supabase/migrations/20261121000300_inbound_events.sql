-- Every webhook event as received: the dedupe key and the audit trail.
create table public.inbound_events (
  id bigint generated always as identity primary key,
  provider text not null,
  instance_id text not null default '',
  -- Provider message id; for delivery statuses '<id>:<status>'. Null for events that have none.
  message_id text,
  event_type text not null check (event_type in ('message', 'echo', 'human_echo', 'status', 'ignored')),
  ignore_reason text,
  detail text,
  correlation_id text,
  -- The normalized event (InboundMessage or StatusUpdate) the processor works from.
  payload jsonb,
  -- Null until the event processor has applied it; ignored events are born processed.
  processed_at timestamptz,
  -- The whole webhook body; cleared after RAW_PAYLOAD_RETENTION_DAYS.
  raw jsonb,
  raw_purged_at timestamptz,
  received_at timestamptz not null default now(),
  unique (provider, instance_id, message_id)
);
create index inbound_events_pending_idx on public.inbound_events (id) where processed_at is null;
create index inbound_events_received_idx on public.inbound_events (received_at) where raw is not null;

alter table public.inbound_events enable row level security;
