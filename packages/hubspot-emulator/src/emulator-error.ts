/**
 * Errors the emulator answers with, rendered in HubSpot's error body shape:
 * `{status:"error", message, correlationId, category, errors?, context?, links?}`.
 */

export type HubSpotErrorCategory =
  | 'VALIDATION_ERROR'
  | 'INVALID_AUTHENTICATION'
  | 'MISSING_SCOPES'
  | 'OBJECT_NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITS'
  | 'LOCKED'
  | 'INTERNAL_ERROR'
  | 'SERVICE_UNAVAILABLE'
  | 'BAD_GATEWAY'
  | 'GATEWAY_TIMEOUT';

export interface HubSpotErrorDetail {
  message: string;
  code?: string;
  context?: Record<string, string[]>;
}

/** One entry of the JSON list HubSpot embeds in "Property values were not valid: [...]". */
export interface PropertyValueProblem {
  isValid: false;
  message: string;
  error: string;
  name: string;
}

interface HubSpotApiErrorExtras {
  errors?: HubSpotErrorDetail[];
  context?: Record<string, string[]>;
  links?: Record<string, string>;
}

export class HubSpotApiError extends Error {
  constructor(
    readonly status: number,
    readonly category: HubSpotErrorCategory,
    message: string,
    readonly extras: HubSpotApiErrorExtras = {},
  ) {
    super(message);
  }

  static validation(message: string, extras?: HubSpotApiErrorExtras): HubSpotApiError {
    return new HubSpotApiError(400, 'VALIDATION_ERROR', message, extras);
  }

  static notFound(message = 'resource not found', extras?: HubSpotApiErrorExtras): HubSpotApiError {
    return new HubSpotApiError(404, 'OBJECT_NOT_FOUND', message, extras);
  }

  static conflict(message: string): HubSpotApiError {
    return new HubSpotApiError(409, 'CONFLICT', message);
  }

  /**
   * HubSpot puts the per-property problems as JSON inside the message; `errors[]` repeats them for batch matching.
   * `context` (e.g. `{propertyName: [...]}` for validation-rule refusals) is added to the error's own context.
   */
  static invalidPropertyValues(problems: PropertyValueProblem[], context?: Record<string, string[]>): HubSpotApiError {
    return HubSpotApiError.validation(`Property values were not valid: ${JSON.stringify(problems)}`, {
      errors: problems.map((problem) => ({
        message: problem.message,
        code: problem.error,
        context: { propertyName: [problem.name] },
      })),
      ...(context ? { context } : {}),
    });
  }

  /** The body of a stand-alone (non-batch) error response. */
  toResponseBody(correlationId: string): Record<string, unknown> {
    const body: Record<string, unknown> = {
      status: 'error',
      message: this.message,
      correlationId,
      category: this.category,
    };
    // Single-object property errors carry only the message in HubSpot; errors[] is kept for batch entries.
    if (this.extras.errors && this.category !== 'VALIDATION_ERROR') body.errors = this.extras.errors;
    if (this.extras.context) body.context = this.extras.context;
    if (this.extras.links) body.links = this.extras.links;
    return body;
  }

  /** One entry of a batch response's `errors[]` (HubSpot's StandardError). */
  toBatchError(context: Record<string, string[]>): Record<string, unknown> {
    const entry: Record<string, unknown> = {
      status: 'error',
      category: this.category,
      message: this.message,
      context: { ...this.extras.context, ...context },
    };
    if (this.extras.errors) entry.errors = this.extras.errors;
    return entry;
  }
}

export type RateLimitPolicy = 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY';

const RATE_LIMIT_MESSAGES: Record<RateLimitPolicy, string> = {
  TEN_SECONDLY_ROLLING: 'You have reached your ten_secondly_rolling limit.',
  SECONDLY: 'You have reached your secondly limit.',
  DAILY: 'You have reached your daily limit.',
};

/** HubSpot's 429 body differs from its other errors (errorType and policyName, no category); key order as HubSpot sends it. */
export function rateLimitBody(policy: RateLimitPolicy, correlationId: string): Record<string, unknown> {
  return {
    status: 'error',
    message: RATE_LIMIT_MESSAGES[policy],
    errorType: 'RATE_LIMIT',
    correlationId,
    policyName: policy,
  };
}

/** A bad body sent to a `/_emulator/` control endpoint (answered 400 with `{error}`), or a bad start option. */
export class InvalidControlInput extends Error {}
