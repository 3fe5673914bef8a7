import { NotLeadingError } from '../common/app-error.js';

/** What a request admitted by the gate carries: the signal that ends it at the lease's deadline, and its sender. */
export interface SendPass {
  signal: AbortSignal;
  headers: Record<string, string>;
}

interface OpenLease {
  instance: string;
  epoch: number;
  /** The local deadline, on the monotonic clock (`performance.now()`). */
  deadline: number;
  controller: AbortController;
  timer: NodeJS.Timeout;
}

/** Headers naming the sending instance and its lease epoch (HubSpot ignores them; the emulator records them). */
export const SENDER_INSTANCE_HEADER = 'x-connector-instance';
export const SENDER_EPOCH_HEADER = 'x-connector-epoch';

/**
 * Lets an instance send to HubSpot only while it holds the sync lease, and only until the lease's local deadline
 * (the last renewal's sending time + TTL − a margin, set by the sync leader): a request is refused before it is
 * sent once the deadline has passed, even if the timer that closes the gate has not run yet (a process resumed after
 * a freeze), and requests still in flight at the deadline are aborted. Together with the store's fence (every sync
 * write checks the epoch) this keeps an instance that lost the lease from acting on HubSpot after another took over.
 *
 * Every request carries the instance's name and epoch, so that HubSpot's side (the emulator's request log) can
 * show which instance sent it under which lease.
 */
export class HubSpotSendGate {
  private lease: OpenLease | null = null;
  /** The epoch the work now sending began under (set per batch by the worker); null: not bound to one. */
  private workEpoch: number | null = null;

  /**
   * Binds what is sent from now on to the lease of `epoch` (the worker's batch): a batch begun under one epoch never
   * sends under a later one, even when this instance leads again in between (a retry waiting out a backoff).
   */
  hold(epoch: number | null): void {
    this.workEpoch = epoch;
  }

  /** Opens (or keeps open) the gate for this lease until `deadline` (monotonic ms); a new epoch ends the old one's requests. */
  openUntil(instance: string, epoch: number, deadline: number): void {
    const current = this.lease;
    if (current && current.epoch === epoch && current.instance === instance) {
      clearTimeout(current.timer);
      current.deadline = deadline;
      current.timer = this.closeAt(deadline);
      return;
    }
    this.close(`epoch ${epoch} began`);
    this.lease = { instance, epoch, deadline, controller: new AbortController(), timer: this.closeAt(deadline) };
  }

  /** Closes the gate: nothing more is sent, and requests in flight are aborted. */
  close(reason: string): void {
    const lease = this.lease;
    if (!lease) return;
    this.lease = null;
    clearTimeout(lease.timer);
    lease.controller.abort(new NotLeadingError(`epoch ${lease.epoch}: ${reason}`));
  }

  /** Whether requests may be sent now. */
  get open(): boolean {
    return this.lease !== null && performance.now() < this.lease.deadline;
  }

  /** Called right before a request is sent: its pass, or `NotLeadingError` (nothing is sent). */
  admit(): SendPass {
    const lease = this.lease;
    if (!lease) throw new NotLeadingError('HubSpot requests are sent only by the instance that syncs');
    if (performance.now() >= lease.deadline) {
      this.close('the lease deadline passed');
      throw new NotLeadingError(`epoch ${lease.epoch}: the lease deadline passed`);
    }
    if (this.workEpoch !== null && this.workEpoch !== lease.epoch)
      throw new NotLeadingError(`work begun under epoch ${this.workEpoch} may not send under epoch ${lease.epoch}`);
    return {
      signal: lease.controller.signal,
      headers: { [SENDER_INSTANCE_HEADER]: lease.instance, [SENDER_EPOCH_HEADER]: String(lease.epoch) },
    };
  }

  private closeAt(deadline: number): NodeJS.Timeout {
    return setTimeout(() => this.close('the lease deadline passed'), Math.max(0, deadline - performance.now())).unref();
  }
}
