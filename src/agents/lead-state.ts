import type { LeadProfile, LeadStatus } from '../db/lead.repo.js';
import { extractSlots } from '../domain/lead/extractors/index.js';
import type { ProductCatalogue } from '../domain/lead/extractors/needs.js';
import { fold } from '../domain/lead/extractors/text.js';
import { detectIntent, strongestIntent } from '../domain/lead/intent.js';
import { type Intent, type LeadScore, scoreLead, type Temperature } from '../domain/lead/scoring.js';
import {
  isFilled,
  type LeadSlots,
  type LeadSlotsUpdate,
  mergeSlots,
  missingSlots,
  SLOT_NAMES,
  type SlotName,
} from '../domain/lead/slots.js';

/**
 * The lead as one turn sees it: what the profile held, what the lead's messages and the model's
 * tools added, and the outcome the rules decide from that. The model proposes (slots, a
 * temperature, a handoff, a closing); the rules here decide, so the same lead gets the same
 * outcome whether the LLM or the offline policy wrote the reply.
 */

/** Where the lead goes from here; closed and handed-off leads are not pursued. */
export function decideOutcome(input: {
  status: LeadStatus;
  intent: Intent | null;
  score: LeadScore;
  missing: number;
  handoffRequested?: boolean;
}): LeadStatus {
  const { status, intent, score, missing } = input;
  if (status === 'handed_off') return 'handed_off';
  const notABuyer = intent === 'estudante' || intent === 'outro';
  if (status === 'closed_cold')
    return notABuyer || score.temperature === 'frio' ? 'closed_cold' : 'qualifying';
  if (notABuyer) return 'closed_cold';
  if (score.temperature === 'quente' || input.handoffRequested) return 'handed_off';
  if (status === 'qualified' || missing === 0) return 'qualified';
  return 'qualifying';
}

// "quero falar com um atendente", "tem alguém aí?", "me passa pra um vendedor".
const ASKS_FOR_HUMAN =
  /\b(?:falar|conversar|fala|passa\w*|transfer\w*)\b[^.?!]{0,30}\b(?:atendente|humano|pessoa|consultor\w*|vendedor\w*|representante|gerente|alguem)\b|\b(?:voce e|vc e|e um) (?:robo|bot)\b/;

export function asksForHuman(text: string): boolean {
  return ASKS_FOR_HUMAN.test(fold(text));
}

export type CloseKind = 'estudante' | 'fornecedor' | 'candidato' | 'sem_interesse' | 'outro';

export type LeadDecision = {
  slots: LeadSlots;
  intent: Intent | null;
  score: LeadScore;
  status: LeadStatus;
  missing: SlotName[];
  newlyFilled: SlotName[];
};

export function createLeadState(profile: LeadProfile, catalogue?: ProductCatalogue) {
  let slots: LeadSlots = { ...profile.slots, phone: profile.slots.phone ?? profile.phone };
  let intent = profile.intent;
  let llmProposal: Temperature | undefined;
  let handoffRequested = false;

  function applySlots(update: LeadSlotsUpdate): SlotName[] {
    const before = slots;
    slots = mergeSlots(slots, update);
    return SLOT_NAMES.filter((slot) => !isFilled(before, slot) && isFilled(slots, slot));
  }

  function decide(): LeadDecision {
    const score = scoreLead(slots, { intent, catalogue, llmProposal });
    const missing = missingSlots(slots);
    const status = decideOutcome({
      status: profile.status,
      intent,
      score,
      missing: missing.length,
      handoffRequested,
    });
    const newlyFilled = SLOT_NAMES.filter((slot) => !isFilled(profile.slots, slot) && isFilled(slots, slot));
    return { slots, intent, score, status, missing, newlyFilled };
  }

  return {
    profile,
    decide,
    applySlots,
    /** The deterministic extractors read every lead message, whoever writes the reply. */
    readLeadText(text: string): void {
      applySlots(extractSlots(text, catalogue));
      intent = strongestIntent(intent, detectIntent(text));
      if (asksForHuman(text)) handoffRequested = true;
    },
    proposeTemperature(temperature: Temperature): void {
      llmProposal = temperature;
    },
    /** Granted for a hot lead or a lead who asked for a person; otherwise qualifying goes on. */
    requestHandoff(): { granted: boolean; why: string } {
      const { score } = decide();
      if (score.temperature === 'quente' || handoffRequested) {
        handoffRequested = true;
        return { granted: true, why: 'lead quente ou pediu atendimento humano' };
      }
      return {
        granted: false,
        why: `lead ${score.temperature} pela regra (${score.score} pontos): continue qualificando`,
      };
    },
    /** A buyer the rules score hot is never closed as cold, whatever the model thinks. */
    requestClose(kind: CloseKind): { granted: boolean; why: string } {
      const { score } = decide();
      if (score.temperature === 'quente') {
        return { granted: false, why: 'a regra classifica o lead como quente: não encerre' };
      }
      intent = strongestIntent(intent, kind === 'estudante' ? 'estudante' : 'outro');
      return { granted: true, why: `encerrado como frio (${kind})` };
    },
  };
}

export type LeadState = ReturnType<typeof createLeadState>;
