import { z } from 'zod';
import { isValidCnpj } from '../../domain/lead/extractors/cnpj.js';
import { TemperatureSchema } from '../../domain/lead/scoring.js';
import { LeadSlotsSchema, SLOT_NAMES } from '../../domain/lead/slots.js';
import { defineTool } from './tool.js';

/**
 * Tools that change the lead: its slots, its proposed temperature, a handoff, a cold closing.
 * They act on the turn's LeadState (saved with the turn), so the rules decide the outcome;
 * in stub mode they change nothing.
 */
const SlotsInput = LeadSlotsSchema.omit({ phone: true }).partial();
const DecisionOutput = z.object({
  status: z.enum(['qualifying', 'qualified', 'handed_off', 'closed_cold']),
  temperature: TemperatureSchema,
  missing: z.array(z.enum(SLOT_NAMES)),
});

export const updateLeadTool = defineTool({
  name: 'update_lead',
  description:
    'Registra o que o lead informou (só campos novos ou corrigidos) e, opcionalmente, a temperatura que você sugere. ' +
    'Devolve o status decidido pela regra e os campos que ainda faltam.',
  input: SlotsInput.extend({ temperature: TemperatureSchema.optional() }),
  output: DecisionOutput.extend({
    filled: z.array(z.string()),
    ignored: z.array(z.string()),
    mode: z.enum(['stub', 'live']),
  }),
  async run({ temperature, ...update }, { mode, state }) {
    const ignored = update.cnpj && !isValidCnpj(update.cnpj) ? ['cnpj: dígitos verificadores inválidos'] : [];
    const filled = mode === 'live' ? state.applySlots(update) : [];
    if (mode === 'live' && temperature) state.proposeTemperature(temperature);
    const decision = state.decide();
    return {
      status: decision.status,
      temperature: decision.score.temperature,
      missing: decision.missing,
      filled,
      ignored,
      mode,
    };
  },
});

export const handoffTool = defineTool({
  name: 'handoff_to_human',
  description:
    'Passa o atendimento para um consultor humano da Seleto. Use quando o lead estiver quente ou pedir para falar com uma pessoa.',
  input: z.object({ reason: z.string().trim().min(3).max(300) }),
  output: z.object({ granted: z.boolean(), why: z.string(), mode: z.enum(['stub', 'live']) }),
  async run(_args, { mode, state }) {
    if (mode === 'stub') return { granted: false, why: 'registrado (modo stub): continue a conversa', mode };
    return { ...state.requestHandoff(), mode };
  },
});

export const closeColdLeadTool = defineTool({
  name: 'close_cold_lead',
  description:
    'Encerra com cordialidade, uma única vez, um contato que não é comprador (estudante, candidato a vaga, fornecedor, sem interesse).',
  input: z.object({
    kind: z.enum(['estudante', 'fornecedor', 'candidato', 'sem_interesse', 'outro']),
    reason: z.string().trim().min(3).max(300),
  }),
  output: z.object({ granted: z.boolean(), why: z.string(), mode: z.enum(['stub', 'live']) }),
  async run({ kind }, { mode, state }) {
    if (mode === 'stub') return { granted: false, why: 'registrado (modo stub): continue a conversa', mode };
    return { ...state.requestClose(kind), mode };
  },
});
