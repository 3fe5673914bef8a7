import { Injectable } from '@nestjs/common';

/** Where HubSpot sync stands, for health and metrics. Written by the worker, read by the health check. */
export type HubSpotSyncState =
  /** Not yet talked to HubSpot. */
  | 'starting'
  | 'ok'
  /** A DAILY 429: paused until the account's day resets (probed periodically). */
  | 'paused-daily-limit'
  /** 401 or 403: stopped until the token or its scopes are fixed (probed periodically). */
  | 'auth-failed'
  /** HubSpot failed whole requests (5xx, time-outs, network) beyond the adapter's retries: backing off. */
  | 'unavailable'
  /** The portal has a property the connector needs, of the wrong type: an admin must fix it. */
  | 'misconfigured';

export interface HubSpotStatusView {
  state: HubSpotSyncState;
  since: string;
  reason: string | null;
  nextProbeAt: string | null;
  mode: 'hubspot' | 'sandbox';
}

@Injectable()
export class HubSpotStatus {
  private view: HubSpotStatusView = { state: 'starting', since: new Date().toISOString(), reason: null, nextProbeAt: null, mode: 'hubspot' };

  setMode(mode: 'hubspot' | 'sandbox'): void {
    this.view = { ...this.view, mode };
  }

  set(state: HubSpotSyncState, reason: string | null = null, nextProbeAt: Date | null = null): void {
    const since = state === this.view.state ? this.view.since : new Date().toISOString();
    this.view = { ...this.view, state, since, reason, nextProbeAt: nextProbeAt?.toISOString() ?? null };
  }

  get(): HubSpotStatusView {
    return this.view;
  }
}
