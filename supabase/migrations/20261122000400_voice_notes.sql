-- Voice notes: the transcript the agent reads, and why a note could not be read. The audio
-- itself is not kept (LGPD) unless AUDIO_RETAIN=true, and then only in audio_files.
alter table public.messages
  add column transcript text,
  add column media_status text check (media_status in ('transcribed', 'failed')),
  add column media_error text;

create table public.audio_files (
  message_id bigint primary key references public.messages (id),
  mime_type text not null,
  seconds numeric,
  bytes bytea not null,
  created_at timestamptz not null default now()
);

alter table public.audio_files enable row level security;
