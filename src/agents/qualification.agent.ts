import { createAgentEventRepo } from '../db/agent-event.repo.js';
import { createLeadRepo, type LeadProfile } from '../db/lead.repo.js';
import type { Pool } from '../db/pool.js';
import { asksForCommercialTerms, checkReply, PRICE_DEFLECTION } from '../domain/guardrails/policy.js';
import type { ProductCatalogue } from '../domain/lead/extractors/needs.js';
import { fold } from '../domain/lead/extractors/text.js';
import type { LeadSlots } from '../domain/lead/slots.js';
import { buildLeadSummary, type LeadSummary } from '../domain/lead/summary.js';
import { isUpstreamError } from '../errors.js';
import type { LlmClient } from '../integrations/openai/chat-client.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { AgentInput, AgentReply, ConversationAgent, TranscriptEntry } from './agent.js';
import { type GuardContext, guardReply } from './guard.js';
import { createLeadState, type LeadDecision } from './lead-state.js';
import { rewriteReply, type ToolCallRecord, type WriterRun, writeReply } from './llm/llm-writer.js';
import { loadMemory } from './llm/memory.js';
import { buildMessages, type SystemPrompt } from './llm/prompt.js';
import { emptyUsage } from './llm/usage.js';
import {
  COLD_CLOSING,
  composeOfflineReply,
  HANDOFF_MESSAGE,
  QUALIFIED_MESSAGE,
} from './offline/offline-policy.js';
import { AGENT_TOOLS } from './tools/index.js';
import type { ToolMode } from './tools/tool.js';

/**
 * The qualification agent. Every turn: the deterministic extractors read the lead's messages;
 * the model (when configured and reachable) reads the conversation, calls tools and writes the
 * reply; the rules score the lead and decide the outcome (keep qualifying, qualified, hand off
 * a hot lead, close a cold one once); the guardrails check the reply, which is rewritten once
 * and otherwise replaced. Without the model the offline policy writes the reply, so the lead
 * is always answered.
 */
export const OFFLINE_POLICY_VERSION = 'offline-v1';

type Deps = {
  pool: Pool;
  metrics: Metrics;
  log: Logger;
  llm?: LlmClient;
  prompt?: SystemPrompt;
  toolsMode?: ToolMode;
  historyMessages?: number;
  catalogue?: ProductCatalogue;
};

const OUTCOME_LINES = {
  closed_cold: COLD_CLOSING,
  handed_off: HANDOFF_MESSAGE,
  qualified: QUALIFIED_MESSAGE,
} as const;

/** Said already in this conversation? Read from the transcript, so a folded turn cannot skip it. */
function hasSaid(transcript: TranscriptEntry[], line: string | undefined): boolean {
  return (
    line !== undefined && transcript.some((entry) => entry.author === 'bot' && entry.text?.includes(line))
  );
}

function describeLead(slots: LeadSlots): string {
  const who = [slots.name, slots.company ? `da ${slots.company}` : null].filter(Boolean).join(' ') || 'Lead';
  const need = slots.product ? `busca ${slots.product}` : 'ainda não definiu o equipamento';
  const use = slots.application ? ` para ${slots.application}` : '';
  const volume = slots.volume ? `, volume de ${slots.volume}` : '';
  return `${who} ${need}${use}${volume}.`;
}

const mentionsConsultant = (text: string) => fold(text).includes('consultor');

type TurnFacts = {
  input: AgentInput;
  profile: LeadProfile;
  askedCommercialTerms: boolean;
  isFirstReply: boolean;
};

