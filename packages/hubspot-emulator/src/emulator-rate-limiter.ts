/**
 * HubSpot's three rate limits: a rolling burst window per token (non-search requests), a per-second limit on
 * search requests, and a daily limit for the whole account. `EmulatorLimits` also carries the portal's other
 * configurable limits and settings (search lag, custom property cap, hs_marketable_status writes), so that all of
 * them are set the same way (`limits` start option, `PUT /_emulator/limits`).
 */
import type { RateLimitPolicy } from './emulator-error.js';

export interface EmulatorLimits {
  /** Requests per burst window per token (HubSpot: 100 per 10 s for Free/Starter private apps). */
  burstPer10s: number;
  /** Length of the burst window; 10 000 ms in HubSpot, shorter in tests that want the window to pass quickly. */
  burstWindowMs: number;
  /** Search requests per second for the account (HubSpot: 5). */
  searchPerSecond: number;
  /** Requests per day for the account; search requests count too. */
  daily: number;
  /** How long after its last write an object becomes visible to search. */
  searchLagMs: number;
  /**
   * Whether a request refused with 429 still counts against its rolling window. HubSpot does not document it;
   * the default (true) is the stricter reading, so a client that keeps hammering stays locked out until it
   * backs off for a whole window.
   */
  countRejectedRequests: boolean;
  /**
   * Custom (non-HubSpot-defined) properties allowed per object type. HubSpot's cap depends on the subscription
   * and is read with `GET /crm/v3/limits/custom-properties` (hubspot.md, "Hard limits", limits-tracking guide:
   * https://developers.hubspot.com/docs/api-reference/2026-03/crm/limits-tracking/get-custom-properties); the
   * default of 1000 is a stand-in, not a documented figure.
   */
  customPropertiesPerObject: number;
  /**
   * What a write that sets `hs_marketable_status` gets. HubSpot's knowledge base says the status cannot be
   * modified through the API (hubspot.md, "Hard limits", marketing contacts for integrations) but not whether such
   * a write is refused or ignored (unconfirmed): `'refuse'` answers a 400 property-values error for that property
   * (per input in batches), `'ignore'` accepts the write and does not store the value.
   */
  marketableStatusWrites: MarketableStatusWrites;
  /**
   * Largest file `POST /files/v3/files` accepts, in bytes; a larger one is refused with 413 and not kept. HubSpot's
   * upload docs defer to a Knowledge Base article for the limit ("Uploaded files are subject to the limits and
   * supported formats outlined in this Knowledge Base article",
   * https://developers.hubspot.com/docs/api-reference/files-files-v3/guide); that article was not among the sources
   * available here, so the default of 2 GiB is a stand-in, not a documented figure. Tests lower it.
   */
  fileUploadMaxBytes: number;
}

export type MarketableStatusWrites = 'refuse' | 'ignore';

export const DEFAULT_LIMITS: EmulatorLimits = {
  burstPer10s: 100,
  burstWindowMs: 10_000,
  searchPerSecond: 5,
  daily: 1_000_000,
  searchLagMs: 0,
  countRejectedRequests: true,
  customPropertiesPerObject: 1000,
  marketableStatusWrites: 'refuse',
  fileUploadMaxBytes: 2 * 1024 * 1024 * 1024,
};

export type LimitClass = 'standard' | 'search';

export type RateLimitDecision =
  | { allowed: true; headers: Record<string, string> }
  | { allowed: false; policy: RateLimitPolicy; headers: Record<string, string> };

/** Buckets per window: fine enough that a request is forgotten at most 0.1% of a window late, never early. */
const BUCKETS_PER_WINDOW = 1000;
/** Bounds memory when any bearer token is accepted and clients send many different ones. */
const MAX_TRACKED_TOKENS = 10_000;

/**
 * A rolling-window counter in O(1) memory: time is cut into buckets; an event is dropped only once the whole
 * window has passed since the bucket it fell into ended, so the window never forgets an event early.
 */
export class RollingWindowCounter {
  private readonly buckets: Float64Array;
  private readonly bucketMs: number;
  private lastSlot = -Infinity;
  private total = 0;

  constructor(readonly windowMs: number) {
    this.bucketMs = Math.max(1, windowMs / BUCKETS_PER_WINDOW);
    const slotsPerWindow = Math.ceil(windowMs / this.bucketMs);
    this.buckets = new Float64Array(slotsPerWindow + 1);
  }

  count(now: number): number {
    this.advance(now);
    return this.total;
  }

  add(now: number): void {
    this.advance(now);
    const slot = Math.floor(now / this.bucketMs);
    const position = slot % this.buckets.length;
    this.buckets[position] = (this.buckets[position] ?? 0) + 1;
    this.total += 1;
  }

