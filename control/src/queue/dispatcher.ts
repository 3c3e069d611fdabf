// The dispatch Durable Object, one per workspace: parks idle workers' claims and cancel-signal
// requests in memory, wakes them the moment work or a cancel arrives, and reaps expired leases by alarm.
import { DurableObject } from 'cloudflare:workers';
import { heartbeatSeconds } from '../contract/worker.ts';
import { loadConfig } from '../config.ts';
import type { Env } from '../env.ts';
import { claimRuns, type ClaimRequest, type ClaimResult } from './claimRuns.ts';
import { reapExpiredLeases, type Reaped } from './reapExpiredLeases.ts';

/** How often the alarm looks for expired leases while any run is held. */
export const REAP_INTERVAL_MS = 5_000;
/** Reaping paused longer than this means the control plane itself was away (alarms did not run). */
export const REAPER_GAP_MS = 3 * REAP_INTERVAL_MS;

interface ParkedClaim {
  wake: () => void;
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

  /**
   * Claims runs; when none is queued, parks until woken by `workAvailable` or `waitMs` passes. While
   * parked nothing touches D1, and a wait that ends without a wake-up answers without asking D1 again:
   * every way a run becomes claimable (created, triggered, requeued) wakes this object.
   */
  async claim(req: ClaimRequest, waitMs: number): Promise<ClaimResult> {
    await this.rememberWorkspace(req.workspaceId);
    const deadline = Date.now() + waitMs;
    for (;;) {
      const result = await claimRuns(this.env.DB, req);
      if (!result.known || result.runs.length > 0) {
        if (result.known) await this.armReaper();
        return result;
      }
      const left = deadline - Date.now();
      if (left <= 0) return result;
      let woken = false;
      let entry: ParkedClaim | undefined;
      await sleep(left, (wake) => {
        entry = {
          wake: () => {
            woken = true;
            wake();
          },
        };
        this.parkedClaims.add(entry);
      });
      if (entry) this.parkedClaims.delete(entry);
      if (!woken) return result;
    }
  }

  /** New or requeued runs: every parked claimer retries; the atomic claim decides who gets what. */
  workAvailable(): number {
    const woken = this.parkedClaims.size;
    for (const parked of this.parkedClaims) parked.wake();
    this.parkedClaims.clear();
    return woken;
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

  /** Reaps now (by alarm, or from the once-a-minute cron); requeued runs wake parked claimers. */
  async reap(workspaceId: string): Promise<Reaped> {
    await this.rememberWorkspace(workspaceId);
    const reaped = await reapExpiredLeases(this.env.DB, workspaceId);
    if (reaped.requeued.length > 0) this.workAvailable();
    await this.recordReaped(reaped);
    return reaped;
  }

  /** The once-a-minute cron's call: reaps only a workspace whose alarm was lost, and arms it again. */
  async backstop(workspaceId: string): Promise<Reaped | null> {
    if ((await this.ctx.storage.getAlarm()) !== null) return null;
    const reaped = await this.reap(workspaceId);
    await this.armReaper();
    return reaped;
  }

  override async alarm(): Promise<void> {
    const workspaceId = await this.ctx.storage.get<string>('workspace');
    if (!workspaceId) return;
    const now = Date.now();
    const last = await this.ctx.storage.get<number>('reaped_at');
    await this.ctx.storage.put('reaped_at', now);
    if (last !== undefined && now - last > REAPER_GAP_MS) {
      // The control plane was away, so leases ran out that live workers would have renewed: they get
      // one heartbeat's time to do so before their runs are taken from them and run a second time.
      const { leaseSeconds } = await loadConfig(this.env);
      await this.ctx.storage.setAlarm(now + heartbeatSeconds(leaseSeconds) * 1000 + REAP_INTERVAL_MS);
      return;
    }
    await this.reap(workspaceId);
    const held = await this.env.DB.prepare(`SELECT 1 FROM job_runs WHERE workspace_id = ?1 AND status IN ('assigned', 'running') LIMIT 1`)
      .bind(workspaceId)
      .first();
    if (held) await this.ctx.storage.setAlarm(Date.now() + REAP_INTERVAL_MS);
    // With nothing held the chain of alarms ends here; the next claim starts a new one, not a gap.
    else await this.ctx.storage.delete('reaped_at');
  }

  private async armReaper(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + REAP_INTERVAL_MS);
  }

  private async rememberWorkspace(workspaceId: string): Promise<void> {
    if ((await this.ctx.storage.get<string>('workspace')) !== workspaceId) await this.ctx.storage.put('workspace', workspaceId);
  }

  private takeCancels(workerId: string): string[] {
    const set = this.pendingCancels.get(workerId);
    if (!set) return [];
    this.pendingCancels.delete(workerId);
    return [...set];
  }

  private async recordReaped(reaped: Reaped): Promise<void> {
    const notes = [
      ...reaped.requeued.map((r) => ({ id: r.id, status: 'queued', text: `worker lost; run requeued for attempt ${r.attempt + 1}` })),
      ...reaped.failed.map((r) => ({ id: r.id, status: r.status, text: `run ended by the control plane: ${r.failure_reason}` })),
    ];
    await Promise.all(
      notes.map(async (n) => {
        const hub = this.env.RUN_HUB.get(this.env.RUN_HUB.idFromName(n.id));
        await hub.note(n.text);
        await hub.status(n.status);
      }),
    );
  }
}
