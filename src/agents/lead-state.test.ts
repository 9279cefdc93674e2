import { describe, expect, it } from 'vitest';
import type { LeadProfile } from '../db/lead.repo.js';
import { emptySlots } from '../domain/lead/slots.js';
import { asksForHuman, createLeadState, decideOutcome } from './lead-state.js';

function profile(overrides: Partial<LeadProfile> = {}): LeadProfile {
  return {
    leadId: '00000000-0000-4000-8000-000000000001',
    phone: '5511987650001',
    name: null,
    slots: emptySlots(),
    temperature: null,
    score: null,
    reasons: [],
    intent: null,
    status: 'qualifying',
    ...overrides,
  };
}

const HOT =
  'Sou Carlos da Acme Alimentos, CNPJ 11.222.333/0001-81, precisamos com urgência de uma envasadora, 2 mil frascos por hora';

describe('decideOutcome', () => {
  const score = (temperature: 'quente' | 'morno' | 'frio') => ({ temperature, score: 0, reasons: [] });

  it('keeps a handed-off lead handed off and closes a non-buyer', () => {
    expect(
      decideOutcome({ status: 'handed_off', intent: 'estudante', score: score('frio'), missing: 5 }),
    ).toBe('handed_off');
    expect(
      decideOutcome({ status: 'qualifying', intent: 'estudante', score: score('frio'), missing: 5 }),
    ).toBe('closed_cold');
  });

  it('hands off a hot lead or one whose handoff was granted, and qualifies a complete one', () => {
    expect(
      decideOutcome({ status: 'qualifying', intent: 'compra', score: score('quente'), missing: 3 }),
    ).toBe('handed_off');
    expect(
      decideOutcome({
        status: 'qualifying',
        intent: null,
        score: score('morno'),
        missing: 3,
        handoffRequested: true,
      }),
    ).toBe('handed_off');
    expect(decideOutcome({ status: 'qualifying', intent: null, score: score('morno'), missing: 0 })).toBe(
      'qualified',
    );
  });

  it('reopens a closed lead only when it turns out to be a buyer', () => {
    expect(
      decideOutcome({ status: 'closed_cold', intent: 'compra', score: score('morno'), missing: 3 }),
    ).toBe('qualifying');
    expect(decideOutcome({ status: 'closed_cold', intent: 'outro', score: score('morno'), missing: 3 })).toBe(
      'closed_cold',
    );
  });
});

describe('asksForHuman', () => {
  it.each([
    'quero falar com um atendente',
    'me passa pra um vendedor por favor',
    'posso conversar com uma pessoa?',
    'voce e um robo?',
  ])('hears %j', (text) => {
    expect(asksForHuman(text)).toBe(true);
  });

  it.each(['quero uma envasadora', 'falei com meu gerente ontem sobre a máquina'])('not in %j', (text) => {
    expect(asksForHuman(text)).toBe(false);
  });
});

describe('lead state', () => {
  it('reads the lead text into slots and scores by rule', () => {
    const state = createLeadState(profile());
    state.readLeadText(HOT);
    const decision = state.decide();
    expect(decision.slots).toMatchObject({ cnpj: '11222333000181', product: 'Envasadora' });
    expect(decision.score.temperature).toBe('quente');
    expect(decision.status).toBe('handed_off');
    expect(decision.newlyFilled).toContain('cnpj');
  });

  it('never closes a buyer the rules score hot, and closes a lead that is not one', () => {
    const hot = createLeadState(profile());
    hot.readLeadText(HOT);
    expect(hot.requestClose('sem_interesse').granted).toBe(false);
    expect(hot.decide().status).toBe('handed_off');

    const student = createLeadState(profile());
    student.readLeadText('oi, queria saber sobre envase');
    expect(student.requestClose('estudante').granted).toBe(true);
    expect(student.decide().status).toBe('closed_cold');
  });

  it('grants a handoff to a lead who asked for a person, refuses it to a lukewarm one', () => {
    const lukewarm = createLeadState(profile());
    lukewarm.readLeadText('procuro uma rotuladora');
    expect(lukewarm.requestHandoff().granted).toBe(false);

    const asked = createLeadState(profile());
    asked.readLeadText('quero falar com um consultor');
    expect(asked.requestHandoff().granted).toBe(true);
    expect(asked.decide().status).toBe('handed_off');
  });

  it('records the model proposal among the reasons without letting it decide', () => {
    const state = createLeadState(profile());
    state.readLeadText('procuro uma rotuladora');
    state.proposeTemperature('quente');
    const decision = state.decide();
    expect(decision.score.temperature).not.toBe('quente');
    expect(decision.score.reasons.join(' ')).toContain('Sugestão do modelo: quente');
  });
});
