import { createAgentEventRepo } from '../db/agent-event.repo.js';
import { createLeadRepo, type LeadProfile, type LeadStatus } from '../db/lead.repo.js';
import type { Pool } from '../db/pool.js';
import {
  asksForCommercialTerms,
  checkReply,
  PRICE_DEFLECTION,
  SAFE_FALLBACK_REPLY,
} from '../domain/guardrails/policy.js';
import { extractSlots } from '../domain/lead/extractors/index.js';
import { detectIntent, strongestIntent } from '../domain/lead/intent.js';
import { type Intent, type LeadScore, scoreLead } from '../domain/lead/scoring.js';
import { isFilled, type LeadSlots, mergeSlots, missingSlots, SLOT_NAMES } from '../domain/lead/slots.js';
import { buildLeadSummary, type LeadSummary } from '../domain/lead/summary.js';
import type { Metrics } from '../observability/metrics.js';
import type { AgentInput, AgentReply, ConversationAgent, TranscriptEntry } from './agent.js';
import {
  COLD_CLOSING,
  composeOfflineReply,
  HANDOFF_MESSAGE,
  QUALIFIED_MESSAGE,
} from './offline/offline-policy.js';

/**
 * The qualification agent: reads what the lead said into the profile (deterministic extractors
 * always run, whatever writes the reply), scores the lead by rule, decides the outcome
 * (keep qualifying, qualified, hand off a hot lead, close a cold one once) and replies.
 * This version replies with the offline policy; every reply passes the guardrails in code.
 */
export const OFFLINE_POLICY_VERSION = 'offline-v1';

type Deps = { pool: Pool; metrics: Metrics };

/** Where the lead goes from here; closed and handed-off leads are not pursued. */
export function decideOutcome(input: {
  status: LeadStatus;
  intent: Intent | null;
  score: LeadScore;
  missing: number;
}): LeadStatus {
  const { status, intent, score, missing } = input;
  if (status === 'handed_off') return 'handed_off';
  const notABuyer = intent === 'estudante' || intent === 'outro';
  if (status === 'closed_cold')
    return notABuyer || score.temperature === 'frio' ? 'closed_cold' : 'qualifying';
  if (notABuyer) return 'closed_cold';
  if (score.temperature === 'quente') return 'handed_off';
  if (status === 'qualified' || missing === 0) return 'qualified';
  return 'qualifying';
}

const OUTCOME_LINES: Partial<Record<LeadStatus, string>> = {
  closed_cold: COLD_CLOSING,
  handed_off: HANDOFF_MESSAGE,
  qualified: QUALIFIED_MESSAGE,
};

/** Said already in this conversation? Read from the transcript, so a folded turn cannot skip it. */
function hasSaid(transcript: TranscriptEntry[], line: string | undefined): boolean {
  return (
    line !== undefined && transcript.some((entry) => entry.author === 'bot' && entry.text?.includes(line))
  );
}

function offlineResumo(slots: LeadSlots): string {
  const who = [slots.name, slots.company ? `da ${slots.company}` : null].filter(Boolean).join(' ') || 'Lead';
  const need = slots.product ? `busca ${slots.product}` : 'ainda não definiu o equipamento';
  const use = slots.application ? ` para ${slots.application}` : '';
  const volume = slots.volume ? `, volume de ${slots.volume}` : '';
  return `${who} ${need}${use}${volume}. Conversa conduzida pelo assistente virtual (modo offline).`;
}

export function createQualificationAgent({ pool, metrics }: Deps): ConversationAgent {
  async function recordFindings(
    profile: LeadProfile,
    next: LeadProfile,
    input: AgentInput,
    newlyFilled: string[],
  ) {
    const events = createAgentEventRepo(pool);
    const conversationId = input.conversationId;
    if (newlyFilled.length > 0) {
      await events.record({
        conversationId,
        type: 'lead_updated',
        actor: 'bot',
        data: { slots: newlyFilled },
      });
    }
    if (next.temperature !== profile.temperature) {
      await events.record({
        conversationId,
        type: 'lead_scored',
        actor: 'bot',
        data: { temperature: next.temperature, score: next.score, reasons: next.reasons },
      });
    }
    if (next.status !== profile.status) {
      await events.record({
        conversationId,
        type: `lead_${next.status}`,
        actor: 'bot',
        data: { from: profile.status },
      });
    }
  }

  async function guard(reply: string | null, input: AgentInput): Promise<string | null> {
    if (!reply) return null;
    const verdict = checkReply(reply);
    if (verdict.ok) return reply;
    for (const violation of verdict.violations) {
      metrics.guardrailHits.inc({ rule: violation.rule });
      await createAgentEventRepo(pool).record({
        conversationId: input.conversationId,
        type: 'guardrail_hit',
        actor: 'bot',
        data: { rule: violation.rule, detail: violation.detail, replaced: true },
      });
    }
    return SAFE_FALLBACK_REPLY;
  }

  async function reply(input: AgentInput): Promise<AgentReply> {
    const leads = createLeadRepo(pool);
    const profile = await leads.findProfile(input.leadId);
    if (!profile)
      return { text: null, metadata: { policy: OFFLINE_POLICY_VERSION, error: 'lead not found' } };
    const text = input.newMessages.map((m) => m.text ?? '').join('\n');
    const slots = mergeSlots(profile.slots, {
      ...extractSlots(text),
      phone: profile.slots.phone ?? profile.phone,
    });
    const newlyFilled = SLOT_NAMES.filter((slot) => !isFilled(profile.slots, slot) && isFilled(slots, slot));
    const intent = strongestIntent(profile.intent, detectIntent(text));
    const score = scoreLead(slots, { intent });
    const missing = missingSlots(slots);
    const status = decideOutcome({ status: profile.status, intent, score, missing: missing.length });
    const askedCommercialTerms = input.newMessages.some((m) => asksForCommercialTerms(m.text ?? ''));
    if (askedCommercialTerms) {
      await createAgentEventRepo(pool).record({
        conversationId: input.conversationId,
        type: 'commercial_question',
        actor: 'lead',
      });
    }

    const outcomeLine = OUTCOME_LINES[status];
    const composed = composeOfflineReply({
      slots,
      newlyFilled,
      missing: askedCommercialTerms ? missing.slice(0, 1) : missing,
      isFirstReply: !input.transcript.some((entry) => entry.author === 'bot'),
      askedCommercialTerms,
      outcome: status,
      outcomeIsNew: !hasSaid(input.transcript, outcomeLine),
      priceDeflection: PRICE_DEFLECTION,
    });
    const next: LeadProfile = { ...profile, slots, intent, status, ...score, reasons: score.reasons };
    const summary: LeadSummary | undefined =
      status === 'qualified' || status === 'handed_off'
        ? buildLeadSummary({
            slots,
            score,
            resumo: offlineResumo(slots),
            proximosPassos: ['Consultor entra em contato para entender a aplicação e apresentar a proposta.'],
          })
        : undefined;
    await leads.saveProfile(next, summary);
    await recordFindings(profile, next, input, newlyFilled);
    return {
      text: await guard(composed, input),
      metadata: {
        policy: OFFLINE_POLICY_VERSION,
        promptVersion: OFFLINE_POLICY_VERSION,
        temperature: score.temperature,
        status,
      },
    };
  }

  return { name: 'qualification', reply };
}
