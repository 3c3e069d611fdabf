// The dispatch Durable Object, one per workspace: parks idle workers' claims and cancel-signal
// requests in memory, wakes them the moment work or a cancel arrives, and reaps expired leases by alarm.
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';
import { MAX_STREAMS_PER_KEY } from '../limits.ts';
import { RECHECK_MS } from '../logs/viewers.ts';
import { anyHeld, claim, heartbeatMs, reap, type ClaimRequest, type ClaimResult, type Reaped, type RunContext } from './transitions.ts';
import { feedFor } from './notify.ts';

/** How often the alarm looks for expired leases while any run is held. */
export const REAP_INTERVAL_MS = 5_000;
/**
 * An alarm firing this much later than it was set for (or one heartbeat interval, if shorter) means
 * the control plane itself was away (frozen, killed, its host asleep): leases may have run out that
 * live workers could not renew meanwhile.
 */
export const LATE_ALARM_MS = 2 * REAP_INTERVAL_MS;
/** The longest a dashboard waits to hear of a claim. */
const FEED_COALESCE_MS = 250;
/** How long a log stream's slot lasts unless its hub renews it (every RECHECK_MS while it is open). */
const STREAM_SLOT_MS = 5 * RECHECK_MS;

interface ParkedClaim {
  workerId: string;
  wake: () => void;
  /** Ends the wait without claiming: the worker went away or claims anew. */
  drop: () => void;
}

interface ParkedSignal {
  wake: (cancel: string[]) => void;
}

const sleep = (ms: number, onWake: (wake: () => void) => void) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    onWake(() => {
      clearTimeout(timer);
      resolve();
    });
  });

export class Dispatcher extends DurableObject<Env> {
  private readonly parkedClaims = new Set<ParkedClaim>();
  private readonly parkedSignals = new Map<string, Set<ParkedSignal>>();
  private readonly pendingCancels = new Map<string, Set<string>>();
  private readonly streams = new Map<string, { keyId: string; until: number }>();
  /** When retried runs' backoffs end (epoch ms), and the timer for the first of them. */
  private wakeups: number[] = [];
  private wakeTimer: ReturnType<typeof setTimeout> | null = null;
  private feedTimer: ReturnType<typeof setTimeout> | null = null;
  /** The workspace this instance has stored as its own (the alarm reads it back after a restart). */
  private workspaceId: string | null = null;
  /**
   * When the reaper alarm this instance last set is due (epoch ms). Until then that alarm is surely still
   * pending (nothing else removes it), so a claim need not ask storage; once it is due, claims ask again.
   */
  private alarmSetFor = 0;

  private get runs(): RunContext {
    return { env: this.env, defer: (work) => this.ctx.waitUntil(work) };
  }

  /**
   * Claims runs; when none is queued, parks until woken by `workAvailable` or `waitMs` passes. While
   * parked nothing touches D1, and a wait that ends without a wake-up answers without asking D1 again:
   * every way a run becomes claimable (created, triggered, requeued) wakes this object. (A slot a full
   * worker frees does not: a claim parked while full ends at its deadline, and the next one takes the run.)
   */
  async claim(req: ClaimRequest, waitMs: number): Promise<ClaimResult> {
    await this.rememberWorkspace(req.workspaceId);
    // A worker waits in one claim at a time: an older one still parked was given up by the worker
    // (it timed out or restarted), and nobody would receive what it claimed.
    this.dropClaims(req.workerId);
    const deadline = Date.now() + waitMs;
    for (;;) {
      const result = await claim(this.runs, req);
      if (!result.known || result.runs.length > 0) {
        if (result.known) {
          await this.armReaper();
          this.tellFeedSoon(req.workspaceId);
        }
        return result;
      }
      const left = deadline - Date.now();
      if (left <= 0) return result;
      let woken = false;
      let entry: ParkedClaim | undefined;
      await sleep(left, (wake) => {
        entry = {
          workerId: req.workerId,
          wake: () => {
            woken = true;
            wake();
          },
          drop: wake,
        };
        this.parkedClaims.add(entry);
      });
      if (entry) this.parkedClaims.delete(entry);
      if (!woken) return result;
    }
  }

