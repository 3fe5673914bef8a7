import { errorDetails } from './hubspot-error-details.js';
import {
  HubSpotAuthError,
  HubSpotDailyLimitError,
  HubSpotPermanentError,
  HubSpotRetryableError,
  NO_DETAILS,
  type HubSpotError,
} from './hubspot-errors.js';
import type { HubSpotHttpResponse } from './hubspot-transport.js';
import type { BatchOutcome, InputFailure } from './hubspot.port.js';

/**
 * HubSpot's answers sorted into our error classes: a whole answer (retryable, permanent, daily limit,
 * authentication), and a batch answer's results and per-input errors matched back to the inputs.
 */

export interface BatchError {
  status?: string;
  category?: string;
  message?: string;
  context?: Record<string, unknown>;
  errors?: unknown[];
}

export interface BatchAnswer<T> {
  results?: Array<
    { id: string; objectWriteTraceId?: string; properties?: Record<string, string | null>; new?: boolean } & T
  >;
  errors?: BatchError[];
  /** The answer's `X-HubSpot-Correlation-Id`, if HubSpot sent one: what HubSpot's support finds a request by. */
  correlationId?: string | null;
}

export function batchErrorFailure(error: BatchError, correlationId: string | null): InputFailure {
  const category = error.category ?? null;
  // Per-input errors of a write that HubSpot retries itself are rare; treat these categories as passing.
  const retryable = category === 'RATE_LIMITS' || category === 'INTERNAL_ERROR' || category === 'LOCKED';
  return {
    retryable,
    status: null,
    category,
    message: error.message ?? 'HubSpot refused this input',
    correlationId,
    details: errorDetails(error),
  };
}

export function errorFailure(error: HubSpotError): InputFailure {
  return {
    retryable: false,
    status: error.status,
    category: error.category,
    message: error.message,
    correlationId: error.correlationId,
    details: error.details,
  };
}

export function classifyResponse(response: HubSpotHttpResponse): {
  failure: HubSpotError;
  retryAfterMs: number | null;
} {
  const { status, headers } = response;
  const body =
    typeof response.body === 'object' && response.body !== null ? (response.body as Record<string, unknown>) : {};
  const text = typeof response.body === 'string' ? response.body.slice(0, 200) : null;
  const message = typeof body['message'] === 'string' ? body['message'] : (text ?? `HTTP ${status}`);
  const category = typeof body['category'] === 'string' ? body['category'] : null;
  const correlationId =
    typeof body['correlationId'] === 'string' ? body['correlationId'] : headers.get('x-hubspot-correlation-id');
  const details = errorDetails(body);
  const retryAfterSeconds = Number(headers.get('retry-after') ?? Number.NaN);
  const retryAfterMs = Number.isFinite(retryAfterSeconds) && retryAfterSeconds >= 0 ? retryAfterSeconds * 1000 : null;

  if (status === 429) {
    const daily =
      body['policyName'] === 'DAILY' ||
      /daily/i.test(message) ||
      headers.get('x-hubspot-ratelimit-daily-remaining') === '0';
    if (daily)
      return {
        failure: new HubSpotDailyLimitError(
          `HubSpot daily limit reached: ${message}`,
          status,
          category ?? 'RATE_LIMITS',
          correlationId,
        ),
        retryAfterMs,
      };
    return {
      failure: new HubSpotRetryableError(message, status, category ?? 'RATE_LIMITS', correlationId),
      retryAfterMs,
    };
  }
  if (status === 401)
    return {
      failure: new HubSpotAuthError(
        `HubSpot refused the token (401): ${message}`,
        status,
        category,
        correlationId,
        details,
      ),
      retryAfterMs: null,
    };
  if (status === 403) {
    const scopes = details.scopes.length > 0 ? ` (missing scope ${details.scopes.join(', ')})` : '';
    return {
      failure: new HubSpotAuthError(
        `HubSpot refused the request (403)${scopes}: ${message}`,
        status,
        category,
        correlationId,
        details,
      ),
      retryAfterMs: null,
    };
  }
  if (status >= 500 || status === 423 || status === 408)
    return { failure: new HubSpotRetryableError(message, status, category, correlationId, details), retryAfterMs };
  return { failure: new HubSpotPermanentError(message, status, category, correlationId, details), retryAfterMs: null };
}

/** Results and errors of one batch answer, matched to the inputs by trace id (the input's index), else by `same`. */
export function matchResults<I extends { key: string }, R extends { id: string; objectWriteTraceId?: string }, T>(
  part: I[],
  answer: { results?: R[]; errors?: BatchError[]; correlationId?: string | null },
  value: (result: R) => T,
  same: (input: I, result: R) => boolean,
): BatchOutcome<T> {
  const outcome: BatchOutcome<T> = { succeeded: new Map(), failed: new Map() };
  for (const result of answer.results ?? []) {
    const index = Number(result.objectWriteTraceId);
    const input =
      Number.isInteger(index) && part[index] ? part[index] : part.find((candidate) => same(candidate, result));
    if (input) outcome.succeeded.set(input.key, value(result));
  }
  const unmatched = part.filter((input) => !outcome.succeeded.has(input.key));
  for (const error of answer.errors ?? []) {
    const failure = batchErrorFailure(error, answer.correlationId ?? null);
    for (const input of errorInputs(failure, part, unmatched))
      if (!outcome.succeeded.has(input.key)) outcome.failed.set(input.key, failure);
  }
  for (const input of unmatched) {
    if (!outcome.failed.has(input.key)) {
      outcome.failed.set(input.key, {
        retryable: true,
        status: null,
        category: null,
        message: 'HubSpot returned no result for this input',
        correlationId: null,
        details: NO_DETAILS,
      });
    }
  }
  return outcome;
}

/** The inputs a batch error names (by trace id, else by id); an error naming none applies to those without a result. */
export function errorInputs<I extends { key: string }>(failure: InputFailure, part: I[], unmatched: I[]): I[] {
  const byTrace = failure.details.traceIds
    .map((trace) => part[Number(trace)])
    .filter((input): input is I => input !== undefined);
  if (byTrace.length > 0) return byTrace;
  const ids = new Set(failure.details.ids);
  const byId = unmatched.filter((input) => ids.has((input as { id?: string }).id ?? '\u0000'));
  if (byId.length > 0) return byId;
  // It names no input of ours (an id of something else, such as an association's contact): it is about those left
  // without a result.
  return unmatched;
}
