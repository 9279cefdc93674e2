import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { safeEqual } from '../domain/safe-equal.js';
import { errors } from '../errors.js';
import type { AdminQueries } from '../services/admin-queries.service.js';
import type { ConversationControl } from '../services/conversation-control.service.js';
import type { CrmSync } from '../services/crm-sync.service.js';
import type { DeadLetterService } from '../services/dead-letter.service.js';
import {
  conversationActionParams,
  conversationListQuery,
  conversationParams,
  deadLetterListQuery,
  deadLetterParams,
  deadLetterRequeueAllBody,
  leadListQuery,
  leadParams,
  outboxListQuery,
  revealQuery,
} from './admin.schemas.js';

type Options = {
  adminToken: string | undefined;
  deadLetters: DeadLetterService;
  crmSync: Pick<CrmSync, 'status' | 'rerun'>;
  control: Pick<ConversationControl, 'operatorChange'>;
  queries: AdminQueries;
};

function authorize(adminToken: string | undefined, request: FastifyRequest): void {
  if (!adminToken) throw errors.adminDisabled();
  const header = request.headers.authorization ?? '';
  const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  if (!token || !safeEqual(token, adminToken)) {
    throw errors.unauthorized('missing or wrong admin token: send Authorization: Bearer <ADMIN_TOKEN>');
  }
}

/** Operator endpoints under /admin, all behind ADMIN_TOKEN. */
export const adminRoutes: FastifyPluginAsync<Options> = async (
  app,
  { adminToken, deadLetters, crmSync, control, queries },
) => {
  app.addHook('onRequest', async (request) => authorize(adminToken, request));

  app.get('/admin/dead-letters', async (request) => {
    const query = deadLetterListQuery.parse(request.query);
    return { deadLetters: await deadLetters.list(query) };
  });

  app.get('/admin/outbox', async (request) =>
    queries.listOutbox(outboxListQuery.parse(request.query), request.id),
  );

  app.post('/admin/dead-letters/:id/requeue', async (request, reply) => {
    const { id } = deadLetterParams.parse(request.params);
    return reply.status(202).send(await deadLetters.requeue(id, request.id));
  });

  // The queue may come as JSON body or as ?queue=, whichever the operator's tool sends easily.
  app.post('/admin/dead-letters/requeue', async (request, reply) => {
    const { queue, limit } = deadLetterRequeueAllBody.parse(request.body ?? request.query);
    return reply.status(202).send(await deadLetters.requeueAll(queue, request.id, limit));
  });

  app.get('/admin/conversations', async (request) =>
    queries.listConversations(conversationListQuery.parse(request.query), request.id),
  );

  app.get('/admin/conversations/:conversationId', async (request) => {
    const { conversationId } = conversationParams.parse(request.params);
    const { reveal } = revealQuery.parse(request.query);
    return queries.getConversation(conversationId, { reveal, requestId: request.id });
  });

  app.get('/admin/leads', async (request) =>
    queries.listLeads(leadListQuery.parse(request.query), request.id),
  );

  app.get('/admin/leads/:leadId', async (request) => {
    const { leadId } = leadParams.parse(request.params);
    const { reveal } = revealQuery.parse(request.query);
    return queries.getLead(leadId, { reveal, requestId: request.id });
  });

  app.post('/admin/conversations/:conversationId/:action', async (request) => {
    const { conversationId, action } = conversationActionParams.parse(request.params);
    return control.operatorChange(conversationId, action, request.id);
  });

  app.get('/admin/crm-sync/:leadId', async (request) => {
    const { leadId } = leadParams.parse(request.params);
    return { crmSync: await crmSync.status(leadId) };
  });

  app.post('/admin/crm-sync/:leadId/run', async (request, reply) => {
    const { leadId } = leadParams.parse(request.params);
    return reply.status(202).send(await crmSync.rerun(leadId, request.id));
  });
};
