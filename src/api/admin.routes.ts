import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { safeEqual } from '../domain/safe-equal.js';
import { errors } from '../errors.js';
import type { ConversationControl } from '../services/conversation-control.service.js';
import type { CrmSync } from '../services/crm-sync.service.js';
import type { DeadLetterService } from '../services/dead-letter.service.js';
import type { OutboxQueries } from '../services/outbox-queries.service.js';
import {
  conversationActionParams,
  deadLetterListQuery,
  deadLetterParams,
  leadParams,
  outboxListQuery,
} from './admin.schemas.js';

type Options = {
  adminToken: string | undefined;
  deadLetters: DeadLetterService;
  outbox: OutboxQueries;
  crmSync: Pick<CrmSync, 'status' | 'rerun'>;
  control: Pick<ConversationControl, 'operatorChange'>;
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
  { adminToken, deadLetters, outbox, crmSync, control },
) => {
  app.addHook('onRequest', async (request) => authorize(adminToken, request));

  app.get('/admin/dead-letters', async (request) => {
    const query = deadLetterListQuery.parse(request.query);
    return { deadLetters: await deadLetters.list(query) };
  });

  app.get('/admin/outbox', async (request) => ({
    outbox: await outbox.list(outboxListQuery.parse(request.query)),
  }));

  app.post('/admin/dead-letters/:id/requeue', async (request, reply) => {
    const { id } = deadLetterParams.parse(request.params);
    return reply.status(202).send(await deadLetters.requeue(id));
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
