// Wire schemas for webhooks and their deliveries.
import { z } from '@hono/zod-openapi';
import { webhookDeliveryStatuses, webhookEvents } from '../db/schema.ts';
import { timestamp } from './common.ts';

export const webhookEvent = z.enum(webhookEvents);

const url = z
  .string()
  .trim()
  .max(2048)
  .url('must be an absolute http(s) URL')
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http or https URL')
  .openapi({ example: 'https://ci.example.com/hooks/flight-control' });

const events = z
  .array(webhookEvent)
  .min(1)
  .refine((list) => new Set(list).size === list.length, 'must not name an event twice')
  .openapi({ description: 'The events delivered to this webhook.' });

const description = z.string().max(1000).nullable();

export const WebhookCreate = z
  .object({
    url,
    events: events.default(['run.completed', 'run.failed', 'run.timeout', 'run.cancelled']),
    description: description.default(null),
    enabled: z.boolean().default(true),
  })
  .openapi('WebhookCreate');

export const WebhookUpdate = z
  .object({
    url,
    events,
    description,
    enabled: z.boolean(),
    rotate_secret: z.boolean().openapi({ description: 'Make a new signing secret; it is answered once, in `secret`.' }),
  })
  .partial()
  .openapi('WebhookUpdate');

export const Webhook = z
  .object({
    id: z.string(),
    workspace_id: z.string(),
    url: z.string(),
    events: z.array(webhookEvent),
    description: z.string().nullable(),
    enabled: z.boolean(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi('Webhook');

export const WebhookWithSecret = Webhook.extend({
  secret: z.string().openapi({
    description:
      'The signing secret (`whsec_` and base64), shown only when it is made. Verify `webhook-signature` with it as the Standard Webhooks libraries do.',
  }),
}).openapi('WebhookWithSecret');

export const WebhookAttempt = z
  .object({
    attempt: z.number().int(),
    at: timestamp,
    status_code: z.number().int().nullable().openapi({ description: "The receiver's HTTP status; null when it did not answer." }),
    latency_ms: z.number().int(),
    response_excerpt: z.string().nullable().openapi({ description: 'The first 500 characters of its answer.' }),
    error: z.string().nullable().openapi({ description: 'Why the try failed without an answer (timeout, connection refused, …).' }),
  })
  .openapi('WebhookAttempt');

export const WebhookDelivery = z
  .object({
    id: z.string().openapi({ description: 'Sent as `webhook-id`: the same on every try, so receivers can drop repeats.' }),
    webhook_id: z.string(),
    event: webhookEvent,
    run_id: z.string().nullable(),
    status: z.enum(webhookDeliveryStatuses).openapi({ description: 'pending (to be tried, or tried again at next_attempt_at), delivered, or failed (retries used up).' }),
    attempts: z.number().int(),
    next_attempt_at: timestamp.nullable(),
    delivered_at: timestamp.nullable(),
    created_at: timestamp,
    payload: z.record(z.string(), z.unknown()).openapi({ description: 'The body as sent.' }),
    tries: z.array(WebhookAttempt).openapi({ description: 'Every try, oldest first.' }),
  })
  .openapi('WebhookDelivery');

export type WebhookCreate = z.infer<typeof WebhookCreate>;
export type WebhookUpdate = z.infer<typeof WebhookUpdate>;
export type Webhook = z.infer<typeof Webhook>;
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;
