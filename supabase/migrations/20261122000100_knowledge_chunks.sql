-- The agent's knowledge base: one row per `## ` section of a knowledge/*.md file, synced by the
-- service at start-up. `search` is written by the application, not generated here, because it is
-- built from accent-folded text (the `unaccent` extension is missing on the embedded PGlite) with
-- the title and heading weighted above the body. `content_hash` lets a re-sync skip what did not
-- change.
create table public.knowledge_chunks (
  id bigint generated always as identity primary key,
  source text not null,
  product text,
  title text not null,
  heading text not null,
  content text not null,
  content_hash text not null,
  search tsvector not null,
  updated_at timestamptz not null default now(),
  unique (source, heading)
);
create index knowledge_chunks_search_idx on public.knowledge_chunks using gin (search);

alter table public.knowledge_chunks enable row level security;
