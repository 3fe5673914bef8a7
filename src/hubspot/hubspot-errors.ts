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
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 429 (burst or search limit), 5xx, 423, network errors and time-outs that outlasted the adapter's own retries. */
export class HubSpotRetryableError extends HubSpotError {}

/** 400, 404, 409 and the like: the same request will fail again. */
export class HubSpotPermanentError extends HubSpotError {}

/** 429 with policy DAILY: the account's daily quota is spent; sync pauses until it resets. */
export class HubSpotDailyLimitError extends HubSpotError {}

/** 401 (token expired or revoked) or 403 (missing scope): sync stops until the token is fixed. */
export class HubSpotAuthError extends HubSpotError {}
