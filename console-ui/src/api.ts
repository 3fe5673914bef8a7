// The console's API client: same-origin cookies, the CSRF token on every state-changing request, one shape of error.

/** An answer that was not 2xx (or no answer): `message` is the server's `error.message`, shown as it is. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null,
    /** The whole parsed body (a refused mapping save carries its `problems` here). */
    readonly body: unknown,
    readonly retryAfterSeconds: number | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;
let unauthorized: () => void = () => undefined;

/** The token the session endpoints gave; sent as `x-csrf-token` on POST. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** What to do when a request finds no valid session (401): the app shows the sign-in page. */
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler;
}

/**
 * `/console/api`, from where the page is: relative to the console's folder, so the app works under a proxy's
 * prefix too. `/console` (no slash) is taken as the folder `/console/`.
 */
export function apiBase(pathname: string = location.pathname): string {
  const folder = pathname.endsWith('/') ? pathname : pathname.replace(/\/index\.html$/, '/').replace(/([^/])$/, '$1/');
  return `${folder}api`;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** A 401 here is an answer (a wrong token at sign-in), not a lost session. */
  expect401?: boolean;
}

export async function api<T>(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const headers = new Headers({ accept: 'application/json' });
  if (body !== undefined) headers.set('content-type', 'application/json');
  if (method !== 'GET' && csrfToken !== null) headers.set('x-csrf-token', csrfToken);
  let response: Response;
  try {
    response = await fetch(apiBase() + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ApiError(
      0,
      'network',
      'The connector did not answer. Check that it is running, then try again.',
      null,
      null,
      null,
    );
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    json = null;
  }
  if (response.ok) return json as T;

  const error = errorOf(json);
  const retryAfter = Number(response.headers.get('retry-after'));
  if (response.status === 401 && !options.expect401) unauthorized();
  throw new ApiError(
    response.status,
    error?.code ?? `http_${response.status}`,
    error?.message ?? `The connector answered ${response.status} ${response.statusText}`.trim(),
    error?.field ?? null,
    json,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
  );
}

function errorOf(json: unknown): { code?: string; message?: string; field?: string } | null {
  if (typeof json !== 'object' || json === null || !('error' in json)) return null;
  const error = json.error;
  if (typeof error !== 'object' || error === null) return null;
  const text = (key: 'code' | 'message' | 'field'): string | undefined =>
    key in error && typeof (error as Record<typeof key, unknown>)[key] === 'string'
      ? (error as Record<typeof key, string>)[key]
      : undefined;
  return { code: text('code'), message: text('message'), field: text('field') };
}

/** Any thrown value as an ApiError, for showing. */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, 'client', error instanceof Error ? error.message : String(error), null, null, null);
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
