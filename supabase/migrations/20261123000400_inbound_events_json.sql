-- The webhook's one insert is the hot path. Both bodies are written once and read whole, never
-- queried inside: json only checks their syntax on the way in, where jsonb re-encodes them
-- (measured at about a sixth of the insert's cost). json also keeps the raw body exactly as
-- the provider sent it, which is what an audit copy is for.
alter table public.inbound_events
  alter column payload type json using payload::json,
  alter column raw type json using raw::json;
