import { createAgentEventRepo } from '../db/agent-event.repo.js';
import type { Pool } from '../db/pool.js';
import {
  type GuardrailVerdict,
  type GuardrailViolation,
  SAFE_FALLBACK_REPLY,
} from '../domain/guardrails/policy.js';
import type { Metrics } from '../observability/metrics.js';

/**
 * The last step of every reply, whoever wrote it: a reply that breaks the policy is rewritten
 * once with the reason (when the model wrote it), and if it still breaks the policy it is
 * replaced by the offline policy's reply or, failing that, the safe template. Every hit is an
 * agent_events row and a metric.
 */
export type GuardContext = {
  pool: Pool;
  metrics: Metrics;
  conversationId: string;
  /** The deterministic reply to fall back on. */
  fallback: () => string | null;
  /** Present when the model wrote the draft: one rewrite with the reason. */
  rewrite?: (rejected: string, violations: GuardrailViolation[]) => Promise<string | null>;
};

type Check = (reply: string) => GuardrailVerdict;

async function recordHits(context: GuardContext, violations: GuardrailViolation[], action: string) {
  for (const violation of violations) {
    context.metrics.guardrailHits.inc({ rule: violation.rule });
    await createAgentEventRepo(context.pool).record({
      conversationId: context.conversationId,
      type: 'guardrail_hit',
      actor: 'bot',
      data: { rule: violation.rule, detail: violation.detail, action },
    });
  }
}

async function tryRewrite(context: GuardContext, draft: string, violations: GuardrailViolation[]) {
  if (!context.rewrite) return null;
  try {
    return await context.rewrite(draft, violations);
  } catch {
    // The model went away between writing and rewriting: the fallback below still answers.
    return null;
  }
}

export async function guardReply(draft: string | null, context: GuardContext, check: Check) {
  if (!draft) return null;
  const first = check(draft);
  if (first.ok) return draft;
  await recordHits(context, first.violations, context.rewrite ? 'rewrite' : 'replaced');
  const rewritten = await tryRewrite(context, draft, first.violations);
  if (rewritten) {
    const second = check(rewritten);
    if (second.ok) return rewritten;
    await recordHits(context, second.violations, 'replaced');
  }
  const fallback = context.fallback();
  return fallback && check(fallback).ok ? fallback : SAFE_FALLBACK_REPLY;
}
