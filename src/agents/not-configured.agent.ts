import type { ConversationAgent } from './agent.js';

/**
 * Stand-in until the qualification agent is wired: acknowledges the lead once per turn and
 * says plainly that a consultant will answer, instead of pretending to qualify.
 */
export const NOT_CONFIGURED_REPLY =
  'Olá! Recebemos sua mensagem. Nosso atendimento automático ainda está sendo configurado, ' +
  'então um consultor da Seleto Industrial vai responder você por aqui em breve.';

export function createNotConfiguredAgent(): ConversationAgent {
  return {
    name: 'not-configured',
    async reply() {
      return { text: NOT_CONFIGURED_REPLY, metadata: { agent: 'not-configured' } };
    },
  };
}
