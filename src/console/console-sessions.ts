import { Inject, Injectable } from '@nestjs/common';
import { AppError, UnauthorizedError } from '../common/app-error.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { errorSummary } from '../common/app-exception.filter.js';
import { APP_ENV } from '../config/config.tokens.js';
import type { AppEnv } from '../config/env.schema.js';
import { HUBSPOT_CONNECTION, type HubSpotConnection } from '../hubspot/hubspot.module.js';
import { AppLogger } from '../logging/app-logger.js';
import { ConsoleRepository, type ConsoleSessionRow } from '../store/console.repository.js';
import { AuthThrottle } from '../webhooks/auth-throttle.js';
import { secretMatches } from '../webhooks/webhook-auth.js';
import { hashSecret, newSecret, readCookie, sameSecret, SESSION_COOKIE, sessionState } from './console-security.js';

export type ConsoleKind = 'admin' | 'viewer';
export type ConsoleActor = ConsoleKind | 'sandbox-link';

/** A signed-in console session, as a request carries it (never its secret). */
export interface ConsoleSession {
  /** The stored id: SHA-256 (hex) of the cookie's secret. */
  id: string;
  kind: ConsoleKind;
  via: 'token' | 'sandbox-link';
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
}

/** Who a session is in the audit log: its kind, or `sandbox-link` for one opened with the start-up link. */
export function actorOf(session: Pick<ConsoleSession, 'kind' | 'via'>): ConsoleActor {
  return session.via === 'sandbox-link' ? 'sandbox-link' : session.kind;
}

/** The first 8 hex characters of the session's stored hash: what the audit log keeps of it. */
export function sessionTag(session: Pick<ConsoleSession, 'id'>): string {
  return session.id.slice(0, 8);
}

/** Neither `ADMIN_TOKEN` nor `CONSOLE_VIEWER_TOKEN` is set: the console is closed. */
export class ConsoleClosedError extends AppError {
  constructor() {
    super(
      'console_closed',
      404,
      'the console is closed: set ADMIN_TOKEN (and CONSOLE_VIEWER_TOKEN for read-only access)',
    );
  }
}

/** How long sandbox mode's one-time start-up link may be used. */
export const SANDBOX_LINK_MS = 10 * 60_000;
/** A session's last-seen time is written at most this often (not at every request). */
const TOUCH_EVERY_MS = 60_000;

/**
 * Console sign-in and sessions. A token is compared in constant time with `ADMIN_TOKEN` (an admin session) and
 * `CONSOLE_VIEWER_TOKEN` (read-only), wrong ones slowed down per address as webhook secrets are. A session is a random
 * secret in an HttpOnly cookie; the store keeps its hash, its kind, its CSRF token and its times, so that it holds on
 * every instance sharing the store. It ends after `CONSOLE_SESSION_HOURS`, or `CONSOLE_SESSION_IDLE_MINUTES` without a
 * request, or at sign-out.
 *
 * Sandbox mode with a made-up `ADMIN_TOKEN` prints a one-time start-up link instead: its code is kept here (its hash,
 * in this process only: the link is this instance's), good once, for ten minutes.
 */
@Injectable()
export class ConsoleSessions {
  private linkCode: { hash: string; until: number; used: boolean } | null = null;
  private linkIssued = false;

  constructor(
    private readonly repository: ConsoleRepository,
    private readonly throttle: AuthThrottle,
    private readonly logger: AppLogger,
    @Inject(APP_ENV) private readonly env: AppEnv,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(HUBSPOT_CONNECTION) private readonly connection: HubSpotConnection,
  ) {}

  /** Whether any token opens the console. */
  get open(): boolean {
    return this.env.adminToken !== null || this.env.console.viewerToken !== null;
  }

  get sandbox(): boolean {
    return this.connection.mode === 'sandbox';
  }

  private get idleMs(): number {
    return this.env.console.sessionIdleMinutes * 60_000;
  }

