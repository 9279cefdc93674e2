import { z } from 'zod';

/**
 * Chatwoot REST answers we read (shared/contracts/chatwoot.md §6), parsed loosely: versions
 * differ (v3 → v4.x), so extra fields are allowed everywhere, absent or null values become
 * null, and only the fields the client uses are kept, in our camelCase.
 */

const idSchema = z.number().int();
const optionalTextSchema = z
  .string()
  .nullish()
  .transform((value) => value ?? null);

const contactInboxSchema = z.looseObject({
  source_id: optionalTextSchema,
  // Contact lists nest the inbox; some builds flatten it to `inbox_id`.
  inbox: z.looseObject({ id: idSchema }).nullish(),
  inbox_id: idSchema.nullish(),
});

export const contactSchema = z
  .looseObject({
    id: idSchema,
    phone_number: optionalTextSchema,
    identifier: optionalTextSchema,
    contact_inboxes: z.array(contactInboxSchema).nullish(),
  })
  .transform((contact) => ({
    id: contact.id,
    phoneNumber: contact.phone_number,
    identifier: contact.identifier,
    inboxes: (contact.contact_inboxes ?? []).map((item) => ({
      inboxId: item.inbox?.id ?? item.inbox_id ?? null,
      sourceId: item.source_id,
    })),
  }));
export type ChatwootContactRecord = z.output<typeof contactSchema>;

/** §6.6: search and filter answer `{meta, payload: [contact…]}`. */
export const contactListResponseSchema = z.looseObject({ payload: z.array(contactSchema) });

/** §6.6: `{payload: {contact, contact_inbox}}`; tolerate a bare contact as the payload. */
export const contactCreateResponseSchema = z
  .looseObject({
    payload: z.union([
      z.looseObject({ contact: contactSchema, contact_inbox: contactInboxSchema.nullish() }),
      contactSchema,
    ]),
  })
  .transform(({ payload }) =>
    'contact' in payload
      ? { contact: payload.contact, sourceId: payload.contact_inbox?.source_id ?? null }
      : { contact: payload, sourceId: null },
  );

/** `id` is the display id, the one every URL takes (§0). */
export const conversationSchema = z
  .looseObject({
    id: idSchema,
    inbox_id: idSchema.nullish(),
    status: z.string(),
    created_at: z.number().nullish(),
  })
  .transform((conversation) => ({
    id: conversation.id,
    inboxId: conversation.inbox_id ?? null,
    status: conversation.status,
    createdAt: conversation.created_at ?? null,
  }));

export const conversationListResponseSchema = z.looseObject({ payload: z.array(conversationSchema) });

/** §6.1: push format, `message_type` an integer here (a string in webhooks): both accepted. */
export const messageResponseSchema = z
  .looseObject({
    id: idSchema,
    message_type: z.union([z.number().int(), z.string()]).nullish(),
  })
  .transform((message) => ({ id: message.id }));

/** §6.7: a conversation's messages in push format; `message_type` 0 incoming, 1 outgoing. */
export const messageListResponseSchema = z
  .looseObject({
    payload: z.array(
      z.looseObject({
        id: idSchema,
        content: z.string().nullish(),
        message_type: z.union([z.number().int(), z.string()]).nullish(),
        private: z.boolean().nullish(),
      }),
    ),
  })
  .transform((body) =>
    body.payload.map((message) => ({
      id: message.id,
      content: message.content ?? null,
      type:
        message.message_type === 0 || message.message_type === 'incoming'
          ? ('incoming' as const)
          : message.message_type === 1 || message.message_type === 'outgoing'
            ? ('outgoing' as const)
            : null,
      private: message.private ?? false,
    })),
  );

/** §6.2: GET and POST labels both answer `{payload: ["label", …]}`. */
export const labelsResponseSchema = z
  .looseObject({ payload: z.array(z.string()).nullish() })
  .transform((body) => body.payload ?? []);

/** §6.8: `{error}` or `{message, attributes}`; anything else leaves the raw text to show. */
export const errorBodySchema = z
  .looseObject({ error: z.unknown().optional(), message: z.unknown().optional() })
  .transform((body) => {
    const text = [body.error, body.message].find((value) => typeof value === 'string');
    return typeof text === 'string' ? text : null;
  });
