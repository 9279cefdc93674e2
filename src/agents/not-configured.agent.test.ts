import { describe, expect, it } from 'vitest';
import type { AgentInput } from './agent.js';
import { createNotConfiguredAgent, NOT_CONFIGURED_REPLY } from './not-configured.agent.js';

const at = new Date('2026-11-21T12:00:00Z');

function input(transcript: AgentInput['transcript']): AgentInput {
  return {
    conversationId: 'c',
    leadId: 'l',
    transcript,
    newMessages: transcript.slice(-1),
    correlationId: 'x',
  };
}

describe('not-configured agent', () => {
  it('tells the lead once that a consultant will answer', async () => {
    const reply = await createNotConfiguredAgent().reply(
      input([{ author: 'lead', kind: 'text', text: 'Oi', at }]),
    );
    expect(reply.text).toBe(NOT_CONFIGURED_REPLY);
  });

  it('stays silent once the notice is in the conversation', async () => {
    const reply = await createNotConfiguredAgent().reply(
      input([
        { author: 'lead', kind: 'text', text: 'Oi', at },
        { author: 'bot', kind: 'text', text: NOT_CONFIGURED_REPLY, at },
        { author: 'lead', kind: 'text', text: 'Alguém aí?', at },
      ]),
    );
    expect(reply.text).toBeNull();
  });
});
