import { describe, expect, it } from 'vitest';
import { HubSpotPermanentError, HubSpotRetryableError } from './hubspot-errors.js';
import { afterFailure, backoffMs, surelyNotApplied } from './hubspot-request-policy.js';

describe('HubSpot request policy', () => {
  it('backs off exponentially with half jitter, capped', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffMs(attempt, 100, 10_000, () => 1))).toEqual([100, 200, 400, 800]);
    expect([1, 2, 3, 4].map((attempt) => backoffMs(attempt, 100, 10_000, () => 0))).toEqual([50, 100, 200, 400]);
    expect(backoffMs(20, 100, 10_000, () => 1)).toBe(10_000);
  });

  it('never resends a write HubSpot may have applied, and resends one it surely did not', () => {
    const outage = new HubSpotRetryableError('bad gateway', 502, null, null);
    const limited = new HubSpotRetryableError('slow down', 429, 'RATE_LIMITS', null);
    expect(afterFailure(outage, { idempotent: false, applied: true, attempt: 1, maxAttempts: 5 })).toBe(
      'outcome-unknown',
    );
    expect(
      afterFailure(limited, { idempotent: false, applied: !surelyNotApplied(429), attempt: 1, maxAttempts: 5 }),
    ).toBe('resend');
    expect(afterFailure(outage, { idempotent: true, applied: true, attempt: 1, maxAttempts: 5 })).toBe('resend');
    expect(afterFailure(outage, { idempotent: true, applied: true, attempt: 5, maxAttempts: 5 })).toBe('give-up');
  });

  it('gives up at once on a deterministic refusal', () => {
    expect(
      afterFailure(new HubSpotPermanentError('bad property', 400, 'VALIDATION_ERROR', null), {
        idempotent: true,
        applied: false,
        attempt: 1,
        maxAttempts: 5,
      }),
    ).toBe('give-up');
  });
});
