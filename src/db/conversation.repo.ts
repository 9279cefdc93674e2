import type { LeadOrigin } from '../domain/bot-flags.js';
import type { AdReferral } from '../integrations/whatsapp/types.js';
import type { Queryable } from './pool.js';

export type Conversation = {
  id: string;
  leadId: string;
  provider: string;
  instanceId: string;
  chatId: string;
  bufferDeadline: Date | null;
  consecutiveFolds: number;
  pausedAt: Date | null;
  pausedReason: string | null;
  humanTakeoverAt: Date | null;
};

type ConversationRow = {
  id: string;
  lead_id: string;
  provider: string;
  instance_id: string;
  chat_id: string;
  buffer_deadline: Date | null;
  consecutive_folds: number;
  paused_at: Date | null;
  paused_reason: string | null;
  human_takeover_at: Date | null;
};

function toConversation(row: ConversationRow): Conversation {
  return {
    id: row.id,
    leadId: row.lead_id,
    provider: row.provider,
    instanceId: row.instance_id,
    chatId: row.chat_id,
    bufferDeadline: row.buffer_deadline,
    consecutiveFolds: row.consecutive_folds,
    pausedAt: row.paused_at,
    pausedReason: row.paused_reason,
    humanTakeoverAt: row.human_takeover_at,
  };
}

export type ContactIdentity = {
  provider: string;
  instanceId: string;
  chatId: string;
  phone: string | null;
  /** 'phone:<key>' and/or 'lid:<id>', strongest first. */
  aliases: string[];
  name: string | null;
  /** Stamped on the lead when this identity creates it (its first message); never changed after. */
  origin?: LeadOrigin;
  /** The ad behind an 'ad' origin, kept for the operator. */
  referral?: AdReferral;
};

