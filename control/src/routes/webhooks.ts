// /webhooks: receivers of the workspace's run and schedule events, signed per Standard Webhooks; admin only,
// since a webhook's URL and deliveries may carry what only admins should see.
import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../auth/authenticate.ts';
import { loadConfig } from '../config.ts';
import { errorResponses, idParam, jsonBody, jsonResponse } from '../contract/common.ts';
import { Webhook, WebhookCreate, WebhookDelivery, WebhookUpdate, WebhookWithSecret } from '../contract/webhooks.ts';
import { openDb } from '../db/client.ts';
import { deleteWebhook, findWebhook, insertWebhook, listDeliveries, listWebhooks, redeliver, toWebhook, updateWebhook, withTries, type WebhookFields } from '../db/webhooks.ts';
import { invalidField, notFound } from '../http/errors.ts';
import { decodeCursor, pageQuery, paginate } from '../http/pagination.ts';
import { createRouter } from '../http/router.ts';
import type { Config } from '../config.ts';
import { forgetWebhooks, senderFor } from '../queue/notify.ts';
import { newWebhookSecret } from '../webhooks/signing.ts';
import { refusedTarget } from '../webhooks/targets.ts';

const tags = ['Webhooks'];
const webhookId = idParam('webhook_id', 'Webhook id');
const deliveryParams = webhookId.extend({ delivery_id: z.string().min(1).max(64).openapi({ param: { name: 'delivery_id', in: 'path' }, description: 'Delivery id (its webhook-id)' }) });

function checkTarget(url: string, config: Config): void {
  const refused = refusedTarget(url, config.webhookAllowPrivate);
  if (refused) throw invalidField('url', refused);
}

const admin = [requireRole('admin')];

export const webhookRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/webhooks',
      tags,
      middleware: admin,
      summary: 'List webhooks, newest first (admin)',
      request: { query: pageQuery },
      responses: { 200: jsonResponse(z.array(Webhook), 'A page of webhooks; `Link: rel="next"` when more exist'), ...errorResponses },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const rows = await listWebhooks(openDb(c.env.DB), c.get('auth').workspaceId, limit, decodeCursor(cursor));
      return c.json(paginate(c, rows, limit, (r) => ({ key: r.createdAt, id: r.id })).map(toWebhook), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/webhooks',
      tags,
      middleware: admin,
      summary: 'Add a webhook (admin); its signing secret is answered this once',
      request: jsonBody(WebhookCreate),
      responses: { 201: jsonResponse(WebhookWithSecret, 'The new webhook, with its secret'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const config = await loadConfig(c.env);
      checkTarget(body.url, config);
      const secret = newWebhookSecret();
      const { workspaceId } = c.get('auth');
      const row = await insertWebhook(openDb(c.env.DB), workspaceId, {
        url: body.url,
        events: body.events,
        description: body.description,
        enabled: body.enabled,
        encryptedSecret: await config.keyRing.encrypt(secret),
      });
      forgetWebhooks(workspaceId);
      return c.json({ ...toWebhook(row), secret }, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/webhooks/{webhook_id}',
      tags,
      middleware: admin,
      summary: 'Get a webhook (admin)',
      request: { params: webhookId },
      responses: { 200: jsonResponse(Webhook, 'The webhook'), ...errorResponses },
    }),
    async (c) => {
      const row = await findWebhook(openDb(c.env.DB), c.get('auth').workspaceId, c.req.valid('param').webhook_id);
      if (!row) throw notFound('Webhook');
      return c.json(toWebhook(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/webhooks/{webhook_id}',
      tags,
      middleware: admin,
      summary: 'Change a webhook (admin); `rotate_secret` makes a new secret, answered this once',
      request: { params: webhookId, ...jsonBody(WebhookUpdate) },
      responses: { 200: jsonResponse(Webhook.extend({ secret: z.string().optional() }), 'The webhook; with `secret` when it was rotated'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const config = await loadConfig(c.env);
      if (body.url !== undefined) checkTarget(body.url, config);
      const changes: Partial<WebhookFields> = {};
      if (body.url !== undefined) changes.url = body.url;
      if (body.events !== undefined) changes.events = body.events;
      if (body.description !== undefined) changes.description = body.description;
      if (body.enabled !== undefined) changes.enabled = body.enabled;
      const secret = body.rotate_secret ? newWebhookSecret() : undefined;
      if (secret) changes.encryptedSecret = await config.keyRing.encrypt(secret);
      const { workspaceId } = c.get('auth');
      const row = await updateWebhook(openDb(c.env.DB), workspaceId, c.req.valid('param').webhook_id, changes);
      if (!row) throw notFound('Webhook');
      forgetWebhooks(workspaceId);
      // Re-enabled: what waited meanwhile goes out now.
      if (body.enabled) c.executionCtx.waitUntil(senderFor(c.env, workspaceId).poke(workspaceId));
      return c.json({ ...toWebhook(row), ...(secret ? { secret } : {}) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/webhooks/{webhook_id}',
      tags,
      middleware: admin,
      summary: 'Delete a webhook and its deliveries (admin)',
      request: { params: webhookId },
      responses: { 204: { description: 'Deleted' }, ...errorResponses },
    }),
    async (c) => {
      const { workspaceId } = c.get('auth');
      if (!(await deleteWebhook(openDb(c.env.DB), workspaceId, c.req.valid('param').webhook_id))) throw notFound('Webhook');
      forgetWebhooks(workspaceId);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/webhooks/{webhook_id}/deliveries',
      tags,
      middleware: admin,
      summary: "A webhook's deliveries, newest first, each with every try: status code, latency and the start of the answer (admin)",
      request: { params: webhookId, query: pageQuery },
      responses: { 200: jsonResponse(z.array(WebhookDelivery), 'A page of deliveries; `Link: rel="next"` when more exist'), ...errorResponses },
    }),
    async (c) => {
      const db = openDb(c.env.DB);
      const webhook = await findWebhook(db, c.get('auth').workspaceId, c.req.valid('param').webhook_id);
      if (!webhook) throw notFound('Webhook');
      const { limit, cursor } = c.req.valid('query');
      const rows = await listDeliveries(db, webhook.id, limit, decodeCursor(cursor));
      return c.json(await withTries(db, paginate(c, rows, limit, (r) => ({ key: r.createdAt, id: r.id }))), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver',
      tags,
      middleware: admin,
      summary: 'Send a delivery again now, delivered or not, with the same webhook-id (admin)',
      request: { params: deliveryParams },
      responses: { 202: jsonResponse(WebhookDelivery, 'The delivery, queued to be sent'), ...errorResponses },
    }),
    async (c) => {
      const db = openDb(c.env.DB);
      const { workspaceId } = c.get('auth');
      const { webhook_id, delivery_id } = c.req.valid('param');
      const webhook = await findWebhook(db, workspaceId, webhook_id);
      if (!webhook) throw notFound('Webhook');
      const row = await redeliver(db, webhook.id, delivery_id);
      if (!row) throw notFound('Delivery');
      c.executionCtx.waitUntil(senderFor(c.env, workspaceId).poke(workspaceId));
      const [delivery] = await withTries(db, [row]);
      return c.json(delivery!, 202);
    },
  );