export function createQualificationAgent(deps: Deps): ConversationAgent {
  const { pool, metrics, log, llm, prompt } = deps;
  const toolsMode = deps.toolsMode ?? 'live';
  const historySize = deps.historyMessages ?? 12;

  function offlineReply(facts: TurnFacts, decision: LeadDecision): string | null {
    const outcomeLine = decision.status === 'qualifying' ? undefined : OUTCOME_LINES[decision.status];
    return composeOfflineReply({
      slots: decision.slots,
      newlyFilled: decision.newlyFilled,
      missing: facts.askedCommercialTerms ? decision.missing.slice(0, 1) : decision.missing,
      isFirstReply: facts.isFirstReply,
      askedCommercialTerms: facts.askedCommercialTerms,
      outcome: decision.status,
      outcomeIsNew: !hasSaid(facts.input.transcript, outcomeLine),
      priceDeflection: PRICE_DEFLECTION,
    });
  }

  async function recordToolCall(input: AgentInput, record: ToolCallRecord) {
    const outcome = record.result.ok ? 'ok' : 'invalid';
    metrics.toolCalls.inc({ tool: record.name, outcome });
    await createAgentEventRepo(pool).record({
      conversationId: input.conversationId,
      type: 'tool_call',
      actor: 'bot',
      data: {
        tool: record.name,
        mode: toolsMode,
        arguments: record.arguments,
        ...(record.result.ok ? { output: record.result.output } : { error: record.result.error }),
      },
    });
  }

  /** The model's reply, or why there is none (then the offline policy answers). */
  async function llmReply(facts: TurnFacts, state: ReturnType<typeof createLeadState>, run: WriterRun) {
    if (!llm || !prompt) return { text: null, fallback: 'no_model' as const };
    if (llm.isCircuitOpen()) return { text: null, fallback: 'circuit_open' as const };
    try {
      const memory = await loadMemory(pool, facts.input.conversationId, historySize, llm, run.usage);
      run.messages = buildMessages({
        prompt,
        decision: state.decide(),
        summary: memory.summary,
        history: memory.history,
        notes: { askedCommercialTerms: facts.askedCommercialTerms, isFirstReply: facts.isFirstReply },
      });
      const text = await writeReply(run, {
        llm,
        tools: AGENT_TOOLS,
        context: {
          mode: toolsMode,
          db: pool,
          state,
          leadId: facts.profile.leadId,
          conversationId: facts.input.conversationId,
        },
        onToolCall: (record) => recordToolCall(facts.input, record),
      });
      return { text, fallback: null };
    } catch (error) {
      // Whatever broke on the model's side, the lead is answered: the offline policy takes the turn.
      const level = isUpstreamError(error) ? 'warn' : 'error';
      log[level](
        { conversationId: facts.input.conversationId, err: error },
        'LLM path failed for this turn: the offline policy answers',
      );
      return { text: null, fallback: 'llm_error' as const };
    }
  }

  /** The model's text made to fit the decided outcome: deflection and outcome lines are not optional. */
  function shapeLlmText(text: string, facts: TurnFacts, decision: LeadDecision): string {
    let shaped = text;
    if (facts.askedCommercialTerms && !mentionsConsultant(shaped)) shaped = `${PRICE_DEFLECTION} ${shaped}`;
    const isNewOutcome = decision.status !== facts.profile.status;
    if (isNewOutcome && decision.status === 'handed_off' && !mentionsConsultant(shaped)) {
      shaped = `${shaped} ${HANDOFF_MESSAGE}`;
    }
    return shaped;
  }

  async function reply(input: AgentInput): Promise<AgentReply> {
    const leads = createLeadRepo(pool);
    const profile = await leads.findProfile(input.leadId);
    if (!profile)
      return { text: null, metadata: { policy: OFFLINE_POLICY_VERSION, error: 'lead not found' } };
    const state = createLeadState(profile, deps.catalogue);
    const text = input.newMessages.map((m) => m.text ?? '').join('\n');
    state.readLeadText(text);
    const facts: TurnFacts = {
      input,
      profile,
      askedCommercialTerms: input.newMessages.some((m) => asksForCommercialTerms(m.text ?? '')),
      isFirstReply: !input.transcript.some((entry) => entry.author === 'bot'),
    };
    if (facts.askedCommercialTerms) {
      await createAgentEventRepo(pool).record({
        conversationId: input.conversationId,
        type: 'commercial_question',
        actor: 'lead',
      });
    }

    // Qualifying is the model's job; a lead already handed off or closed gets the fixed lines.
    const run: WriterRun = { messages: [], usage: emptyUsage(), toolCalls: [] };
    const eligible = profile.status === 'qualifying' || profile.status === 'qualified';
    const fromModel = eligible
      ? await llmReply(facts, state, run)
      : { text: null, fallback: 'not_qualifying' };
    const decision = state.decide();
    const closedNow = decision.status === 'closed_cold' && profile.status !== 'closed_cold';
    const useModel = fromModel.text !== null && !closedNow;
    if (llm && eligible && !useModel && fromModel.fallback) {
      metrics.agentFallbacks.inc({ reason: closedNow ? 'closed_cold' : fromModel.fallback });
    }

    const guardContext: GuardContext = {
      pool,
      metrics,
      conversationId: input.conversationId,
      fallback: () => offlineReply(facts, decision),
      rewrite:
        useModel && llm ? (rejected, violations) => rewriteReply(run, llm, rejected, violations) : undefined,
    };
    const draft = useModel
      ? shapeLlmText(fromModel.text as string, facts, decision)
      : offlineReply(facts, decision);
    const final = await guardReply(draft, guardContext, checkReply);

    const next: LeadProfile = {
      ...profile,
      slots: decision.slots,
      intent: decision.intent,
      status: decision.status,
      ...decision.score,
    };
    const summary: LeadSummary | undefined =
      decision.status === 'qualified' || decision.status === 'handed_off'
        ? buildLeadSummary({
            slots: decision.slots,
            score: decision.score,
            resumo: describeLead(decision.slots),
            proximosPassos: ['Consultor entra em contato para entender a aplicação e apresentar a proposta.'],
          })
        : undefined;
    await leads.saveProfile(next, summary);
    if (next.status === 'handed_off' && profile.status !== 'handed_off')
      metrics.handoffs.inc({ step: 'decided' });
    await recordFindings(profile, next, input, decision.newlyFilled);
    const promptVersion = useModel && prompt ? prompt.version : OFFLINE_POLICY_VERSION;
    const changed =
      next.status !== profile.status ||
      decision.newlyFilled.length > 0 ||
      next.temperature !== profile.temperature;
    return {
      text: final,
      syncLead: changed && (next.status === 'qualified' || next.status === 'handed_off'),
      promptVersion,
      usage: run.usage.calls > 0 ? run.usage : undefined,
      metadata: {
        policy: promptVersion,
        promptVersion,
        writer: useModel ? 'llm' : 'offline',
        ...(llm ? { model: llm.model } : {}),
        ...(fromModel.fallback && llm ? { fallback: fromModel.fallback } : {}),
        toolCalls: run.toolCalls.map((call) => ({ name: call.name, ok: call.result.ok })),
        temperature: decision.score.temperature,
        status: decision.status,
      },
    };
  }

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

  return { name: 'qualification', reply };
}
