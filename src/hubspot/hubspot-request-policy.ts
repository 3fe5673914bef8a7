import { HubSpotRetryableError, type HubSpotError } from './hubspot-errors.js';

/**
 * When a failed HubSpot write is tried again, shared by the adapter (a request's retries) and the inbox worker (a
 * call's next attempt): exponential backoff with half jitter, so that retries spread out instead of arriving at
 * HubSpot together, and the rule that a write whose outcome is unknown is never sent again blindly.
 */

/** The wait before retry number `attempt` (1 for the first retry): between half and all of base·2^(attempt−1), at most `maxMs`. */
/** A file upload's deadline: the usual request time-out, plus a second per 256 KiB of the file. */
export function fileUploadTimeoutMs(requestTimeoutMs: number, bytes: number): number {
  return requestTimeoutMs + Math.ceil(bytes / 262_144) * 1000;
}

export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const backoff = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(backoff / 2 + random() * (backoff / 2));
}

/** HubSpot surely did not apply a request answered with these (rate limited; the record was locked). */
export function surelyNotApplied(status: number): boolean {
  return status === 429 || status === 423;
}

/**
 * What to do with a failed request: send it again (retryable, and idempotent or surely not applied), report its
 * outcome as unknown (retryable but maybe applied: a create is looked up before it is ever sent again), or give up.
 */
export function afterFailure(
  failure: HubSpotError,
  request: { idempotent: boolean; applied: boolean; attempt: number; maxAttempts: number },
): 'resend' | 'outcome-unknown' | 'give-up' {
  if (!(failure instanceof HubSpotRetryableError)) return 'give-up';
  if (!request.idempotent && request.applied) return 'outcome-unknown';
  return request.attempt >= request.maxAttempts ? 'give-up' : 'resend';
}
