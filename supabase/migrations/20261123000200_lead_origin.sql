-- Where a lead came from, fixed by its first message (BOT_ENABLED_ORIGINS reads it):
-- 'ad' when that message carried a click-to-WhatsApp referral, else 'organic'. Leads created
-- before this column stay null, read as 'unknown': their first message was never looked at.
-- origin_referral keeps the ad's ids and headline for the operator (ad metadata, no personal data).
alter table public.leads
  add column origin text,
  add column origin_referral jsonb;