  /**
   * The kind of session a token opens; a wrong one throws `UnauthorizedError` (429 once the address sent too many).
   * Both tokens are always compared, so that timing does not tell which one a guess came near.
   */
  authenticateToken(token: unknown, sender: string): ConsoleKind {
    let kind: ConsoleKind | null = null;
    this.throttle.guard(sender, () => {
      const presented = typeof token === 'string' ? token : null;
      const admin = secretMatches(presented, this.env.adminToken);
      const viewer = secretMatches(presented, this.env.console.viewerToken);
      kind = admin ? 'admin' : viewer ? 'viewer' : null;
      if (!kind) throw new UnauthorizedError(presented ? 'wrong token' : 'missing token');
    });
    this.throttle.succeed(sender);
    return kind!;
  }

  /** A new session: its secret (for the cookie, shown nowhere else) and what the store keeps of it. */
  async create(kind: ConsoleKind, via: ConsoleSession['via']): Promise<{ secret: string; session: ConsoleSession }> {
    const now = this.clock.now();
    // Sessions that ended are removed as new ones begin: the table holds the live ones and a few more.
    await this.repository
      .deleteExpired(now, new Date(now.getTime() - this.idleMs))
      .catch((error: unknown) =>
        this.logger.warn({ error: errorSummary(error) }, 'console: ended sessions could not be removed'),
      );
    const secret = newSecret();
    const row: ConsoleSessionRow = {
      id: hashSecret(secret),
      kind,
      via,
      csrf_token: newSecret(),
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      expires_at: new Date(now.getTime() + this.env.console.sessionHours * 3_600_000).toISOString(),
    };
    await this.repository.createSession(row);
    return { secret, session: asSession(row) };
  }

  /** The live session a request's cookie names, or null (none, unknown, or ended: an ended one is removed). */
  async authenticate(cookieHeader: string | undefined): Promise<ConsoleSession | null> {
    const secret = readCookie(cookieHeader, SESSION_COOKIE);
    if (!secret) return null;
    const row = await this.repository.findSession(hashSecret(secret));
    if (!row) return null;
    const now = this.clock.now();
    if (sessionState(row, now, this.idleMs) !== 'live') {
      await this.repository.deleteSession(row.id);
      return null;
    }
    if (Date.parse(row.last_seen_at) + TOUCH_EVERY_MS <= now.getTime()) await this.repository.touchSession(row.id, now);
    return asSession(row);
  }

  async end(session: ConsoleSession): Promise<void> {
    await this.repository.deleteSession(session.id);
  }

  /** Seconds until the session's absolute end (the cookie's Max-Age). */
  secondsLeft(session: ConsoleSession): number {
    return Math.max(0, Math.ceil((Date.parse(session.expiresAt) - this.clock.now().getTime()) / 1000));
  }

  /**
   * Sandbox mode's one-time sign-in code, once per run (null after the first call, outside sandbox mode, and when
   * `ADMIN_TOKEN` was set rather than made up: then the admin signs in with it).
   */
  issueSandboxLink(): string | null {
    if (this.linkIssued || !this.sandbox || !this.env.generatedSecrets.includes('ADMIN_TOKEN')) return null;
    this.linkIssued = true;
    const code = newSecret();
    this.linkCode = { hash: hashSecret(code), until: this.clock.now().getTime() + SANDBOX_LINK_MS, used: false };
    return code;
  }

  /** Takes the start-up link's code: true once, within its ten minutes; wrong codes count as wrong tokens do. */
  redeemSandboxLink(code: unknown, sender: string): void {
    this.throttle.guard(sender, () => {
      const link = this.linkCode;
      const matches = link !== null && sameSecret(typeof code === 'string' ? hashSecret(code) : null, link.hash);
      if (!link || !matches) throw new UnauthorizedError('wrong or unknown sign-in code');
      if (link.used) throw new UnauthorizedError('this sign-in code was used already');
      if (this.clock.now().getTime() > link.until) throw new UnauthorizedError('this sign-in code has expired');
      link.used = true;
    });
    this.throttle.succeed(sender);
  }
}

function asSession(row: ConsoleSessionRow): ConsoleSession {
  return {
    id: row.id,
    kind: row.kind,
    via: row.via,
    csrfToken: row.csrf_token,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
