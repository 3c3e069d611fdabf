// A workspace's webhook sender: delivers the rows the triggers wrote into webhook_deliveries, each
// signed, at least once, in order per run and webhook, retrying on the configured backoff (Standard
// Webhooks' ~28 hours by default) and recording every try. Sends run side by side and are never
// awaited by anything else, so a slow or dead receiver holds up only its own deliveries.
//
// A Durable Object alarm drives it rather than a Queue: the alarm sleeps exactly until the next retry
// is due, runs under `make run` as on Cloudflare, and the ordering per run needs one place that knows
// what is in flight. It is woken when a run or schedule changes (see queue/notify.ts), and the
// once-a-minute cron wakes it when deliveries are overdue.
import { DurableObject } from 'cloudflare:workers';
import { loadConfig } from '../config.ts';
import type { Env } from '../env.ts';
import { newId } from '../db/ids.ts';
import { NOW, nowPlus } from '../queue/sql.ts';
import { signatureHeaders } from './signing.ts';

/** A receiver gets this long to answer. */
export const SEND_TIMEOUT_MS = 10_000;
/** At most this many sends at once per workspace. */
const MAX_IN_FLIGHT = 50;
const EXCERPT_CHARS = 500;
/** How soon the alarm looks again when what is due is all waiting behind something. */
const IDLE_RECHECK_MS = 30_000;

// The head of each (webhook, run) line: the oldest pending delivery, when it is due. Deliveries not
// about a run (schedule.skipped) are each their own line.
const HEADS = `
  FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
 WHERE d.workspace_id = ?1 AND d.status = 'pending' AND w.enabled = 1
   AND d.id NOT IN (SELECT value FROM json_each(?2))
   AND (d.run_id IS NULL OR NOT EXISTS (
         SELECT 1 FROM webhook_deliveries e
          WHERE e.webhook_id = d.webhook_id AND e.run_id = d.run_id AND e.status = 'pending' AND e.rowid < d.rowid))`;

const DUE = `
SELECT d.id, d.payload, d.attempts, w.url, w.encrypted_secret AS secret ${HEADS} AND d.next_attempt_at <= ${NOW}
 ORDER BY d.next_attempt_at LIMIT ?3`;

// The next instant anything pending is due, heads or not (cheap: the index's first entry); a delivery
// waiting behind its run's in-flight head is sent when that head settles, not by the alarm.
const NEXT = `
SELECT MIN(d.next_attempt_at) AS next FROM webhook_deliveries d
 WHERE d.workspace_id = ?1 AND d.status = 'pending' AND d.id NOT IN (SELECT value FROM json_each(?2))
   AND d.webhook_id IN (SELECT id FROM webhooks WHERE workspace_id = ?1 AND enabled = 1)`;

const RECORD_TRY = `
INSERT OR IGNORE INTO webhook_attempts (id, delivery_id, attempt, at, status_code, latency_ms, response_excerpt, error)
VALUES (?1, ?2, ?3, ${NOW}, ?4, ?5, ?6, ?7)`;

// ?3: seconds until the next try, or null when the delivery succeeded (?4 = 1) or has no tries left.
const SETTLE = `
UPDATE webhook_deliveries
   SET attempts = ?2,
       status = CASE WHEN ?4 = 1 THEN 'delivered' WHEN ?3 IS NULL THEN 'failed' ELSE 'pending' END,
       delivered_at = CASE WHEN ?4 = 1 THEN ${NOW} ELSE delivered_at END,
       next_attempt_at = CASE WHEN ?4 = 1 OR ?3 IS NULL THEN NULL ELSE ${nowPlus('?3')} END,
       updated_at = ${NOW}
 WHERE id = ?1 AND attempts = ?2 - 1`;

interface Due {
  id: string;
  payload: string;
  attempts: number;
  url: string;
  secret: string | null;
}

export class WebhookSender extends DurableObject<Env> {
  private workspaceId: string | null = null;
  private readonly inFlight = new Set<string>();
  private pumping = false;
  private pumpAgain = false;

  /** Something may be due: send it. Answers at once; sends go on in the background. */
  async poke(workspaceId: string): Promise<void> {
    if (this.workspaceId !== workspaceId) {
      this.workspaceId = workspaceId;
      await this.ctx.storage.put('workspace', workspaceId);
    }
    this.pump();
  }