  /**
   * Claims come in bursts: the workspace's feed hears of them once per FEED_COALESCE_MS, not once a
   * claim. (A claim writes no webhook delivery: none is sent for `assigned`.)
   */
  private tellFeedSoon(workspaceId: string): void {
    this.feedTimer ??= setTimeout(() => {
      this.feedTimer = null;
      this.ctx.waitUntil(
        feedFor(this.env, workspaceId)
          .changed(['runs', 'workers'])
          .catch(() => undefined),
      );
    }, FEED_COALESCE_MS);
  }

  /** New or requeued runs: every parked claimer retries; the atomic claim decides who gets what. */
  workAvailable(): number {
    const woken = this.parkedClaims.size;
    for (const parked of this.parkedClaims) parked.wake();
    this.parkedClaims.clear();
    return woken;
  }

  /** Ends a worker's parked claims empty-handed: it left the fleet, or claims anew. */
  dropClaims(workerId: string): void {
    for (const parked of this.parkedClaims) {
      if (parked.workerId !== workerId) continue;
      this.parkedClaims.delete(parked);
      parked.drop();
    }
  }

  /**
   * A retried run becomes claimable in `ms`: parked claimers are woken then. Wake-ups live as long as
   * this instance, as parked claims do; a worker's next claim finds the run if both are gone.
   */
  wakeAfter(ms: number): void {
    this.wakeups.push(Date.now() + ms);
    this.scheduleWakeup();
  }

