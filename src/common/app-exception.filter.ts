import { ArgumentsHost, Catch, HttpException, Inject, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppLogger } from '../logging/app-logger.js';
import { maskPersonalData } from './personal-data.js';
import { AppError, TooManyAuthFailuresError } from './app-error.js';

import { PayloadValidationError } from './payload-validation.js';

/**
 * Turns every error into a JSON response: the connector's own errors into their 4xx, framework errors (unknown route,
 * method) into theirs, and anything unexpected into a 500 that names no detail. The body is always
 * `{ error: { code, message, field? } }`.
 */
@Catch()
export class AppExceptionFilter implements ExceptionFilter {
  constructor(@Inject(AppLogger) private readonly logger: AppLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const request = host.switchToHttp().getRequest<Request>();
    const { status, body } = this.describe(exception);
    if (response.headersSent) return;
    // Too many wrong secrets, or any other refusal that says when to come back.
    const retryAfter =
      exception instanceof AppError ? (exception as { retryAfterSeconds?: unknown }).retryAfterSeconds : null;
    if (exception instanceof TooManyAuthFailuresError || typeof retryAfter === 'number')
      response.setHeader('Retry-After', String(retryAfter));
    if (!request.complete) {
      // A body refused before it was read whole (too large, a list too long, no secret, unknown vendor) is not read:
      // the connection closes once the answer is out, so that a client cannot hold it open by trickling the rest.
      response.setHeader('Connection', 'close');
      response.on('finish', () => response.socket?.destroy());
    }
    response.status(status).json(body);
  }

  private describe(exception: unknown): { status: number; body: { error: Record<string, string> } } {
    if (exception instanceof AppError) {
      const error: Record<string, string> = { code: exception.code, message: exception.message };
      if (exception instanceof PayloadValidationError) error['field'] = exception.field;
      return { status: exception.httpStatus, body: { error } };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = status === 404 ? 'not_found' : status === 405 ? 'method_not_allowed' : `http_${status}`;
      return { status, body: { error: { code, message: status === 404 ? 'no such endpoint' : exception.message } } };
    }
    this.logger.error({ error: errorSummary(exception) }, 'unhandled error while serving a request');
    return { status: 500, body: { error: { code: 'internal_error', message: 'internal error' } } };
  }
}

/**
 * The error's class and message only: a stack or a cause may quote request data. The class goes under `type`:
 * the logger redacts every `name` key (a person's name), which would hide it.
 */
export function errorSummary(error: unknown): { type: string; message: string } {
  // HubSpot's messages quote the values they refuse: personal data is masked out of what is logged.
  return error instanceof Error
    ? { type: error.name, message: maskPersonalData(error.message) }
    : { type: 'non-error', message: maskPersonalData(String(error)) };
}
