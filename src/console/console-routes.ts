import { applyDecorators, Get, HttpCode, Post, SetMetadata } from '@nestjs/common';

/**
 * Who may call a console API route:
 *  - `sign-in`: no session (signing in); no CSRF token either, though a cross-site request is refused;
 *  - `read`: any session, admin or viewer (a POST among them changes nothing, and sends the CSRF token);
 *  - `sign-out`: any session, with the CSRF token;
 *  - `admin`: an admin session, with the CSRF token (a viewer gets 403 `forbidden`).
 */
export type ConsoleAccess = 'sign-in' | 'read' | 'sign-out' | 'admin';

export interface ConsoleRouteSpec {
  method: 'GET' | 'POST';
  /** Under `/console/api/`. */
  path: string;
  access: ConsoleAccess;
}

/**
 * Every route of the console's API, in one list: the controller declares each of its routes with `ConsoleRoute`, which
 * takes the access from here and refuses a route this list does not name (at start), and the end-to-end test sends a
 * request without a session to each one listed. A new route cannot go unguarded or untested.
 */
export const CONSOLE_API_ROUTES: readonly ConsoleRouteSpec[] = [
  { method: 'GET', path: 'session', access: 'read' },
  { method: 'POST', path: 'session', access: 'sign-in' },
  { method: 'POST', path: 'session/link', access: 'sign-in' },
  { method: 'POST', path: 'session/sign-out', access: 'sign-out' },
  { method: 'GET', path: 'overview', access: 'read' },
  { method: 'GET', path: 'deliveries', access: 'read' },
  { method: 'GET', path: 'deliveries/:id', access: 'read' },
  { method: 'GET', path: 'dead-letters', access: 'read' },
  { method: 'POST', path: 'replay', access: 'admin' },
  { method: 'GET', path: 'mapping', access: 'read' },
  { method: 'POST', path: 'mapping/check', access: 'read' },
  { method: 'POST', path: 'mapping/preview', access: 'read' },
  { method: 'POST', path: 'mapping', access: 'admin' },
  { method: 'POST', path: 'mapping/reload', access: 'admin' },
  { method: 'GET', path: 'timeline', access: 'read' },
  { method: 'POST', path: 'samples', access: 'admin' },
  { method: 'GET', path: 'audit', access: 'read' },
];

export const CONSOLE_ACCESS = Symbol('CONSOLE_ACCESS');

/**
 * Declares a console API route (`@Get`/`@Post` with its path) with the access `CONSOLE_API_ROUTES` gives it; a route
 * missing from the list fails at start. POSTs answer 200 (sign-out 204).
 */
export function ConsoleRoute(method: ConsoleRouteSpec['method'], path: string): MethodDecorator {
  const spec = CONSOLE_API_ROUTES.find((route) => route.method === method && route.path === path);
  if (!spec) throw new Error(`console route ${method} ${path} is not in CONSOLE_API_ROUTES`);
  return applyDecorators(
    method === 'GET' ? Get(path) : Post(path),
    ...(method === 'POST' ? [HttpCode(spec.access === 'sign-out' ? 204 : 200)] : []),
    SetMetadata(CONSOLE_ACCESS, spec.access),
  );
}
