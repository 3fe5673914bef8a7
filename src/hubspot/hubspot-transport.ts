import type { Client } from '@hubspot/api-client';
import { Request as SdkRequest } from '@hubspot/api-client/lib/src/services/http/Request.js';
import type { HubSpotSendGate } from './hubspot-send-gate.js';

export interface HubSpotHttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  qs?: Record<string, string>;
  /** A multipart body (a file upload), sent as it is instead of `body`; its file part is streamed. */
  form?: FormData;
  /** This request's deadline, when not the usual one (a file upload's time grows with its size). */
  timeoutMs?: number;
}

export interface HubSpotHttpResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or the text when it is not JSON (an HTML error page from HubSpot's edge). */
  body: unknown;
}

/**
 * The request did not get an answer. `sent: false` when it surely never reached HubSpot (the connection was refused
 * or the host not found), so a write can be sent again; otherwise HubSpot may have received and applied it.
 * `timedOut` when the deadline ended it, rather than the network.
 */
export class HubSpotTransportError extends Error {
  constructor(
    message: string,
    readonly sent: boolean,
    readonly timedOut = false,
  ) {
    super(message);
    this.name = 'HubSpotTransportError';
  }
}

/** Connection failures that happen before any byte of the request is sent. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Sends one request to HubSpot with a real deadline. The request is built by the SDK's own `Request` (the bearer
 * token, its headers and User-Agent, the base URL, the JSON body): exactly what `client.apiRequest` sends. It is not
 * sent through `apiRequest` because that hands node-fetch only method, headers and body (`Request.getSendData`), so
 * neither an agent nor an abort signal can reach the socket, and a keep-alive socket that HubSpot accepts but never
 * answers would hold the caller without bound (Node resets a pooled socket's idle time-out on reuse). Node's fetch
 * with `AbortSignal.timeout` ends the request at its deadline on a fresh or a reused connection alike, body included.
 */
export class HubSpotTransport {
  /** `gate`: when given, each request must pass it right before it is sent (see `HubSpotSendGate`). */
  constructor(
    private readonly client: Client,
    private readonly timeoutMs: number,
    private readonly gate: HubSpotSendGate | null = null,
  ) {}

  async send(request: HubSpotHttpRequest): Promise<HubSpotHttpResponse> {
    const built = new SdkRequest(this.client.config, {
      method: request.method,
      path: request.path,
      ...(request.qs ? { qs: request.qs } : {}),
      ...(request.body !== undefined ? { body: request.body } : {}),
    });
    const { method, headers, body } = built.getSendData() as {
      method: string;
      headers: Record<string, string>;
      body?: string;
    };
    // Last check before anything leaves: throws NotLeadingError once this instance may no longer send.
    const pass = this.gate?.admit();
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = pass ? AbortSignal.any([timeout, pass.signal]) : timeout;
    try {
      const sentHeaders = pass ? { ...headers, ...pass.headers } : { ...headers };
      // fetch sets a multipart body's type itself, with its boundary.
      if (request.form)
        for (const name of Object.keys(sentHeaders)) if (/^content-type$/i.test(name)) delete sentHeaders[name];
      const response = await fetch(built.getUrl(), {
        method,
        headers: sentHeaders,
        // A multipart body goes with no window and no redirects: otherwise fetch sends a clone of the request (it
        // may have to follow a redirect) whose body is a tee of the original's, and the branch left unread keeps
        // every chunk sent, so the whole file would sit in memory until the upload ends (Node 20's undici). A
        // redirect now fails the upload, its outcome unknown (it is looked up before it is sent again). Fetch
        // standard, HTTP-network-or-cache fetch, step 2: https://fetch.spec.whatwg.org/#http-network-or-cache-fetch
        ...(request.form
          ? { body: request.form, window: null, redirect: 'error' as const }
          : body !== undefined
            ? { body }
            : {}),
        signal,
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: parseBody(text) };
    } catch (error) {
      // The lease ended while the request was in flight: HubSpot may have applied it, and this instance may no
      // longer act on the answer (the next leader looks an unconfirmed create up before sending it again).
      if (pass?.signal.aborted) throw pass.signal.reason as Error;
      if (timeout.aborted) throw new HubSpotTransportError(`no answer within ${timeoutMs} ms`, true, true);
      const code = causeCode(error);
      throw new HubSpotTransportError(
        `${code ?? (error instanceof Error ? error.message : String(error))}`,
        !(code && NOT_SENT.has(code)),
      );
    }
  }
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.slice(0, 500);
  }
}

function causeCode(error: unknown): string | null {
  for (
    let current = error, depth = 0;
    current && depth < 4;
    current = (current as { cause?: unknown }).cause, depth++
  ) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return null;
}
