import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { AppError, UnauthorizedError } from '../common/app-error.js';
import { ownValue } from '../common/own-value.js';
import { CONSOLE_ACCESS, type ConsoleAccess } from './console-routes.js';
import { CONSOLE_HEADERS, crossSiteProblem, sameSecret } from './console-security.js';
import { ConsoleClosedError, ConsoleSessions, type ConsoleSession } from './console-sessions.js';

export class CsrfError extends AppError {
  constructor(reason: string) {
    super('csrf', 403, reason);
  }
}

export class ForbiddenError extends AppError {
  constructor(reason: string) {
    super('forbidden', 403, reason);
  }
}

const sessions = new WeakMap<Request, ConsoleSession>();

/** The session the guard found for this request (routes other than sign-in have one). */
export function sessionOf(request: Request): ConsoleSession {
  const session = sessions.get(request);
  if (!session) throw new UnauthorizedError('not signed in');
  return session;
}

/** The request's own origin (`https://host:port`), as the browser names it in `Origin`; behind trusted proxies, theirs. */
export function ownOrigin(request: Request): string {
  return `${request.protocol}://${request.host}`;
}

/**
 * Every console API request passes here first: the console's headers (CSP and the rest; no caching of answers), then
 * 404 `console_closed` while no token is set, then for a state-changing request the cross-site checks (a foreign
 * `Origin`, `Sec-Fetch-Site: cross-site`: 403 `csrf`), then the session (401 `unauthorized`), the CSRF token in
 * `x-csrf-token` for every POST but sign-in (403 `csrf`), and the session's kind (a viewer on an admin route: 403
 * `forbidden`). A route without an access level (not declared with `ConsoleRoute`) is refused.
 */
@Injectable()
export class ConsoleGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly consoleSessions: ConsoleSessions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    for (const [name, value] of Object.entries(CONSOLE_HEADERS)) response.setHeader(name, value);
    // Answers hold operators' data: never kept by a browser or a proxy.
    response.setHeader('Cache-Control', 'no-store');
    if (!this.consoleSessions.open) throw new ConsoleClosedError();
    const access = this.reflector.get<ConsoleAccess | undefined>(CONSOLE_ACCESS, context.getHandler());
    if (!access) throw new ForbiddenError('this route declares no access');

    const changes = request.method !== 'GET' && request.method !== 'HEAD';
    if (changes) {
      const problem = crossSiteProblem(
        header(request, 'sec-fetch-site'),
        header(request, 'origin'),
        ownOrigin(request),
      );
      if (problem) throw new CsrfError(problem);
    }
    if (access === 'sign-in') return true;

    const session = await this.consoleSessions.authenticate(header(request, 'cookie'));
    if (!session) throw new UnauthorizedError('not signed in, or the session has ended');
    if (changes && !sameSecret(header(request, 'x-csrf-token'), session.csrfToken))
      throw new CsrfError('missing or wrong x-csrf-token');
    if (access === 'admin' && session.kind !== 'admin') throw new ForbiddenError('a viewer session cannot do this');
    sessions.set(request, session);
    return true;
  }
}

function header(request: Request, name: string): string | undefined {
  const value = ownValue(request.headers, name);
  return Array.isArray(value) ? value[0] : value;
}
