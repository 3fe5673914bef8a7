import { Inject, Injectable, Optional } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { errorSummary } from '../common/app-exception.filter.js';
import { APP_ENV } from '../config/config.tokens.js';
import type { AppEnv } from '../config/env.schema.js';
import { DEFAULT_PORTAL } from '../config/portal.js';
import { HubSpotSendGate } from '../hubspot/hubspot-send-gate.js';
import { AppLogger } from '../logging/app-logger.js';
import { LeaseRepository, type HeldLease } from '../store/lease.repository.js';

export type SyncRole = 'leader' | 'standby';

/** A standby's next try comes this long after the lease runs out by the store's clock. */
const TAKEOVER_SLACK_MS = 20;

/**
 * One syncing instance per HubSpot portal, chosen through the sync lease (see `LeaseRepository`). Every instance
 * takes webhooks; the one holding the lease syncs, the others stand by and try to take it each renewal period.
 * The holder renews every `SYNC_LEASE_RENEW_MS`; it stops leading by itself at its local deadline (the last
 * successful renewal's sending time + TTL − a margin, on the monotonic clock, by a timer that does not depend on the
 * work loop), so that it has stopped before the store lets another instance take over. The same deadline closes
 * the HubSpot send gate (nothing is sent after it, requests in flight are aborted); the store's fence refuses the
 * old epoch's writes once another instance holds the lease. A standby tries again when the lease runs out (by the
 * store's clock), or each renewal period, whichever is first.
 */
@Injectable()
export class SyncLeader {
  private lease: HeldLease | null = null;
  private since: number | null = null;
  private heldElsewhere = false;
  /** The tick in flight, if any (`stop` waits for it). */
  private ticking: Promise<void> | null = null;
  /** A lease an acquire in flight took after `stop` began: released by `stop`. */
  private acquiredWhileStopping: HeldLease | null = null;
  private timer: NodeJS.Timeout | null = null;
  private deadline: NodeJS.Timeout | null = null;
  private stopped = true;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly leases: LeaseRepository,
    @Inject(APP_ENV) private readonly env: AppEnv,
    private readonly logger: AppLogger,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() private readonly gate?: HubSpotSendGate,
  ) {}

  get role(): SyncRole {
    return this.lease ? 'leader' : 'standby';
  }

  /** The epoch this instance leads under, or null while it stands by. */
  get epoch(): number | null {
    return this.lease?.epoch ?? null;
  }

  /** Whether another instance held the lease when this one last tried to take it (this one stands by). */
  get otherLeads(): boolean {
    return this.lease === null && this.heldElsewhere;
  }

  /** When (the clock's ms) this instance took the lease it holds, or null while it stands by. */
  get leadingSince(): number | null {
    return this.lease ? this.since : null;
  }

  get instanceId(): string {
    return this.env.instanceId;
  }

  /** Starts taking part: tries to take the lease now, then every renewal period. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.tick();
  }

  /** Resolves once this instance leads, or after `timeoutMs` (whichever is first). */
  async whenLeading(timeoutMs: number): Promise<void> {
    if (this.lease) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timeout);
        this.waiters.delete(done);
        resolve();
      };
      const timeout = setTimeout(done, timeoutMs).unref();
      this.waiters.add(done);
    });
  }

  /** A graceful stop hands the lease over at once (called by the worker once its last batch is settled). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    // A renewal or an acquire still in flight must end first: a renewal that lands after the release would extend the
    // lease again, and a lease acquired just now must be released too.
    await this.ticking;
    const lease = this.lease ?? this.acquiredWhileStopping;
    this.acquiredWhileStopping = null;
    this.stepDown(null);
    if (lease) {
      try {
        await this.leases.release(lease, this.clock.now());
        this.logger.info({ epoch: lease.epoch }, 'sync lease released');
      } catch (error) {
        this.logger.warn({ error: errorSummary(error) }, 'sync lease could not be released; it runs out by itself');
      }
    }
  }

  private tick(): Promise<void> {
    this.ticking = this.tickOnce().finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async tickOnce(): Promise<void> {
    if (this.stopped) return;
    const { leaseTtlMs: ttl, leaseRenewMs: renewMs } = this.env.sync;
    const sentAt = performance.now();
    let nextInMs = renewMs;
    try {
      if (this.lease) {
        if (await this.leases.renew(this.lease, ttl, this.clock.now())) this.armDeadline(sentAt);
        else this.stepDown('the lease was taken over or ran out');
      } else {
        const lease = await this.leases.acquire(DEFAULT_PORTAL, this.env.instanceId, ttl, this.clock.now());
        this.heldElsewhere = lease === null;
        if (lease && this.stopped) this.acquiredWhileStopping = lease;
        if (lease && !this.stopped) {
          this.lease = lease;
          this.since = this.clock.now().getTime();
          this.armDeadline(sentAt);
          this.logger.info(
            { epoch: lease.epoch, instance: lease.holder },
            'this instance now syncs (sync lease taken)',
          );
          for (const wake of [...this.waiters]) wake();
        } else if (!lease) {
          // Held by another: try again right after it runs out, if that is before the next period.
          const remaining = await this.leases.remainingMs(DEFAULT_PORTAL, this.clock.now());
          if (remaining !== null) nextInMs = Math.min(renewMs, Math.max(0, remaining) + TAKEOVER_SLACK_MS);
        }
      }
    } catch (error) {
      // The store did not answer: the deadline timer ends the lead if it stays so.
      this.logger.warn({ error: errorSummary(error), role: this.role }, 'sync lease: the store did not answer');
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), nextInMs).unref();
  }

  /** Stop leading at the renewal's time + TTL − margin unless a later renewal moves it. */
  private armDeadline(sentAt: number): void {
    const { leaseTtlMs: ttl } = this.env.sync;
    const margin = Math.min(2_000, Math.round(ttl / 5));
    if (this.deadline) clearTimeout(this.deadline);
    const deadline = sentAt + ttl - margin;
    if (this.lease) this.gate?.openUntil(this.lease.holder, this.lease.epoch, deadline);
    this.deadline = setTimeout(
      () => this.stepDown('no renewal reached the store in time'),
      Math.max(0, deadline - performance.now()),
    ).unref();
  }

  private stepDown(reason: string | null): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = null;
    const lease = this.lease;
    this.lease = null;
    this.since = null;
    this.gate?.close(reason ?? 'this instance stopped');
    if (lease && reason)
      this.logger.warn({ epoch: lease.epoch, reason }, 'this instance stopped syncing (sync lease lost)');
  }
}
