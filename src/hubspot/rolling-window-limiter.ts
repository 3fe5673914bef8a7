/**
 * Client-side twin of HubSpot's rolling-window limits (100 requests / 10 s burst, 5 / s search). A request counts
 * from the moment it is sent until `windowMs` after its answer came back: HubSpot counts it on arrival, which is
 * somewhere in between, so counting to the later instant never lets the client run ahead of the server.
 * Acquisitions are served in order.
 */
export class RollingWindowLimiter {
  /**
   * A request leaves the window this much later than `windowMs` after its answer: servers count in time buckets and
   * forget a request up to a bucket late. 2 % of the window (plus 25 ms) costs 2 % of throughput and buys no 429s.
   */
  private readonly marginMs: number;
  /** Times of answered requests still inside the window, oldest first. */
  private readonly answered: number[] = [];
  private inFlight = 0;
  private blockedUntil = 0;
  private queue: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;

  constructor(
    private limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(limit >= 1)) throw new Error('limit must be at least 1');
    this.marginMs = Math.round(windowMs * 0.02) + 25;
  }

  /** Waits for a slot; the returned function must be called once the request has been answered (or failed). */
  acquire(): Promise<() => void> {
    const turn = this.queue.then(() => this.waitForSlot());
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn.then(() => {
      this.inFlight++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        this.inFlight--;
        this.answered.push(this.now());
        this.wake?.();
      };
    });
  }

  get currentLimit(): number {
    return this.limit;
  }

  /** HubSpot announced a different limit for this window (its rate-limit headers): follow it from now on. */
  setLimit(limit: number): void {
    if (limit >= 1) this.limit = limit;
  }

  /** Holds every request until `until` (epoch ms): HubSpot said 429 and named a wait. */
  blockUntil(until: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, until);
  }

  /** Requests counted in the current window (for metrics and tests). */
  usage(): number {
    this.prune();
    return this.answered.length + this.inFlight;
  }

  private prune(): void {
    const horizon = this.now() - this.windowMs - this.marginMs;
    while (this.answered.length > 0 && this.answered[0]! <= horizon) this.answered.shift();
  }

  private async waitForSlot(): Promise<void> {
    for (;;) {
      this.prune();
      const now = this.now();
      if (now < this.blockedUntil) {
        await this.sleep(this.blockedUntil - now);
        continue;
      }
      if (this.answered.length + this.inFlight < this.limit) return;
      // Full: wait until the oldest answered request leaves the window, or until an in-flight one is answered.
      const oldest = this.answered[0];
      await this.sleep(oldest === undefined ? this.windowMs : oldest + this.windowMs + this.marginMs - now + 1);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      this.wake = done;
    });
  }
}
