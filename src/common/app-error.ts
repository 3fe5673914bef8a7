/**
 * The connector's errors. Each has a stable code and the HTTP status a client gets for it; one global filter turns
 * them into responses. Messages name the problem and never carry a secret or personal data.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly httpStatus: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The store could not take a delivery: the sender should send it again (every vendor retries a 5xx). */
export class StoreBusyError extends AppError {
  constructor() {
    super('store_unavailable', 503, 'the delivery could not be stored just now; send it again');
  }
}

/** Bodies whose signature is not yet checked already hold all the memory they may: the sender tries again later. */
export class UnverifiedBodiesBusyError extends AppError {
  constructor() {
    super('busy', 503, 'too many signed deliveries are being received just now; send it again');
  }
}

export class UnknownVendorError extends AppError {
  constructor() {
    super('unknown_vendor', 404, 'no webhook endpoint for this vendor');
  }
}

export class UnauthorizedError extends AppError {
  constructor(reason: string) {
    super('unauthorized', 401, reason);
  }
}

export class SourceForbiddenError extends AppError {
  constructor() {
    super('forbidden_source', 403, "the sender address is not on this vendor's allow-list");
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor() {
    super('unsupported_media_type', 415, 'the body must be JSON (Content-Type: application/json)');
  }
}

export class InvalidJsonError extends AppError {
  constructor(reason: string) {
    super('invalid_json', 400, `the body is not valid JSON: ${reason}`);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super('payload_too_large', 413, `the body is larger than the limit of ${limitBytes} bytes`);
  }
}

/** Too many wrong secrets (webhook secrets, the admin token) from one address: it waits `retryAfterSeconds` (sent as `Retry-After`). */
export class TooManyAuthFailuresError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      'too_many_auth_failures',
      429,
      `too many wrong secrets from this address: try again in ${retryAfterSeconds} s`,
    );
  }
}

/**
 * This instance does not (or no longer) hold the sync lease it worked under (another instance took over, or the
 * lease ran out): the store refused a sync write under the old epoch, or the HubSpot adapter refused to send (only
 * the syncing instance talks to HubSpot). Not an outage and not the events' fault: the batch stops where it is, and
 * the leader hands its events back at takeover.
 */
export class NotLeadingError extends AppError {
  constructor(reason: string) {
    // Should one reach a client (an admin preview that asks HubSpot on a standby): 503, try the syncing instance.
    super('not_leading', 503, `this instance does not hold the sync lease: ${reason}`);
  }
}
