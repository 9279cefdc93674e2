-- What the qualification agent learned about each lead, and where the lead stands.
alter table public.leads
  add column profile jsonb not null default '{}',
  add column temperature text check (temperature in ('quente', 'morno', 'frio')),
  add column score int,
  add column temperature_reasons jsonb not null default '[]',
  add column intent text check (intent in ('compra', 'pesquisa', 'estudante', 'revenda', 'outro')),
  -- qualifying → qualified (enough to sync to the CRM) → handed_off (hot: a human takes over);
  -- or closed_cold (politely closed once, not pursued).
  add column status text not null default 'qualifying'
    check (status in ('qualifying', 'qualified', 'handed_off', 'closed_cold')),
  add column summary jsonb,
  add column qualified_at timestamptz,
  add column closed_at timestamptz;

-- Which prompt and policy produced each turn, and what it cost.
alter table public.turns
  add column prompt_version text,
  add column usage jsonb;
