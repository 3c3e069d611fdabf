// The scheduler Durable Object, one per workspace: its alarm is set for the workspace's next due
// schedule, fires what is due then, and sets itself for the next. One object per workspace (not per
// schedule) because a minute in which many schedules are due is then one alarm and a few D1 batches,
// and the alarm always follows D1: any change to a schedule re-arms it, and a stale alarm finds
// nothing due. The once-a-minute cron only puts back an alarm that was lost.
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';
import { fireDue, fireNow, nextDue, type Fired } from './fire.ts';
import { tellFeed } from '../queue/notify.ts';

export class Scheduler extends DurableObject<Env> {
  /** Firing one at a time: the alarm, the cron and a manual fire never overlap in this object. */
  private firing: Promise<unknown> = Promise.resolve();

  /** Sets the alarm for the workspace's next due schedule, or clears it when none is enabled. */
  async arm(workspaceId: string): Promise<void> {
    await this.remember(workspaceId);
    const next = await nextDue(this.env, workspaceId);
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
  }

  override async alarm(): Promise<void> {
    const workspaceId = await this.ctx.storage.get<string>('workspace');
    if (!workspaceId) return;
    await this.fire(workspaceId);
    await this.arm(workspaceId);
  }

  /** The cron's call: an alarm that is missing or a minute overdue is replaced by firing now. */
  async backstop(workspaceId: string): Promise<Fired | null> {
    const due = await this.ctx.storage.getAlarm();
    if (due !== null && Date.now() - due < 60_000) return null;
    const fired = await this.fire(workspaceId);
    await this.arm(workspaceId);
    return fired;
  }

  /** POST /schedules/{id}/run: a run now, outside the schedule's cron. */
  async fireNow(workspaceId: string, scheduleId: string): Promise<string | null> {
    const runId = await this.serially(() => fireNow(this.env, workspaceId, scheduleId));
    if (runId) await this.wakeClaimers(workspaceId);
    return runId;
  }

  private async fire(workspaceId: string): Promise<Fired> {
    const fired = await this.serially(() => fireDue(this.env, workspaceId));
    if (fired.runs.length > 0) await Promise.all([this.wakeClaimers(workspaceId), tellFeed(this.env, workspaceId, ['runs', 'schedules'])]);
    for (const skip of fired.skipped) console.log(JSON.stringify({ message: 'schedule fire skipped', schedule_id: skip.scheduleId, scheduled_for: skip.scheduledFor, reason: skip.reason }));
    return fired;
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.firing.then(work, work);
    this.firing = result.catch(() => undefined);
    return result;
  }

  private async wakeClaimers(workspaceId: string): Promise<void> {
    await this.env.DISPATCHER.get(this.env.DISPATCHER.idFromName(workspaceId)).workAvailable();
  }

  private async remember(workspaceId: string): Promise<void> {
    if ((await this.ctx.storage.get<string>('workspace')) !== workspaceId) await this.ctx.storage.put('workspace', workspaceId);
  }
}
