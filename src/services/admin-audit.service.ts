import { createAgentEventRepo } from '../db/agent-event.repo.js';
import type { Queryable } from '../db/pool.js';

/**
 * Every operator action through the admin API leaves an agent_events row with actor 'operator'
 * and the request id, so "who did what, when" has one answer. Pauses, resumes and CRM re-runs
 * that change something are recorded by their own services as `bot_paused`, `bot_resumed` and
 * `crm_sync_rerun` (same actor, same request id); everything else is an `admin_action`.
 */
export const ADMIN_ACTOR = 'operator';
export const ADMIN_ACTION_EVENT = 'admin_action';

export type AdminActionName =
  | 'pause'
  | 'resume'
  | 'requeue_dead_letter'
  | 'requeue_dead_letters'
  | 'reveal_personal_data';

export type AdminAction = {
  action: AdminActionName;
  /** What was acted on: 'conversation:<id>', 'lead:<id>', 'dead_letter:<id>', 'queue:<name>'… */
  target: string;
  requestId: string;
  /** Set when the action concerns one conversation: it then shows in that conversation's timeline. */
  conversationId?: string | null;
  details?: Record<string, unknown>;
};

/** Pass the transaction that did the work, so the action and its record commit together. */
export async function recordAdminAction(db: Queryable, action: AdminAction): Promise<void> {
  await createAgentEventRepo(db).record({
    conversationId: action.conversationId ?? null,
    type: ADMIN_ACTION_EVENT,
    actor: ADMIN_ACTOR,
    data: { action: action.action, target: action.target, requestId: action.requestId, ...action.details },
  });
}
