/**
 * What the service needs from Chatwoot (../shared/contracts/chatwoot.md): mirror a WhatsApp
 * conversation into an API-channel inbox, and hand a hot lead to a human. Our camelCase terms;
 * the client maps them to Chatwoot's REST API and tolerates its version differences.
 */
export type ChatwootContact = { id: number; sourceId: string | null };
export type ChatwootConversationRef = { id: number; status: string };
export type ChatwootMessageRef = { id: number };
export type ChatwootMessage = {
  id: number;
  content: string | null;
  type: 'incoming' | 'outgoing' | null;
  private: boolean;
};

export type ChatwootClient = {
  /** By phone (E.164 digits, 9th-digit variants tried); null when Chatwoot has none. */
  findContact(phone: string): Promise<ChatwootContact | null>;
  createContact(input: { phone: string; name: string | null; identifier?: string }): Promise<ChatwootContact>;
  /** The contact's open (not resolved) conversation in our inbox, or null. */
  findOpenConversation(contactId: number): Promise<ChatwootConversationRef | null>;
  createConversation(input: {
    contactId: number;
    sourceId: string | null;
    status?: 'open' | 'pending';
  }): Promise<ChatwootConversationRef>;
  /** `incoming` mirrors the lead; `outgoing` is the bot; `private` is an internal note. */
  createMessage(
    conversationId: number,
    input: { content: string; type: 'incoming' | 'outgoing'; private?: boolean; echoId?: string },
  ): Promise<ChatwootMessageRef>;
  /** The conversation's latest messages (activity and template messages have no type). */
  listMessages(conversationId: number): Promise<ChatwootMessage[]>;
  /** Merged with the labels already there (Chatwoot's POST replaces the list). */
  addLabels(conversationId: number, labels: string[]): Promise<void>;
  setStatus(conversationId: number, status: 'open' | 'pending' | 'resolved'): Promise<void>;
  assign(conversationId: number, target: { assigneeId?: number; teamId?: number }): Promise<void>;
  isCircuitOpen(): boolean;
  close(): Promise<void>;
};
