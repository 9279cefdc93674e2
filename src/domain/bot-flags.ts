/**
 * Feature flags that decide whether the bot answers a conversation at all (BOT_ENABLED,
 * BOT_ENABLED_INSTANCES, BOT_ENABLED_ORIGINS). Whatever they say, every message is still
 * stored, mirrored to Chatwoot and marked handled: a flag only keeps the agent quiet.
 * Pure: no I/O.
 */

/**
 * Where a lead came from, fixed by its first message:
 * - `ad`: the first message carried a click-to-WhatsApp referral (an ad or a boosted post);
 * - `organic`: it did not (the lead found the number on its own, or we wrote first);
 * - `unknown`: the lead predates origin tracking (stored as null).
 * New origins (a QR code, a site widget) are added here and in the code that stamps them.
 */
export const LEAD_ORIGINS = ['ad', 'organic', 'unknown'] as const;
export type LeadOrigin = (typeof LEAD_ORIGINS)[number];

/** The origin of a lead whose first message is this one. */
export function leadOriginOf(firstMessage: { referral?: unknown }): LeadOrigin {
  return firstMessage.referral ? 'ad' : 'organic';
}

export type BotFlags = {
  /** BOT_ENABLED: false silences every conversation (the rollback switch). */
  enabled: boolean;
  /** BOT_ENABLED_INSTANCES: null = every instance. */
  instances: readonly string[] | null;
  /** BOT_ENABLED_ORIGINS: null = every origin. */
  origins: readonly LeadOrigin[] | null;
};

export const ALL_ENABLED: BotFlags = { enabled: true, instances: null, origins: null };

export type AnswerScope = {
  /** The instance the lead last wrote to, where a reply would go out. */
  instanceId: string;
  /** The stored origin; null for leads that predate origin tracking. */
  origin: string | null;
};

export type SilenceReason = 'bot_disabled' | 'instance_not_enabled' | 'origin_not_enabled';

export type AnswerDecision = { answer: true } | { answer: false; reason: SilenceReason };

/** Whether the origin matters: when it does not, callers skip reading it. */
export function needsOrigin(flags: BotFlags): boolean {
  return flags.enabled && flags.origins !== null;
}

export function shouldAnswer(flags: BotFlags, scope: AnswerScope): AnswerDecision {
  if (!flags.enabled) return { answer: false, reason: 'bot_disabled' };
  if (flags.instances && !flags.instances.includes(scope.instanceId)) {
    return { answer: false, reason: 'instance_not_enabled' };
  }
  const origin = scope.origin ?? 'unknown';
  if (flags.origins && !(flags.origins as readonly string[]).includes(origin)) {
    return { answer: false, reason: 'origin_not_enabled' };
  }
  return { answer: true };
}

/** One line for the start-up log; null when the bot answers everyone. Ids only, no personal data. */
export function describeRestrictions(flags: BotFlags): string | null {
  if (!flags.enabled) return 'BOT_ENABLED=false: the bot answers nobody; messages are stored and mirrored';
  const parts = [
    flags.instances ? `instances ${flags.instances.join(', ')}` : null,
    flags.origins ? `lead origins ${flags.origins.join(', ')}` : null,
  ].filter((part): part is string => part !== null);
  return parts.length > 0 ? `the bot answers only ${parts.join(' and ')}; others are stored, silent` : null;
}
