/**
 * What can go wrong with a whole HubSpot request, sorted by what the connector does about it. Messages carry
 * HubSpot's category and correlation id, never request data.
 */
export abstract class HubSpotError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly category: string | null,
    readonly correlationId: string | null,
    /** What HubSpot's answer names: properties, error codes, ids, missing scopes (see `errorDetails`). */
    readonly details: HubSpotErrorDetails = NO_DETAILS,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * What an operator needs to find a refusal in HubSpot's own logs, as a suffix for a stored reason:
 * ` (VALIDATION_ERROR, status 400, correlation id …)`, or nothing if HubSpot named none of these.
 */
export function refusalDetail(failure: {
  status: number | null;
  category: string | null;
  correlationId: string | null;
}): string {
  const parts = [
    failure.category,
    failure.status ? `status ${failure.status}` : null,
    failure.correlationId ? `correlation id ${failure.correlationId}` : null,
  ].filter(Boolean);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** The parts of a HubSpot error body the connector acts on. */
export interface HubSpotErrorDetails {
  /** Property names the error is about (`context.propertyName`, the JSON inside "Property values were not valid"). */
  properties: string[];
  /** Error codes: `INVALID_OPTION`, `PROPERTY_DOESNT_EXIST`, `READ_ONLY_VALUE`, `REQUIRED_PROPERTY`, … */
  codes: string[];
  /** Object ids the error names (`context.ids`, `context.invalidIds`). */
  ids: string[];
  /** `objectWriteTraceId`s the error names (batch inputs). */
  traceIds: string[];
  /** Scopes a 403 says are missing (`requiredGranularScopes`). */
  scopes: string[];
  /** Each property HubSpot names with the code of its own problem (a write may have several). */
  problems: Array<{ property: string; code: string }>;
}

export const NO_DETAILS: HubSpotErrorDetails = Object.freeze({
  properties: [],
  codes: [],
  ids: [],
  traceIds: [],
  scopes: [],
  problems: [],
});

/** 429 (burst or search limit), 5xx, 423, network errors and time-outs that outlasted the adapter's own retries. */
export class HubSpotRetryableError extends HubSpotError {}

/**
 * A write that is not idempotent (a create) failed in a way that does not say whether HubSpot applied it: a 5xx,
 * a time-out or a dropped connection. It is never sent again blindly: the caller looks for what it wrote first.
 */
export class HubSpotOutcomeUnknownError extends HubSpotRetryableError {}

/** 400, 404, 409 and the like: a deterministic refusal; the same request will fail again. Never an outage. */
export class HubSpotPermanentError extends HubSpotError {}

/** 429 with policy DAILY: the account's daily quota is spent; sync pauses until it resets. */
export class HubSpotDailyLimitError extends HubSpotError {}

/** 401 (token expired or revoked) or 403 (missing scope): sync stops until the token is fixed. */
export class HubSpotAuthError extends HubSpotError {}