  override async alarm(): Promise<void> {
    this.workspaceId ??= (await this.ctx.storage.get<string>('workspace')) ?? null;
    if (this.workspaceId) await this.pumpOnce(this.workspaceId);
  }

  /** The cron's call: an alarm that is missing or a minute overdue is replaced by sending now. */
  async backstop(workspaceId: string): Promise<void> {
    const due = await this.ctx.storage.getAlarm();
    if (due !== null && Date.now() - due < 60_000) return;
    await this.poke(workspaceId);
  }

  /** Runs one pump at a time; a poke during one makes it go round once more. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void (async () => {
      try {
        do {
          this.pumpAgain = false;
          if (this.workspaceId) await this.pumpOnce(this.workspaceId);
        } while (this.pumpAgain);
      } catch (err) {
        console.error('webhook sender:', err);
      } finally {
        this.pumping = false;
      }
    })();
  }

  private async pumpOnce(workspaceId: string): Promise<void> {
    const room = MAX_IN_FLIGHT - this.inFlight.size;
    let started = 0;
    if (room > 0) {
      const { results } = await this.env.DB.prepare(DUE).bind(workspaceId, JSON.stringify([...this.inFlight]), room).all<Due>();
      for (const due of results) {
        // The alarm's round and a poke's can read the same rows; each is sent by one of them.
        if (this.inFlight.has(due.id)) continue;
        started++;
        this.inFlight.add(due.id);
        // Not awaited: each send settles on its own and then looks for what it unblocked.
        this.ctx.waitUntil(
          this.send(due)
            .catch((err) => console.error(`webhook delivery ${due.id}:`, err))
            .finally(() => {
              this.inFlight.delete(due.id);
              this.pump();
            }),
        );
      }
    }
    await this.arm(workspaceId, started === 0);
  }

  /**
   * The alarm for the next retry; while sends are out, a safety net in case this object is evicted
   * mid-send. `idle`: this round found nothing to send, so what is due now waits behind an in-flight
   * head (or a disabled webhook), and the alarm need not come round at once.
   */
  private async arm(workspaceId: string, idle: boolean): Promise<void> {
    const row = await this.env.DB.prepare(NEXT).bind(workspaceId, JSON.stringify([...this.inFlight])).first<{ next: string | null }>();
    const now = Date.now();
    let next = row?.next ? Date.parse(row.next) : Infinity;
    if (idle && next <= now) next = now + IDLE_RECHECK_MS;
    const at = Math.min(next, this.inFlight.size > 0 ? now + SEND_TIMEOUT_MS + 5_000 : Infinity);
    if (at === Infinity) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(at, now + 10));
  }

  private async send(due: Due): Promise<void> {
    const { keyRing, webhookRetrySeconds } = await loadConfig(this.env);
    const attempt = due.attempts + 1;
    let statusCode: number | null = null;
    let excerpt: string | null = null;
    let error: string | null = null;
    const started = Date.now();
    try {
      const secret = due.secret === null ? null : await keyRing.decrypt(due.secret);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'FlightControl-Webhook/1.0',
        ...(secret === null ? { 'webhook-id': due.id, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)) } : await signatureHeaders(secret, due.id, new Date(), due.payload)),
      };
      const response = await fetch(due.url, { method: 'POST', headers, body: due.payload, redirect: 'manual', signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
      statusCode = response.status;
      excerpt = await readExcerpt(response);
    } catch (err) {
      error = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${SEND_TIMEOUT_MS / 1000} s` : err instanceof Error ? err.message : String(err);
    }
    const latency = Date.now() - started;
    const delivered = statusCode !== null && statusCode >= 200 && statusCode < 300;
    const wait = delivered ? null : (webhookRetrySeconds[attempt - 1] ?? null);
    await this.env.DB.batch([
      this.env.DB.prepare(RECORD_TRY).bind(newId(), due.id, attempt, statusCode, latency, excerpt, error),
      this.env.DB.prepare(SETTLE).bind(due.id, attempt, wait, delivered ? 1 : 0),
    ]);
  }
}

/** The start of the receiver's answer, without reading more of it than that. */
async function readExcerpt(response: Response): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < EXCERPT_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text.slice(0, EXCERPT_CHARS) || null;
}
