import type { Queryable } from '../../src/db/pool.js';
import type { RecordedSend } from '../fakes/whatsapp-provider.js';

/**
 * The exactly-once verdict of a run, read from the database and from what the fake provider
 * actually received: every accepted message stored once and answered by one finished turn;
 * every reply part the provider got matched to one outbox row; no part sent twice; each lead's
 * replies in the order their turns were written. A part left `uncertain` (the worker died
 * during the provider call) may or may not have reached the provider: it is never resent, so
 * it may account for at most one send. Call it once the pipeline has settled.
 */
export type ReplyAudit = {
  accepted: number;
  storedLeadMessages: number;
  /** Stored although the sender never saw a 2xx (the answer was lost, every retry was a duplicate). */
  storedUnacknowledged: number;
  replyTurns: number;
  partsSent: number;
  partsUncertain: number;
  /** Uncertain parts the provider did receive (the kill hit after the provider took the call). */
  uncertainThatReachedProvider: number;
  providerSends: number;
  /** Turns whose messages arrived in an order other than the lead's timestamps (reordered deliveries). */
  turnsWithReorderedInput: number;
  problems: string[];
};

type MessageRow = {
  id: string;
  conversation_id: string;
  provider_message_id: string;
  turn_id: string | null;
  turn_status: string | null;
  sent_at: Date;
};
type OutboxRow = {
  id: string;
  conversation_id: string;
  turn_id: string | null;
  chat_id: string;
  text: string;
  status: string;
  provider_message_id: string | null;
  turn_status: string | null;
};

const MAX_PROBLEMS_PER_KIND = 10;

