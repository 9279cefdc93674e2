import { setTimeout as sleep } from 'node:timers/promises';
import pRetry from 'p-retry';
import { Agent } from 'undici';
import type { z } from 'zod';
import { normalizePhone, phoneKey } from '../../domain/phone.js';
import { isUpstreamError, UpstreamError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { parseJsonBody, type ResponseHeaders, upstreamErrorFromResponse } from '../http-errors.js';
import { exchangeJson, isWorthRetrying } from '../json-exchange.js';
import { createOutageBreaker } from '../outage-breaker.js';
import {
  type ChatwootContactRecord,
  contactCreateResponseSchema,
  contactListResponseSchema,
  conversationListResponseSchema,
  conversationSchema,
  errorBodySchema,
  labelsResponseSchema,
  messageListResponseSchema,
  messageResponseSchema,
} from './schemas.js';
import type { ChatwootClient, ChatwootContact } from './types.js';

/**
 * Chatwoot Application API v1 (shared/contracts/chatwoot.md §6) for one account and one
 * API-channel inbox. Resilience as in PipeRun's transport: a timeout per call, quick retries of
 * outages only, never a blind repeat of a create that may have gone through (the caller looks it
 * up: contacts do so here), and a breaker that counts outages, not refusals. PipeRun's transport
 * is tied to its token header, throttle and error body, so this one is its compact sibling.
 * Logs carry operation, method and path only: never the token, a phone number or message text.
 */

const SYSTEM = 'chatwoot';
const RETRY_DELAY_MS = 100;
/** A longer Retry-After (rack-attack, §0) is left to the job queue. */
const MAX_RETRY_AFTER_MS = 5_000;
/** Statuses of a `/contacts/filter` this build does not offer or rejects: fall back to search. */
const FILTER_UNSUPPORTED_STATUSES = new Set([400, 404, 422]);

export type ChatwootClientSettings = {
  baseUrl: string;
  apiToken: string;
  accountId: number;
  inboxId: number;
  timeoutMs: number;
  retries?: number;
  breakerResetMs?: number;
};

/** Shaped like a prom-client Counter. */
export type ChatwootMetrics = {
  calls: { inc(labels: { operation: string; outcome: 'ok' | 'error' | 'circuit_open' }): void };
};

type Call = {
  operation: string;
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** A POST that sets state (labels, status, assignee) or only reads: safe to repeat. */
  isIdempotent?: boolean;
};

function errorFromResponse(status: number, headers: ResponseHeaders, text: string): UpstreamError {
  const parsed = errorBodySchema.safeParse(parseJsonBody(text));
  const message = (parsed.success ? parsed.data : null) ?? text;
  if (status === 401 || status === 403) {
    // §0: an Agent Bot token is refused on contacts with "…not authorized for bots".
    const hint = /bots/i.test(message)
      ? 'CHATWOOT_API_TOKEN is an Agent Bot token; contacts need a user access token'
      : 'token rejected, check CHATWOOT_API_TOKEN (and that its user is in CHATWOOT_ACCOUNT_ID)';
    return upstreamErrorFromResponse(SYSTEM, status, headers, `${message}: ${hint}`, { retryable: false });
  }
  return upstreamErrorFromResponse(SYSTEM, status, headers, message);
}

function createTransport(settings: ChatwootClientSettings, log: Logger, metrics?: ChatwootMetrics) {
  const { apiToken, timeoutMs, retries = 2 } = settings;
  const root = `${settings.baseUrl.replace(/\/+$/, '')}/api/v1/accounts/${settings.accountId}`;
  const agent = new Agent();

  async function attempt(call: Call): Promise<unknown> {
    const search = new URLSearchParams(call.query).toString();
    const result = await exchangeJson(SYSTEM, agent, {
      url: `${root}${call.path}${search ? `?${search}` : ''}`,
      method: call.method,
      headers: { api_access_token: apiToken },
      body: call.body,
      timeoutMs,
    });
    if (result.status < 200 || result.status > 299) {
      throw errorFromResponse(result.status, result.headers, result.text);
    }
    return parseJsonBody(result.text) ?? null;
  }

  function worthRetrying(call: Call, error: unknown): error is UpstreamError {
    return isWorthRetrying(error, {
      isIdempotent: call.method === 'GET' || call.isIdempotent === true,
      maxRetryAfterMs: MAX_RETRY_AFTER_MS,
    });
  }

  const attemptWithRetries = (call: Call) =>
    pRetry(() => attempt(call), {
      retries,
      minTimeout: RETRY_DELAY_MS,
      maxTimeout: MAX_RETRY_AFTER_MS,
      randomize: true,
      shouldRetry: ({ error }) => worthRetrying(call, error),
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft === 0 || !worthRetrying(call, error)) return;
        const { operation, method, path } = call;
        log.warn(
          { system: SYSTEM, operation, method, path, attemptNumber, err: error },
          'Chatwoot call retried',
        );
        if (error.retryAfterMs) await sleep(error.retryAfterMs);
      },
    });

  const breaker = createOutageBreaker(attemptWithRetries, {
    system: SYSTEM,
    label: 'Chatwoot',
    paused: 'mirroring',
    resetMs: settings.breakerResetMs,
    log,
    metrics,
  });
  const send = breaker.fire;

  function parse<S extends z.ZodType>(schema: S, json: unknown, call: Call): z.output<S> {
    const parsed = schema.safeParse(json);
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`);
    // A create that answered 2xx did its work, even if we cannot read the answer.
    throw new UpstreamError(
      SYSTEM,
      `unexpected answer to ${call.method} ${call.path} (${problems.join('; ')})`,
      {
        retryable: false,
        mayHaveSucceeded: call.method === 'POST' && !call.isIdempotent,
        details: parsed.error.issues,
      },
    );
  }

  return {
    send,
    call: async <S extends z.ZodType>(call: Call, schema: S) => parse(schema, await send(call), call),
    isCircuitOpen: breaker.isOpen,
    async close() {
      breaker.shutdown();
      await agent.close();
    },
  };
}

/** The number as given, its canonical key, and the other side of the Brazilian 9th digit. */
function phoneVariants(phone: string) {
  const digits = normalizePhone(phone) ?? phone.replace(/\D/g, '');
  if (digits === '') throw new Error('Chatwoot contact lookup needs a phone number');
  const key = phoneKey(digits);
  const withoutNine = /^(55\d{2})9(\d{8})$/.exec(key);
  const short = withoutNine ? `${withoutNine[1]}${withoutNine[2]}` : key;
  const variants = [...new Set([digits, key, ...(phoneKey(short) === key ? [short] : [])])];
  return { digits, key, variants };
}

export function createChatwootClient(
  settings: ChatwootClientSettings,
  log: Logger,
  metrics?: ChatwootMetrics,
): ChatwootClient {
  const { inboxId } = settings;
  const { call, send, isCircuitOpen, close } = createTransport(settings, log, metrics);
  const post = (operation: string, path: string, body: unknown, isIdempotent = false): Call => ({
    operation,
    method: 'POST',
    path,
    body,
    isIdempotent,
  });
  const get = (operation: string, path: string, query?: Record<string, string>): Call => ({
    operation,
    method: 'GET',
    path,
    query,
  });

  const toContact = (record: ChatwootContactRecord, sourceId: string | null = null): ChatwootContact => ({
    id: record.id,
    sourceId: sourceId ?? record.inboxes.find((item) => item.inboxId === inboxId)?.sourceId ?? null,
  });

  /** Same person by phone key; the number exactly as given wins over its 9th-digit twin. */
  function pickContact(records: ChatwootContactRecord[], wanted: ReturnType<typeof phoneVariants>) {
    const digitsOf = (record: ChatwootContactRecord) =>
      [record.phoneNumber, record.identifier].map((value) => (value ? normalizePhone(value) : null));
    const same = records.filter((record) => digitsOf(record).some((d) => d && phoneKey(d) === wanted.key));
    const exact = same.find((record) => digitsOf(record).includes(wanted.digits));
    return exact ?? same[0] ?? null;
  }

  async function filterByPhone(wanted: ReturnType<typeof phoneVariants>) {
    // §5: Evolution's filter, one OR-ed condition per variant.
    const payload = wanted.variants.map((digits, index, all) => ({
      attribute_key: 'phone_number',
      filter_operator: 'equal_to',
      values: [`+${digits}`],
      query_operator: index < all.length - 1 ? 'OR' : null,
    }));
    try {
      const filter = post('findContact', '/contacts/filter', { payload }, true);
      return (await call(filter, contactListResponseSchema)).payload;
    } catch (error) {
      const status = isUpstreamError(error) ? error.upstreamStatus : undefined;
      if (status !== undefined && FILTER_UNSUPPORTED_STATUSES.has(status)) return [];
      throw error;
    }
  }

  async function findContact(phone: string): Promise<ChatwootContact | null> {
    const wanted = phoneVariants(phone);
    const filtered = pickContact(await filterByPhone(wanted), wanted);
    if (filtered) return toContact(filtered);
    // §6.6: whether the filter wants the `+` is unconfirmed, so a miss is checked by search, a
    // substring match: the last 8 digits find both 9th-digit variants in one call.
    const q = wanted.variants.length > 1 ? wanted.key.slice(-8) : wanted.digits;
    const { payload } = await call(
      get('searchContact', '/contacts/search', { q }),
      contactListResponseSchema,
    );
    const found = pickContact(payload, wanted);
    return found ? toContact(found) : null;
  }

  return {
    findContact,
    async createContact({ phone, name, identifier }) {
      const { digits } = phoneVariants(phone);
      const body = {
        inbox_id: inboxId,
        name: name?.trim() || `+${digits}`,
        phone_number: `+${digits}`,
        ...(identifier ? { identifier } : {}),
      };
      try {
        const created = await call(post('createContact', '/contacts', body), contactCreateResponseSchema);
        return toContact(created.contact, created.sourceId);
      } catch (error) {
        // §6.6: 422 on a duplicate (made meanwhile, or by Evolution), or a lost answer that may
        // have created it: the lookup settles it, and a miss keeps the original error.
        if (!isUpstreamError(error) || !(error.upstreamStatus === 422 || error.mayHaveSucceeded)) throw error;
        const found = await findContact(phone).catch(() => null);
        if (!found) throw error;
        log.info({ system: SYSTEM, contactId: found.id }, 'Chatwoot contact already existed: reused');
        return found;
      }
    },
    async findOpenConversation(contactId) {
      const list = get('findOpenConversation', `/contacts/${contactId}/conversations`);
      const { payload } = await call(list, conversationListResponseSchema);
      const open = payload
        .filter((conversation) => conversation.inboxId === inboxId && conversation.status !== 'resolved')
        .sort((a, b) => b.id - a.id)[0];
      return open ? { id: open.id, status: open.status } : null;
    },
    async createConversation({ contactId, sourceId, status = 'open' }) {
      const body = {
        inbox_id: inboxId,
        contact_id: contactId,
        status,
        ...(sourceId ? { source_id: sourceId } : {}),
      };
      const created = await call(post('createConversation', '/conversations', body), conversationSchema);
      return { id: created.id, status: created.status };
    },
    async createMessage(conversationId, { content, type, private: isPrivate = false, echoId }) {
      const body = {
        content,
        message_type: type,
        private: isPrivate,
        ...(echoId ? { echo_id: echoId } : {}),
      };
      const path = `/conversations/${conversationId}/messages`;
      return call(post('createMessage', path, body), messageResponseSchema);
    },
    async listMessages(conversationId) {
      const list = get('listMessages', `/conversations/${conversationId}/messages`);
      return call(list, messageListResponseSchema);
    },
    async addLabels(conversationId, labels) {
      const path = `/conversations/${conversationId}/labels`;
      const current = await call(get('getLabels', path), labelsResponseSchema);
      const merged = [...new Set([...current, ...labels])];
      // §6.2: the POST replaces the list. Two writers at once can still lose one's label.
      if (merged.length === current.length) return;
      await call(post('addLabels', path, { labels: merged }, true), labelsResponseSchema);
    },
    async setStatus(conversationId, status) {
      const path = `/conversations/${conversationId}/toggle_status`;
      await send(post('setStatus', path, { status }, true));
    },
    async assign(conversationId, { assigneeId, teamId }) {
      if (assigneeId === undefined && teamId === undefined)
        throw new Error('assign needs an assignee or a team');
      const path = `/conversations/${conversationId}/assignments`;
      // §6.4: team_id is ignored beside assignee_id, so the team goes first, on its own.
      if (teamId !== undefined) await send(post('assignTeam', path, { team_id: teamId }, true));
      if (assigneeId !== undefined) await send(post('assign', path, { assignee_id: assigneeId }, true));
    },
    isCircuitOpen,
    close,
  };
}
