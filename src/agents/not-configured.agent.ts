import type { ConversationAgent } from './agent.js';

/**
 * Stand-in until the qualification agent is wired: says plainly, once per conversation, that a
 * consultant will answer, instead of pretending to qualify or repeating itself.
 */
export const NOT_CONFIGURED_REPLY =
  'Olá! Recebemos sua mensagem. Nosso atendimento automático ainda está sendo configurado, ' +
  'então um consultor da Seleto Industrial vai responder você por aqui em breve.';

export function createNotConfiguredAgent(): ConversationAgent {
  return {
    name: 'not-configured',
    async reply({ transcript }) {
      const alreadySaid = transcript.some(
        (entry) => entry.author === 'bot' && entry.text === NOT_CONFIGURED_REPLY,
      );
      return { text: alreadySaid ? null : NOT_CONFIGURED_REPLY, metadata: { agent: 'not-configured' } };
    },
  };
}
