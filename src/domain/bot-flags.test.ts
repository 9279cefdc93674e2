import { describe, expect, it } from 'vitest';
import {
  ALL_ENABLED,
  type BotFlags,
  describeRestrictions,
  leadOriginOf,
  needsOrigin,
  shouldAnswer,
} from './bot-flags.js';

const scope = { instanceId: 'loja-centro', origin: 'organic' };

describe('shouldAnswer', () => {
  it('answers everyone when nothing is restricted', () => {
    expect(shouldAnswer(ALL_ENABLED, scope)).toEqual({ answer: true });
    expect(shouldAnswer(ALL_ENABLED, { instanceId: 'x', origin: null })).toEqual({ answer: true });
  });

  it('answers nobody when the bot is disabled, whatever the lists say', () => {
    const flags: BotFlags = { enabled: false, instances: ['loja-centro'], origins: ['organic'] };
    expect(shouldAnswer(flags, scope)).toEqual({ answer: false, reason: 'bot_disabled' });
  });

  it('answers only on the listed instances, matched exactly', () => {
    const flags: BotFlags = { ...ALL_ENABLED, instances: ['loja-centro', '109876543210987'] };
    expect(shouldAnswer(flags, scope)).toEqual({ answer: true });
    expect(shouldAnswer(flags, { ...scope, instanceId: 'Loja-Centro' })).toEqual({
      answer: false,
      reason: 'instance_not_enabled',
    });
  });

  it('answers only the listed origins, a lead without one counting as unknown', () => {
    const adsOnly: BotFlags = { ...ALL_ENABLED, origins: ['ad'] };
    expect(shouldAnswer(adsOnly, { ...scope, origin: 'ad' })).toEqual({ answer: true });
    expect(shouldAnswer(adsOnly, scope)).toEqual({ answer: false, reason: 'origin_not_enabled' });
    expect(shouldAnswer(adsOnly, { ...scope, origin: null })).toEqual({
      answer: false,
      reason: 'origin_not_enabled',
    });
    expect(shouldAnswer({ ...ALL_ENABLED, origins: ['unknown'] }, { ...scope, origin: null })).toEqual({
      answer: true,
    });
  });

  it('names the instance before the origin when both exclude the conversation', () => {
    const flags: BotFlags = { enabled: true, instances: ['other'], origins: ['ad'] };
    expect(shouldAnswer(flags, scope)).toEqual({ answer: false, reason: 'instance_not_enabled' });
  });
});

describe('needsOrigin', () => {
  it('asks for the origin only when an enabled bot filters on it', () => {
    expect(needsOrigin(ALL_ENABLED)).toBe(false);
    expect(needsOrigin({ ...ALL_ENABLED, origins: ['ad'] })).toBe(true);
    expect(needsOrigin({ enabled: false, instances: null, origins: ['ad'] })).toBe(false);
  });
});

describe('leadOriginOf', () => {
  it('is ad with a referral and organic without one', () => {
    expect(leadOriginOf({ referral: { sourceId: '1' } })).toBe('ad');
    expect(leadOriginOf({})).toBe('organic');
    expect(leadOriginOf({ referral: undefined })).toBe('organic');
  });
});

describe('describeRestrictions', () => {
  it('has nothing to say when the bot answers everyone', () => {
    expect(describeRestrictions(ALL_ENABLED)).toBeNull();
  });

  it('says the bot is off, or whom it answers', () => {
    expect(describeRestrictions({ ...ALL_ENABLED, enabled: false })).toMatch(/^BOT_ENABLED=false/);
    expect(describeRestrictions({ enabled: true, instances: ['a', 'b'], origins: ['ad'] })).toBe(
      'the bot answers only instances a, b and lead origins ad; others are stored, silent',
    );
  });
});
