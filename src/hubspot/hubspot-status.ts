import { Injectable } from '@nestjs/common';
import { maskPersonalData } from '../common/personal-data.js';

/** Where HubSpot sync stands, for health and metrics. Written by the worker, read by the health check. */
export type HubSpotSyncState =
  /** Not yet talked to HubSpot. */
  | 'starting'
  /** Another instance holds the sync lease: this one takes webhooks and does not talk to HubSpot. */
  | 'standby'
  | 'ok'
  /** A DAILY 429: paused until the account's day resets (probed periodically). */
  | 'paused-daily-limit'
  /** 401 or 403: stopped until the token or its scopes are fixed (probed periodically). */
  | 'auth-failed'
  /** HubSpot failed whole requests (5xx, time-outs, network) beyond the adapter's retries: backing off. */
  | 'unavailable'
  /**
   * The portal does not take what the mapping writes: a needed property of the wrong type or missing, one HubSpot
   * refused to create (a portal limit), a refused set-up request. The reason names it; an admin must fix it.
   */
  | 'misconfigured';

export interface HubSpotStatusView {
  state: HubSpotSyncState;
  since: string;
  reason: string | null;
  nextProbeAt: string | null;
  mode: 'hubspot' | 'sandbox';
  /** What an admin should know while sync goes on: an option limit reached, a property HubSpot refused to create. */
  warnings: string[];
  /** Events whose sync threw (not HubSpot's refusal, not an outage): by id and error name, never their content. */
  failingEvents: Array<{ eventId: number; error: string; since: string }>;
}

/** How many failing events health lists (the most recent). */
const MAX_FAILING_EVENTS = 20;

@Injectable()
export class HubSpotStatus {
  private view: HubSpotStatusView = {
    state: 'starting',
    since: new Date().toISOString(),
    reason: null,
    nextProbeAt: null,
    mode: 'hubspot',
    warnings: [],
    failingEvents: [],
  };

  private portal: string | null = null;

  /** The portal the token belongs to, as HubSpot's account details named it (for links into app.hubspot.com). */
  setPortalId(portalId: string | null): void {
    if (portalId !== null) this.portal = portalId;
  }

  get portalId(): string | null {
    return this.portal;
  }

  setMode(mode: 'hubspot' | 'sandbox'): void {
    this.view = { ...this.view, mode };
  }

  set(state: HubSpotSyncState, reason: string | null = null, nextProbeAt: Date | null = null): void {
    const since = state === this.view.state ? this.view.since : new Date().toISOString();
    // Health needs no token: a reason quoting HubSpot's message has its personal data masked.
    this.view = {
      ...this.view,
      state,
      since,
      reason: reason === null ? null : maskPersonalData(reason),
      nextProbeAt: nextProbeAt?.toISOString() ?? null,
    };
  }

  setWarnings(warnings: string[]): void {
    this.view = { ...this.view, warnings: warnings.map((warning) => maskPersonalData(warning)) };
  }

  noteFailingEvent(eventId: number, error: string): void {
    const others = this.view.failingEvents.filter((entry) => entry.eventId !== eventId);
    const since = this.view.failingEvents.find((entry) => entry.eventId === eventId)?.since ?? new Date().toISOString();
    this.view = { ...this.view, failingEvents: [...others, { eventId, error, since }].slice(-MAX_FAILING_EVENTS) };
  }

  clearFailingEvent(eventId: number): void {
    if (this.view.failingEvents.some((entry) => entry.eventId === eventId)) {
      this.view = { ...this.view, failingEvents: this.view.failingEvents.filter((entry) => entry.eventId !== eventId) };
    }
  }

  get(): HubSpotStatusView {
    return this.view;
  }
}
