import { isIPv6 } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { TooManyAuthFailuresError, UnauthorizedError } from '../common/app-error.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { APP_ENV } from '../config/config.tokens.js';
import type { AppEnv } from '../config/env.schema.js';

/** How long failures are remembered, and an address stays refused once over the limit. */
const WINDOW_MS = 60_000;
/** How long an address that sent a right secret is known as a sender's (its right secrets are never refused). */
const KNOWN_MS = 24 * 60 * 60_000;
/** Addresses remembered at most, in each table (the oldest are forgotten first): memory stays bounded whoever sends. */
const MAX_ADDRESSES = 10_000;

interface Failures {
  times: number[];
  blockedUntil: number;
}

/**
 * Slows down guessing of secrets (webhook secrets, the admin token): an address that sends more wrong (or missing)
 * secrets than `AUTH_FAILURES_PER_MINUTE` within a minute is answered 429 with `Retry-After` until the minute has
 * passed, its secret not even compared. An address that sent a right secret within the last day (a vendor's own,
 * or a proxy or NAT it shares with others) is never locked out: its secrets are still compared, a right one is
 * taken and only wrong ones are answered 429. IPv6 senders are counted per /64, the block one host is given.
 */
@Injectable()
export class AuthThrottle {
  private readonly byAddress = new Map<string, Failures>();
  private readonly known = new Map<string, number>();
  readonly stats = { failures: 0, throttled: 0 };

  constructor(
    @Inject(APP_ENV) private readonly env: AppEnv,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Seconds the address must wait, or 0 when its secret is to be compared. For an address known as a sender's,
   * `whenWrong` is that wait: the secret is compared, and only a wrong one is refused with it.
   */
  check(address: string): { wait: number; whenWrong: number } {
    const key = throttleKey(address);
    const entry = this.byAddress.get(key);
    const now = this.clock.now().getTime();
    const left = entry && entry.blockedUntil > now ? Math.ceil((entry.blockedUntil - now) / 1000) : 0;
    if (left === 0) return { wait: 0, whenWrong: 0 };
    if ((this.known.get(key) ?? -Infinity) > now - KNOWN_MS) return { wait: 0, whenWrong: left };
    this.stats.throttled++;
    return { wait: left, whenWrong: left };
  }

  /**
   * Runs `authenticate` (which throws `UnauthorizedError` for a wrong or missing secret) under the limit: 429 for an
   * address over it, its secret not compared, unless the address is known as a sender's; then only a wrong secret
   * gets the 429. Call `succeed` once the sender is accepted.
   */
  guard(address: string, authenticate: () => void): void {
    const { wait, whenWrong } = this.check(address);
    if (wait > 0) throw new TooManyAuthFailuresError(wait);
    try {
      authenticate();
    } catch (error) {
      if (!(error instanceof UnauthorizedError)) throw error;
      this.fail(address);
      if (whenWrong > 0) {
        this.stats.throttled++;
        throw new TooManyAuthFailuresError(whenWrong);
      }
      throw error;
    }
  }

  /** A right secret from the address. */
  succeed(address: string): void {
    const key = throttleKey(address);
    this.known.delete(key);
    this.known.set(key, this.clock.now().getTime());
    if (this.known.size > MAX_ADDRESSES) this.known.delete(this.known.keys().next().value!);
  }

  /** A wrong or missing secret from the address. */
  fail(address: string): void {
    this.stats.failures++;
    const limit = this.env.http.authFailuresPerMinute;
    if (limit === 0) return;
    const key = throttleKey(address);
    const now = this.clock.now().getTime();
    const entry = this.byAddress.get(key) ?? { times: [], blockedUntil: 0 };
    this.byAddress.delete(key);
    entry.times = [...entry.times.filter((time) => time > now - WINDOW_MS), now].slice(-(limit + 1));
    if (entry.times.length > limit) entry.blockedUntil = now + WINDOW_MS;
    this.byAddress.set(key, entry);
    if (this.byAddress.size > MAX_ADDRESSES) this.byAddress.delete(this.byAddress.keys().next().value!);
  }
}

/** The address an IPv4 sender is counted by, or the /64 of an IPv6 one (its first four groups). */
export function throttleKey(address: string): string {
  if (!isIPv6(address)) return address;
  const [head = '', tail] = address.toLowerCase().split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (::ffff:192.0.2.1) takes two groups.
  const width = right.concat(left).some((group) => group.includes('.')) ? 7 : 8;
  const groups =
    tail === undefined
      ? left
      : [...left, ...new Array<string>(Math.max(0, width - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
