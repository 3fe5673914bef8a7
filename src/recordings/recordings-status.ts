import { Injectable } from '@nestjs/common';

/**
 * `ok`: keeping recordings (or nothing to keep); `paused`: HubSpot is not taking the stage's requests (an outage, the
 * daily limit, a token without the files scope), calls sync as usual; `off`: `recordings.mode: off`; `standby`:
 * another instance syncs and keeps them; `disabled`: this instance keeps none (`RECORDINGS_ENABLED=false`,
 * `SYNC_ENABLED=false`).
 */
export type RecordingsStageState = 'starting' | 'ok' | 'paused' | 'off' | 'standby' | 'disabled';

export interface RecordingsStatusView {
  state: RecordingsStageState;
  since: string;
  reason: string | null;
  nextTryAt: string | null;
}

/** The recordings stage's state for health and metrics, and what this instance stored since it started. */
@Injectable()
export class RecordingsStatus {
  private view: RecordingsStatusView = {
    state: 'starting',
    since: new Date().toISOString(),
    reason: null,
    nextTryAt: null,
  };

  readonly stats = { stored: 0, storedBytes: 0, dead: 0 };

  set(state: RecordingsStageState, reason: string | null = null, nextTryAt: Date | null = null): void {
    if (state === this.view.state && reason === this.view.reason) return;
    this.view = {
      state,
      since: state === this.view.state ? this.view.since : new Date().toISOString(),
      reason,
      nextTryAt: nextTryAt?.toISOString() ?? null,
    };
  }

  get(): RecordingsStatusView {
    return this.view;
  }

  noteStored(bytes: number): void {
    this.stats.stored++;
    this.stats.storedBytes += bytes;
  }

  noteDead(): void {
    this.stats.dead++;
  }
}
