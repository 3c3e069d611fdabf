// Webhook and delivery queries, all scoped to one workspace; secrets arrive and stay encrypted.
import { and, asc, desc, eq, lt, or, sql } from 'drizzle-orm';
import type { Webhook, WebhookDelivery } from '../contract/webhooks.ts';
import type { Cursor } from '../http/pagination.ts';
import { inList, type Db } from './client.ts';
import { newId, nowIso } from './ids.ts';
import { webhookAttempts, webhookDeliveries, webhooks } from './schema.ts';

type WebhookRow = typeof webhooks.$inferSelect;
type DeliveryRow = typeof webhookDeliveries.$inferSelect;

/** The response form: everything but the secret. */
export function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    workspace_id: row.workspaceId,
    url: row.url,
    events: row.events,
    description: row.description,
    enabled: row.enabled,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export interface WebhookFields {
  url: string;
  events: WebhookRow['events'];
  description: string | null;
  enabled: boolean;
  encryptedSecret: string;
}

export async function insertWebhook(db: Db, workspaceId: string, fields: WebhookFields): Promise<WebhookRow> {
  const now = nowIso();
  const [row] = await db
    .insert(webhooks)
    .values({ id: newId(), workspaceId, ...fields, createdAt: now, updatedAt: now })
    .returning();
  return row!;
}

export async function findWebhook(db: Db, workspaceId: string, id: string): Promise<WebhookRow | undefined> {
  return db.query.webhooks.findFirst({ where: and(eq(webhooks.workspaceId, workspaceId), eq(webhooks.id, id)) });
}

/** Newest first, ties broken by id, so pages never skip or repeat. */
export async function listWebhooks(db: Db, workspaceId: string, limit: number, after: Cursor | null): Promise<WebhookRow[]> {
  const scope = eq(webhooks.workspaceId, workspaceId);
  const page = after ? or(lt(webhooks.createdAt, after.key), and(eq(webhooks.createdAt, after.key), lt(webhooks.id, after.id))) : undefined;
  return db
    .select()
    .from(webhooks)
    .where(page ? and(scope, page) : scope)
    .orderBy(desc(webhooks.createdAt), desc(webhooks.id))
    .limit(limit + 1);
}

export async function updateWebhook(db: Db, workspaceId: string, id: string, changes: Partial<WebhookFields>): Promise<WebhookRow | undefined> {
  const [row] = await db
    .update(webhooks)
    .set({ ...changes, updatedAt: nowIso() })
    .where(and(eq(webhooks.workspaceId, workspaceId), eq(webhooks.id, id)))
    .returning();
  return row;
}

/** Its deliveries and their tries go with it. */
export async function deleteWebhook(db: Db, workspaceId: string, id: string): Promise<boolean> {
  const rows = await db.delete(webhooks).where(and(eq(webhooks.workspaceId, workspaceId), eq(webhooks.id, id))).returning({ id: webhooks.id });
  return rows.length > 0;
}

/** A webhook's deliveries, newest first, each with its tries. */
export async function listDeliveries(db: Db, webhookId: string, limit: number, after: Cursor | null): Promise<DeliveryRow[]> {
  const scope = eq(webhookDeliveries.webhookId, webhookId);
  const page = after ? or(lt(webhookDeliveries.createdAt, after.key), and(eq(webhookDeliveries.createdAt, after.key), lt(webhookDeliveries.id, after.id))) : undefined;
  return db
    .select()
    .from(webhookDeliveries)
    .where(page ? and(scope, page) : scope)
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(limit + 1);
}

export async function withTries(db: Db, rows: DeliveryRow[]): Promise<WebhookDelivery[]> {
  const tries = rows.length === 0 ? [] : await db.select().from(webhookAttempts).where(inList(webhookAttempts.deliveryId, rows.map((r) => r.id))).orderBy(asc(webhookAttempts.attempt));
  return rows.map((row) => ({
    id: row.id,
    webhook_id: row.webhookId,
    event: row.event,
    run_id: row.runId,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.nextAttemptAt,
    delivered_at: row.deliveredAt,
    created_at: row.createdAt,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    tries: tries
      .filter((t) => t.deliveryId === row.id)
      .map((t) => ({ attempt: t.attempt, at: t.at, status_code: t.statusCode, latency_ms: t.latencyMs, response_excerpt: t.responseExcerpt, error: t.error })),
  }));
}

/** Queues a delivery to be tried again now, whatever became of it; its earlier tries stay on record. */
export async function redeliver(db: Db, webhookId: string, deliveryId: string): Promise<DeliveryRow | undefined> {
  const [row] = await db
    .update(webhookDeliveries)
    .set({ status: 'pending', nextAttemptAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`, updatedAt: nowIso() })
    .where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.id, deliveryId)))
    .returning();
  return row;
}
