import { ArgumentsHost, Catch, HttpException, Inject, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Socket } from 'node:net';
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
      // A body refused before it was read whole (too large, a list too long, no secret, unknown vendor) is not taken:
      // the connection closes once the answer is out (after at most `LINGER_MS` half-closed, the rest dropped), so that
      // a client cannot hold it open by trickling the rest.
      response.setHeader('Connection', 'close');
      const socket = request.socket;
      // Node closes the connection after its last answer with `destroySoon()`, which destroys it as soon as our side is
      // closed, unread body and all: this connection lingers instead.
      socket.destroySoon = () => closeAfterLinger(socket, request);
      response.on('finish', () => closeAfterLinger(socket, request));
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

/** How long a refused request's connection is held half-closed for the client to read the answer. */
export const LINGER_MS = 2_000;

const lingering = new WeakSet<Socket>();

/**
 * Closes a connection whose request was refused before its body was read: first our side only (FIN, after the answer),
 * while what the client still sends is read and dropped, then the whole of it once the client closes its side, or after
 * `LINGER_MS` at the most. Destroying it at once would leave the unread body in the kernel's buffer, and closing a
 * socket with unread data sends a reset, which makes the client's kernel drop the answer it has not read yet: a vendor
 * would see "connection reset" instead of the 4xx, and a client that writes its whole body before reading would never
 * see it (TCP's "lingering close": RFC 9112 §9.6, "Tear-down"). A request that follows on this connection is not
 * taken (`refuseOnClosedConnection`).
 */
function closeAfterLinger(socket: Socket, request: Request): void {
  if (lingering.has(socket) || socket.destroyed) return;
  lingering.add(socket);
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  request.resume();
  socket.end();
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