function createProblemLog() {
  const problems: string[] = [];
  const perKind = new Map<string, number>();
  return {
    problems,
    add(kind: string, detail: string) {
      const seen = (perKind.get(kind) ?? 0) + 1;
      perKind.set(kind, seen);
      if (seen <= MAX_PROBLEMS_PER_KIND) problems.push(`${kind}: ${detail}`);
      else if (seen === MAX_PROBLEMS_PER_KIND + 1) problems.push(`${kind}: … more`);
    },
  };
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

async function load(db: Queryable) {
  const messages = await db.query<MessageRow>(
    `select m.id::text, m.conversation_id, m.provider_message_id, m.turn_id, t.status as turn_status, m.sent_at
     from messages m left join turns t on t.id = m.turn_id
     where m.author = 'lead' order by m.id`,
  );
  const outbox = await db.query<OutboxRow>(
    `select o.id, o.conversation_id, o.turn_id, o.chat_id, o.text, o.status, o.provider_message_id,
       t.status as turn_status
     from outbox o left join turns t on t.id = o.turn_id
     order by o.conversation_id, o.created_at, o.part`,
  );
  return { messages: messages.rows, outbox: outbox.rows };
}

/** Each send the provider recorded, matched to the outbox row it delivered. */
function matchSends(outbox: OutboxRow[], sends: RecordedSend[], log: ReturnType<typeof createProblemLog>) {
  const rowOfSend = new Map<RecordedSend, OutboxRow>();
  const byProviderId = new Map(sends.map((send) => [send.providerMessageId, send]));
  const claimed = new Set<RecordedSend>();
  for (const row of outbox.filter((r) => r.status === 'sent')) {
    const send = row.provider_message_id ? byProviderId.get(row.provider_message_id) : undefined;
    if (!send) {
      log.add('sent part the provider never received', `outbox ${row.id} (${row.provider_message_id})`);
      continue;
    }
    if (claimed.has(send)) log.add('one provider send recorded on two parts', `outbox ${row.id}`);
    claimed.add(send);
    rowOfSend.set(send, row);
  }
  // What is left was sent without being recorded: only an uncertain part may explain it, once.
  const uncertain = groupBy(
    outbox.filter((r) => r.status === 'uncertain'),
    (r) => `${r.chat_id}\n${r.text}`,
  );
  let reached = 0;
  for (const send of sends.filter((s) => !claimed.has(s))) {
    const row = uncertain.get(`${send.to}\n${send.text}`)?.shift();
    if (!row) {
      log.add('send with no part to account for it (a double send)', `to ${send.to}: ${send.text}`);
      continue;
    }
    reached++;
    rowOfSend.set(send, row);
  }
  return { rowOfSend, reached };
}

function checkMessages(
  messages: MessageRow[],
  accepted: Set<string>,
  log: ReturnType<typeof createProblemLog>,
) {
  const copies = groupBy(messages, (m) => m.provider_message_id);
  for (const id of accepted) {
    const count = copies.get(id)?.length ?? 0;
    if (count !== 1) log.add('accepted message not stored exactly once', `${id} stored ${count} times`);
  }
  for (const message of messages) {
    if (!message.turn_id) log.add('message never answered', message.provider_message_id);
    else if (message.turn_status !== 'sent')
      log.add(
        'message answered by an unfinished turn',
        `${message.provider_message_id}: ${message.turn_status}`,
      );
  }
  return [...copies.keys()].filter((id) => !accepted.has(id)).length;
}

function checkOutbox(outbox: OutboxRow[], messages: MessageRow[], log: ReturnType<typeof createProblemLog>) {
  for (const row of outbox) {
    if (row.status !== 'sent' && row.status !== 'uncertain')
      log.add('part not delivered', `${row.id}: ${row.status}`);
    if (row.turn_status !== 'sent')
      log.add('part of a turn that did not reply', `${row.id}: ${row.turn_status}`);
  }
  const turnsWithParts = new Set(outbox.map((r) => r.turn_id));
  const replyTurns = new Set(messages.map((m) => m.turn_id).filter((t): t is string => t !== null));
  for (const turn of replyTurns) if (!turnsWithParts.has(turn)) log.add('turn answered with no reply', turn);
  return replyTurns.size;
}

/** Per lead: sends in outbox order, and each turn answering messages stored after the previous turn's. */
function checkOrder(
  outbox: OutboxRow[],
  messages: MessageRow[],
  rowOfSend: Map<RecordedSend, OutboxRow>,
  sends: RecordedSend[],
  log: ReturnType<typeof createProblemLog>,
) {
  const position = new Map(outbox.map((row, index) => [row, index]));
  for (const [chat, chatSends] of groupBy(sends, (s) => s.to)) {
    const order = chatSends.map((s) => position.get(rowOfSend.get(s) as OutboxRow) ?? -1);
    if (order.some((p, i) => i > 0 && p <= (order[i - 1] ?? -1))) {
      log.add('replies out of order', `to ${chat}: outbox positions ${order.join(',')}`);
    }
  }
  const idsOfTurn = groupBy(messages, (m) => m.turn_id ?? '');
  let reordered = 0;
  for (const [conversation, rows] of groupBy(outbox, (r) => r.conversation_id)) {
    const turns = [...new Set(rows.map((r) => r.turn_id ?? ''))];
    let previousMax = -1;
    for (const turn of turns) {
      const own = idsOfTurn.get(turn) ?? [];
      const ids = own.map((m) => Number(m.id));
      if (ids.length > 0 && Math.min(...ids) < previousMax) {
        log.add('a turn answered a message older than the previous turn', `conversation ${conversation}`);
      }
      previousMax = Math.max(previousMax, ...ids);
      if (own.some((m, i) => i > 0 && m.sent_at < (own[i - 1] as MessageRow).sent_at)) reordered++;
    }
  }
  return reordered;
}

export async function auditReplies(
  db: Queryable,
  { accepted, sends }: { accepted: Set<string>; sends: RecordedSend[] },
): Promise<ReplyAudit> {
  const log = createProblemLog();
  const { messages, outbox } = await load(db);
  const storedUnacknowledged = checkMessages(messages, accepted, log);
  const replyTurns = checkOutbox(outbox, messages, log);
  const { rowOfSend, reached } = matchSends(outbox, sends, log);
  const turnsWithReorderedInput = checkOrder(outbox, messages, rowOfSend, sends, log);
  return {
    accepted: accepted.size,
    storedLeadMessages: messages.length,
    storedUnacknowledged,
    replyTurns,
    partsSent: outbox.filter((r) => r.status === 'sent').length,
    partsUncertain: outbox.filter((r) => r.status === 'uncertain').length,
    uncertainThatReachedProvider: reached,
    providerSends: sends.length,
    turnsWithReorderedInput,
    problems: log.problems,
  };
}