  private advance(now: number): void {
    const slot = Math.floor(now / this.bucketMs);
    if (slot <= this.lastSlot) return;
    if (slot - this.lastSlot >= this.buckets.length) {
      this.buckets.fill(0);
      this.total = 0;
    } else {
      for (let passed = this.lastSlot + 1; passed <= slot; passed += 1) {
        const position = passed % this.buckets.length;
        this.total -= this.buckets[position] ?? 0;
        this.buckets[position] = 0;
      }
    }
    this.lastSlot = slot;
  }
}

export interface RateLimitUsage {
  burstUsedByToken: Record<string, number>;
  searchUsed: number;
  dailyUsed: number;
  day: string;
}

export class EmulatorRateLimiter {
  private limits: EmulatorLimits;
  private burstByToken = new Map<string, RollingWindowCounter>();
  private search: RollingWindowCounter;
  private dailyUsed = 0;
  private day: string;

  constructor(
    limits: EmulatorLimits,
    private readonly clock: () => number,
  ) {
    this.limits = { ...limits };
    this.search = new RollingWindowCounter(1000);
    this.day = utcDay(clock());
  }

  get current(): EmulatorLimits {
    return { ...this.limits };
  }

  /** One limit or setting, without copying them all (read on every write). */
  limit<K extends keyof EmulatorLimits>(key: K): EmulatorLimits[K] {
    return this.limits[key];
  }

  configure(limits: EmulatorLimits): void {
    if (limits.burstWindowMs !== this.limits.burstWindowMs) this.burstByToken.clear();
    this.limits = { ...limits };
  }

  /** Forgets all usage (windows and the daily count). */
  resetUsage(): void {
    this.burstByToken.clear();
    this.search = new RollingWindowCounter(1000);
    this.resetDay();
  }

  resetDay(): void {
    this.dailyUsed = 0;
    this.day = utcDay(this.clock());
  }

  /** Decides on one authenticated request and counts it. */
  admit(limitClass: LimitClass, token: string): RateLimitDecision {
    const now = this.clock();
    this.rollDay(now);
    const burst = this.burstCounter(token);

    if (this.dailyUsed >= this.limits.daily) {
      return { allowed: false, policy: 'DAILY', headers: this.headers(limitClass, burst, now) };
    }
    const window = limitClass === 'search' ? this.search : burst;
    const max = limitClass === 'search' ? this.limits.searchPerSecond : this.limits.burstPer10s;
    if (window.count(now) >= max) {
      if (this.limits.countRejectedRequests) window.add(now);
      const policy: RateLimitPolicy = limitClass === 'search' ? 'SECONDLY' : 'TEN_SECONDLY_ROLLING';
      return { allowed: false, policy, headers: this.headers(limitClass, burst, now) };
    }
    window.add(now);
    this.dailyUsed += 1;
    return { allowed: true, headers: this.headers(limitClass, burst, now) };
  }

  usage(): RateLimitUsage {
    const now = this.clock();
    this.rollDay(now);
    const burstUsedByToken: Record<string, number> = {};
    for (const [token, counter] of this.burstByToken) burstUsedByToken[maskToken(token)] = counter.count(now);
    return { burstUsedByToken, searchUsed: this.search.count(now), dailyUsed: this.dailyUsed, day: this.day };
  }

  /** HubSpot sends these on every non-search response and none on search responses. */
  private headers(limitClass: LimitClass, burst: RollingWindowCounter, now: number): Record<string, string> {
    if (limitClass === 'search') return {};
    return {
      'X-HubSpot-RateLimit-Max': String(this.limits.burstPer10s),
      'X-HubSpot-RateLimit-Remaining': String(Math.max(0, this.limits.burstPer10s - burst.count(now))),
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(this.limits.burstWindowMs),
      'X-HubSpot-RateLimit-Daily': String(this.limits.daily),
      'X-HubSpot-RateLimit-Daily-Remaining': String(Math.max(0, this.limits.daily - this.dailyUsed)),
    };
  }

  private burstCounter(token: string): RollingWindowCounter {
    let counter = this.burstByToken.get(token);
    if (!counter) {
      if (this.burstByToken.size >= MAX_TRACKED_TOKENS) {
        const oldest = this.burstByToken.keys().next().value;
        if (oldest !== undefined) this.burstByToken.delete(oldest);
      }
      counter = new RollingWindowCounter(this.limits.burstWindowMs);
      this.burstByToken.set(token, counter);
    }
    return counter;
  }

  /** Approximation: HubSpot resets at midnight in the account's time zone; the emulator uses UTC. */
  private rollDay(now: number): void {
    const today = utcDay(now);
    if (today !== this.day) {
      this.day = today;
      this.dailyUsed = 0;
    }
  }
}

function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** Usage reports never show whole tokens. */
function maskToken(token: string): string {
  return token.length <= 8 ? '****' : `${token.slice(0, 4)}…${token.slice(-4)}`;
}
