import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { APP_ENV } from '../config/config.tokens.js';
import type { AppEnv } from '../config/env.schema.js';

/** How long failures are remembered, and an address stays refused once over the limit. */
const WINDOW_MS = 60_000;
/** Addresses remembered at most (the oldest are forgotten first): memory stays bounded whoever sends. */
const MAX_ADDRESSES = 10_000;

interface Failures {
  times: number[];
  blockedUntil: number;
}

/**
 * Slows down guessing of webhook secrets: an address that sends more wrong (or missing) secrets than
 * `AUTH_FAILURES_PER_MINUTE` within a minute is answered 429 with `Retry-After`, its secret not even compared, until
 * the minute has passed. A vendor sending the right secret from its own address never accumulates failures.
 */
@Injectable()
export class AuthThrottle {
  private readonly byAddress = new Map<string, Failures>();
  readonly stats = { failures: 0, throttled: 0 };

  constructor(
    @Inject(APP_ENV) private readonly env: AppEnv,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Seconds the address must wait, or 0 when it may try. */
  retryAfterSeconds(address: string): number {
    const entry = this.byAddress.get(address);
    const now = this.clock.now().getTime();
    if (!entry || entry.blockedUntil <= now) return 0;
    this.stats.throttled++;
    return Math.ceil((entry.blockedUntil - now) / 1000);
  }

  fail(address: string): void {
    this.stats.failures++;
    const limit = this.env.http.authFailuresPerMinute;
    if (limit === 0) return;
    const now = this.clock.now().getTime();
    const entry = this.byAddress.get(address) ?? { times: [], blockedUntil: 0 };
    this.byAddress.delete(address);
    entry.times = [...entry.times.filter((time) => time > now - WINDOW_MS), now].slice(-(limit + 1));
    if (entry.times.length > limit) entry.blockedUntil = now + WINDOW_MS;
    this.byAddress.set(address, entry);
    if (this.byAddress.size > MAX_ADDRESSES) this.byAddress.delete(this.byAddress.keys().next().value!);
  }
}