export function createConversationRepo(db: Queryable) {
  async function findByAliases(aliases: string[]): Promise<string | undefined> {
    const result = await db.query<{ conversation_id: string }>(
      `select conversation_id from contact_aliases where alias = any($1::text[])
       order by array_position($1::text[], alias) limit 1`,
      [aliases],
    );
    return result.rows[0]?.conversation_id;
  }

  /** A new lead and its conversation, in one statement. */
  async function create(identity: ContactIdentity): Promise<string> {
    const result = await db.query<{ id: string }>(
      `with lead as (insert into leads (phone, name, origin, origin_referral) values ($1, $2, $6, $7) returning id)
       insert into conversations (lead_id, provider, instance_id, chat_id)
       select id, $3, $4, $5 from lead returning id`,
      [
        identity.phone,
        identity.name,
        identity.provider,
        identity.instanceId,
        identity.chatId,
        identity.origin ?? null,
        identity.referral ? JSON.stringify(identity.referral) : null,
      ],
    );
    return result.rows[0]?.id as string;
  }

  async function addAliases(aliases: string[], id: string): Promise<void> {
    await db.query(
      `insert into contact_aliases (alias, conversation_id)
       select unnest($1::text[]), $2 on conflict (alias) do nothing`,
      [aliases, id],
    );
  }

  /** Known contact: learn any new alias, reply where they last wrote from, fill phone and name once. */
  async function refresh(id: string, identity: ContactIdentity): Promise<void> {
    await db.query(
      `with aliases as (
         insert into contact_aliases (alias, conversation_id)
         select unnest($2::text[]), $1 on conflict (alias) do nothing
       ), conversation as (
         update conversations set provider = $3, instance_id = $4, chat_id = $5, updated_at = now()
         where id = $1 returning lead_id
       )
       update leads set phone = coalesce(phone, $6), name = coalesce(name, $7), updated_at = now()
       where id = (select lead_id from conversation)`,
      [
        id,
        identity.aliases,
        identity.provider,
        identity.instanceId,
        identity.chatId,
        identity.phone,
        identity.name,
      ],
    );
  }

  /**
   * The conversation of this contact, created on first contact. Safe under concurrent
   * deliveries: aliases are unique, so racing creators converge on the first alias's owner.
   * Call inside a transaction. Two statements for a known contact, three or four for a new one.
   */
  async function resolve(identity: ContactIdentity): Promise<{ id: string; created: boolean }> {
    const known = await findByAliases(identity.aliases);
    if (known) {
      await refresh(known, identity);
      return { id: known, created: false };
    }
    const candidate = await create(identity);
    const claimed = await db.query(
      'insert into contact_aliases (alias, conversation_id) values ($1, $2) on conflict (alias) do nothing',
      [identity.aliases[0], candidate],
    );
    if (claimed.rowCount === 1) {
      if (identity.aliases.length > 1) await addAliases(identity.aliases.slice(1), candidate);
      return { id: candidate, created: true };
    }
    // Another delivery created this contact first: drop ours, use theirs.
    await db.query(
      'with gone as (delete from conversations where id = $1 returning lead_id) delete from leads where id in (select lead_id from gone)',
      [candidate],
    );
    const winner = (await findByAliases(identity.aliases)) as string;
    await refresh(winner, identity);
    return { id: winner, created: false };
  }

  /** Row-locks the conversation for the rest of the transaction: serialises ingest and turns. */
  async function lock(id: string): Promise<Conversation | undefined> {
    const result = await db.query<ConversationRow>('select * from conversations where id = $1 for update', [
      id,
    ]);
    return result.rows[0] ? toConversation(result.rows[0]) : undefined;
  }

  async function find(id: string): Promise<Conversation | undefined> {
    const result = await db.query<ConversationRow>('select * from conversations where id = $1', [id]);
    return result.rows[0] ? toConversation(result.rows[0]) : undefined;
  }

  /** Pushes the burst window to `deadline` (never earlier) and records the inbound time. */
  async function extendBuffer(id: string, deadline: Date): Promise<Date> {
    const result = await db.query<{ buffer_deadline: Date }>(
      `update conversations set buffer_deadline = greatest(coalesce(buffer_deadline, $2), $2),
         last_inbound_at = now(), updated_at = now()
       where id = $1 returning buffer_deadline`,
      [id, deadline],
    );
    return result.rows[0]?.buffer_deadline ?? deadline;
  }

  /** Takes the conversation's turn lease; not acquired while another live worker holds it. */
  async function acquireLease(
    id: string,
    owner: string,
    seconds: number,
  ): Promise<{ exists: boolean; acquired: boolean }> {
    const result = await db.query<{ turn_lease_owner: string }>(
      `update conversations set turn_lease_owner = case
           when turn_lease_until is null or turn_lease_until < now() or turn_lease_owner = $2 then $2
           else turn_lease_owner end,
         turn_lease_until = case
           when turn_lease_until is null or turn_lease_until < now() or turn_lease_owner = $2
             then now() + make_interval(secs => $3)
           else turn_lease_until end
       where id = $1 returning turn_lease_owner`,
      [id, owner, seconds],
    );
    const row = result.rows[0];
    return { exists: row !== undefined, acquired: row?.turn_lease_owner === owner };
  }

  async function releaseLease(id: string, owner: string): Promise<void> {
    await db.query(
      'update conversations set turn_lease_owner = null, turn_lease_until = null where id = $1 and turn_lease_owner = $2',
      [id, owner],
    );
  }

  async function setFolds(id: string, folds: number): Promise<void> {
    await db.query('update conversations set consecutive_folds = $2 where id = $1', [id, folds]);
  }

  async function markHumanTakeover(id: string, by: string, reason: string): Promise<void> {
    await db.query(
      `update conversations set human_takeover_at = now(), human_last_active_at = now(), paused_at = coalesce(paused_at, now()),
         paused_by = coalesce(paused_by, $2), paused_reason = coalesce(paused_reason, $3), updated_at = now()
       where id = $1`,
      [id, by, reason],
    );
  }

  /** Pauses the bot; false when it was paused already (the first pause keeps its who and why). */
  async function pause(id: string, by: string, reason: string): Promise<boolean> {
    const result = await db.query(
      `update conversations set paused_at = now(), paused_by = $2, paused_reason = $3,
         human_last_active_at = case when $2 like 'human:%' then now() else human_last_active_at end,
         updated_at = now()
       where id = $1 and paused_at is null`,
      [id, by, reason],
    );
    return result.rowCount === 1;
  }

  /** Gives the conversation back to the bot; false when it was not paused. */
  async function resume(id: string): Promise<boolean> {
    const result = await db.query(
      `update conversations set paused_at = null, paused_by = null, paused_reason = null, updated_at = now()
       where id = $1 and paused_at is not null`,
      [id],
    );
    return result.rowCount === 1;
  }

  async function touchHumanActivity(id: string): Promise<void> {
    await db.query('update conversations set human_last_active_at = now() where id = $1', [id]);
  }

  /** Paused by a human who has been silent for `hours`: candidates for BOT_AUTO_RESUME_HOURS. */
  async function quietSince(hours: number): Promise<string[]> {
    const result = await db.query<{ id: string }>(
      `select id from conversations
       where paused_at is not null and paused_by like 'human:%'
         and coalesce(human_last_active_at, paused_at) < now() - make_interval(hours => $1)`,
      [hours],
    );
    return result.rows.map((row) => row.id);
  }

  async function findByChatwootId(chatwootConversationId: number): Promise<string | undefined> {
    const result = await db.query<{ id: string }>(
      'select id from conversations where chatwoot_conversation_id = $1',
      [chatwootConversationId],
    );
    return result.rows[0]?.id;
  }

  async function linkChatwoot(id: string, link: { contactId: number | null; conversationId: number }) {
    await db.query(
      `update conversations set chatwoot_contact_id = coalesce($2, chatwoot_contact_id),
         chatwoot_conversation_id = $3, updated_at = now()
       where id = $1`,
      [id, link.contactId, link.conversationId],
    );
  }

  return {
    resolve,
    lock,
    find,
    extendBuffer,
    acquireLease,
    releaseLease,
    setFolds,
    markHumanTakeover,
    pause,
    resume,
    touchHumanActivity,
    quietSince,
    findByChatwootId,
    linkChatwoot,
  };
}

export type ConversationRepo = ReturnType<typeof createConversationRepo>;