  private scheduleWakeup(): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    if (this.wakeups.length === 0) return;
    const next = Math.min(...this.wakeups);
    this.wakeTimer = setTimeout(() => {
      const now = Date.now();
      this.wakeups = this.wakeups.filter((at) => at > now);
      this.workAvailable();
      this.scheduleWakeup();
    }, Math.max(0, next - Date.now()));
  }

  /** Waits for cancel requests addressed to one worker's runs. */
  async signals(workerId: string, waitMs: number): Promise<string[]> {
    const pending = this.takeCancels(workerId);
    if (pending.length > 0 || waitMs <= 0) return pending;
    return new Promise<string[]>((resolve) => {
      const entry: ParkedSignal = {
        wake: (cancel) => {
          clearTimeout(timer);
          this.parkedSignals.get(workerId)?.delete(entry);
          resolve(cancel);
        },
      };
      const timer = setTimeout(() => entry.wake([]), waitMs);
      let set = this.parkedSignals.get(workerId);
      if (!set) this.parkedSignals.set(workerId, (set = new Set()));
      set.add(entry);
    });
  }

  /** Delivers a cancel to the worker's parked signal request, or keeps it for its next one. */
  cancelRequested(workerId: string, runId: string): void {
    const parked = this.parkedSignals.get(workerId);
    const first = parked?.values().next().value;
    if (first) {
      first.wake([runId]);
      return;
    }
    let set = this.pendingCancels.get(workerId);
    if (!set) this.pendingCancels.set(workerId, (set = new Set()));
    set.add(runId);
  }

  /**
   * Takes one of the key's slots for open log streams in this workspace, or answers false when it holds
   * them all. A slot lasts STREAM_SLOT_MS unless the stream's hub renews it, so slots of streams that
   * vanished (a hub evicted, a message lost) free themselves.
   */
  openStream(keyId: string, streamId: string): boolean {
    const now = Date.now();
    let held = 0;
    for (const [id, slot] of this.streams) {
      if (slot.until <= now) this.streams.delete(id);
      else if (slot.keyId === keyId) held++;
    }
    if (held >= MAX_STREAMS_PER_KEY) return false;
    this.streams.set(streamId, { keyId, until: now + STREAM_SLOT_MS });
    return true;
  }

  /** A hub's streams still open; slots this instance forgot (it restarted) are taken again. */
  renewStreams(open: { streamId: string; keyId: string }[]): void {
    const until = Date.now() + STREAM_SLOT_MS;
    for (const { streamId, keyId } of open) this.streams.set(streamId, { keyId, until });
  }

  closeStream(streamId: string): void {
    this.streams.delete(streamId);
  }

  /** Reaps now; requeued runs wake parked claimers. */
  async reap(workspaceId: string): Promise<Reaped> {
    await this.rememberWorkspace(workspaceId);
    const reaped = await reap(this.runs, workspaceId);
    if (reaped.requeued.length > 0) this.workAvailable();
    for (const run of reaped.requeued) if (run.wait_ms !== null && run.wait_ms > 0) this.wakeAfter(run.wait_ms);
    return reaped;
  }

  /**
   * The once-a-minute cron's call: puts back an alarm that was lost, or that is long overdue. The alarm
   * it sets comes one renewal grace later, as after any outage (the cron may run first after one).
   */
  async backstop(workspaceId: string): Promise<void> {
    await this.rememberWorkspace(workspaceId);
    const due = await this.ctx.storage.getAlarm();
    if (due !== null && Date.now() - due < 60_000) return;
    await this.graceThenReap();
  }

  /**
   * Reaps, then comes back in REAP_INTERVAL_MS while any run is held. An alarm that fires late (the
   * control plane was away) first gives live workers one heartbeat interval to renew the leases that
   * ran out meanwhile, then reaps: at most one grace per outage, however late that alarm is too.
   */
  override async alarm(): Promise<void> {
    // It fired: until this sets the next one, claims ask storage whether one is set.
    this.alarmSetFor = 0;
    const workspaceId = await this.ctx.storage.get<string>('workspace');
    if (!workspaceId) return;
    const due = (await this.ctx.storage.get<number>('alarm_due')) ?? Date.now();
    const graced = (await this.ctx.storage.get<boolean>('alarm_after_grace')) === true;
    if (!graced && Date.now() - due > Math.min(LATE_ALARM_MS, await heartbeatMs(this.env))) {
      await this.graceThenReap();
      return;
    }
    await this.reap(workspaceId);
    // With nothing held the chain of alarms ends here; the next claim starts a new one.
    if (await anyHeld(this.env, workspaceId)) await this.setReaperAlarm(Date.now() + REAP_INTERVAL_MS, false);
    else await this.ctx.storage.delete(['alarm_due', 'alarm_after_grace']);
  }

  /** The next reap comes one heartbeat interval (and a reap interval of margin) from now. */
  private async graceThenReap(): Promise<void> {
    await this.setReaperAlarm(Date.now() + (await heartbeatMs(this.env)) + REAP_INTERVAL_MS, true);
  }

  private async armReaper(): Promise<void> {
    if (Date.now() < this.alarmSetFor) return;
    if ((await this.ctx.storage.getAlarm()) === null) await this.setReaperAlarm(Date.now() + REAP_INTERVAL_MS, false);
  }

  /** Sets the alarm and remembers when it is due, so the alarm can tell how late it fires. */
  private async setReaperAlarm(at: number, afterGrace: boolean): Promise<void> {
    await this.ctx.storage.put({ alarm_due: at, alarm_after_grace: afterGrace });
    await this.ctx.storage.setAlarm(at);
    this.alarmSetFor = at;
  }

  private async rememberWorkspace(workspaceId: string): Promise<void> {
    if (this.workspaceId === workspaceId) return;
    if ((await this.ctx.storage.get<string>('workspace')) !== workspaceId) await this.ctx.storage.put('workspace', workspaceId);
    this.workspaceId = workspaceId;
  }

  private takeCancels(workerId: string): string[] {
    const set = this.pendingCancels.get(workerId);
    if (!set) return [];
    this.pendingCancels.delete(workerId);
    return [...set];
  }
}
