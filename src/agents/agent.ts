/**
 * What a conversation turn asks of an agent. The qualification agent implements this; the
 * turn only stores, checks and sends what it returns.
 */
export type TranscriptEntry = {
  author: 'lead' | 'bot' | 'human';
  kind: string;
  text: string | null;
  at: Date;
};

export type AgentInput = {
  conversationId: string;
  leadId: string;
  /** Recent messages of the conversation, oldest first, including the new ones. */
  transcript: TranscriptEntry[];
  /** The lead's messages this turn answers, oldest first. */
  newMessages: TranscriptEntry[];
  correlationId: string;
};

export type AgentReply = {
  /** What the lead receives; null or empty means "say nothing this turn". */
  text: string | null;
  /** The system prompt (or offline policy) version that wrote it; stored on the turn. */
  promptVersion?: string;
  /** LLM tokens spent on the turn, all calls summed; stored on the turn. */
  usage?: { promptTokens: number; completionTokens: number; totalTokens: number; calls: number };
  /** The lead is qualified (or handed off) and its data changed this turn: sync it to the CRM. */
  syncLead?: boolean;
  /** Stored with the turn: prompt version, model, token usage, tool calls… */
  metadata?: Record<string, unknown>;
};

export type ConversationAgent = {
  name: string;
  reply(input: AgentInput): Promise<AgentReply>;
};
