/**
 * The emulator's HTTP front: for every HubSpot-shaped request it applies, in order, injected faults, bearer
 * auth, routing, scopes, rate limits, then the route; it answers in HubSpot's shapes and logs the outcome.
 * `/_emulator/` requests skip all of that.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmulatorAuth } from './emulator-auth.js';
import type { ControlRoute } from './emulator-control-routes.js';
import { HubSpotApiError, InvalidControlInput, rateLimitBody, type RateLimitPolicy } from './emulator-error.js';
import { faultError, type ActiveFault, type FaultInjector } from './emulator-faults.js';
import type { EmulatorRateLimiter } from './emulator-rate-limiter.js';
import type { RequestLog } from './emulator-request-log.js';
import type { Route, Router } from './emulator-router.js';

export interface EmulatorHttpServerParts {
  routes: Router<Route>;
  controls: Router<ControlRoute>;
  auth: EmulatorAuth;
  limiter: EmulatorRateLimiter;
  faults: FaultInjector;
  log: RequestLog;
  clock: () => number;
}

interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  correlationId: string;
  startedAt: number;
  endpoint: string;
  fault: ActiveFault['mode'] | undefined;
}

interface Outcome {
  status: number;
  policy?: RateLimitPolicy;
}

/** Far above HubSpot's batch sizes; protects the emulator, not a HubSpot limit. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const CONTROL_PREFIX = '/_emulator';

export class EmulatorHttpServer {
  private readonly server: Server;
  /** Requests held by the "hang" fault, answered once it clears, dropped on close. */
  private readonly parked = new Set<RequestContext>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closing = false;

  constructor(private readonly parts: EmulatorHttpServerParts) {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  get hungRequestCount(): number {
    return this.parked.size;
  }

  /** Lets hung requests go on (handled normally) once the hang fault no longer applies. */
  releaseParked(): void {
    if (this.parts.faults.isHanging()) return;
    for (const context of [...this.parked]) {
      this.parked.delete(context);
      if (!context.res.destroyed) void this.process(context);
    }
  }

  /** Cuts hung requests off (the client sees the connection drop), e.g. on reset. */
  dropParked(): void {
    const contexts = [...this.parked];
    this.parked.clear();
    for (const context of contexts) context.res.destroy();
  }

  /** For a hang fault with `until`: release its requests when that time comes. */
  scheduleRelease(atEpochMs: number): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.releaseParked();
      },
      Math.max(0, atEpochMs - this.parts.clock()) + 1,
    );
    timer.unref();
    this.timers.add(timer);
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const context of this.parked) context.res.destroy();
    this.parked.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      // Also ends idle keep-alive sockets and ones held by latency faults.
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    if (url.pathname === CONTROL_PREFIX || url.pathname.startsWith(`${CONTROL_PREFIX}/`)) {
      await this.handleControl(req, res, url);
      return;
    }
    const match = this.parts.routes.match(req.method ?? 'GET', url.pathname);
    const context: RequestContext = {
      req,
      res,
      url,
      correlationId: randomUUID(),
      startedAt: this.parts.clock(),
      endpoint: 'route' in match ? match.endpoint : 'unrouted',
      fault: undefined,
    };
    const fault = this.parts.faults.take(url.pathname);
    context.fault = fault?.mode;
    if (fault?.mode === 'status') {
      req.resume();
      const error = faultError(fault.status);
      this.send(context, error.status, error.toResponseBody(context.correlationId));
      this.record(context, { status: error.status });
      return;
    }
    if (fault?.mode === 'hang') {
      this.park(context);
      return;
    }
    if (fault?.mode === 'latency') {
      await this.delay(fault.latencyMs);
      if (this.closing || res.destroyed) return;
    }
    await this.process(context);
  }

  private park(context: RequestContext): void {
    this.parked.add(context);
    context.res.once('close', () => {
      // The client gave up (or close() ended it) before the fault cleared.
      if (this.parked.delete(context) || !context.res.writableEnded) this.record(context, { status: 0 });
    });
  }

  private async process(context: RequestContext): Promise<void> {
    const outcome = await this.respond(context);
    if (outcome) this.record(context, outcome);
  }

  private async respond(context: RequestContext): Promise<Outcome | undefined> {
    const { req, url, correlationId } = context;
    const { auth, limiter, routes } = this.parts;
    let headers: Record<string, string> = {};
    try {
      const token = auth.authenticate(req.headers.authorization);
      if (token instanceof HubSpotApiError) throw token;

      const match = routes.match(req.method ?? 'GET', url.pathname);
      if (!('route' in match)) {
        throw match.methodMismatch
          ? new HubSpotApiError(405, 'VALIDATION_ERROR', `Method ${req.method ?? ''} is not allowed on ${url.pathname}`)
          : HubSpotApiError.notFound(`Unable to route ${req.method ?? ''} ${url.pathname}`);
      }
      const scopeError = auth.authorize(match.route.scope(match.params));
      if (scopeError) throw scopeError;

      const decision = limiter.admit(match.route.limitClass, token);
      headers = decision.headers;
      if (!decision.allowed) {
        req.resume();
        this.send(context, 429, rateLimitBody(decision.policy, correlationId), headers);
        return { status: 429, policy: decision.policy };
      }

      const body = await readJsonBody(req);
      if (context.res.destroyed) return { status: 0 };
      const result = match.route.handle({
        params: match.params,
        query: url.searchParams,
        body,
        origin: `http://${req.headers.host ?? 'localhost'}`,
      });
      this.send(context, result.status, result.body, headers);
      return { status: result.status };
    } catch (error) {
      req.resume();
      const apiError =
        error instanceof HubSpotApiError
          ? error
          : new HubSpotApiError(500, 'INTERNAL_ERROR', `Emulator error: ${(error as Error).message ?? String(error)}`);
      this.send(context, apiError.status, apiError.toResponseBody(correlationId), headers);
      return { status: apiError.status };
    }
  }

  private async handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const reply = (status: number, body: unknown): void => {
      const payload = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    };
    try {
      const match = this.parts.controls.match(req.method ?? 'GET', url.pathname);
      if (!('route' in match)) {
        req.resume();
        reply(404, { error: `No emulator control ${req.method ?? ''} ${url.pathname}` });
        return;
      }
      const body = await readJsonBody(req);
      const result = match.route.handle({ params: match.params, query: url.searchParams, body });
      reply(result.status, result.body);
    } catch (error) {
      req.resume();
      if (error instanceof InvalidControlInput) reply(400, { error: error.message });
      else if (error instanceof HubSpotApiError) reply(error.status, error.toResponseBody(randomUUID()));
      else reply(500, { error: (error as Error).message ?? String(error) });
    }
  }

  private send(context: RequestContext, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const { res } = context;
    if (res.destroyed || res.headersSent) return;
    const common = { 'x-hubspot-correlation-id': context.correlationId, ...headers };
    if (status === 204 || body === undefined) {
      res.writeHead(status, common);
      res.end();
      return;
    }
    const payload = JSON.stringify(body);
    res.writeHead(status, {
      ...common,
      'content-type': 'application/json;charset=utf-8',
      'content-length': Buffer.byteLength(payload),
    });
    res.end(payload);
  }

  private record(context: RequestContext, outcome: Outcome): void {
    const entry = {
      time: context.startedAt,
      method: context.req.method ?? 'GET',
      path: context.url.pathname,
      endpoint: context.endpoint,
      status: outcome.status,
      durationMs: this.parts.clock() - context.startedAt,
      correlationId: context.correlationId,
      ...(outcome.policy ? { policy: outcome.policy } : {}),
      ...(context.fault ? { fault: context.fault } : {}),
    };
    this.parts.log.record(entry);
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new HubSpotApiError(413, 'VALIDATION_ERROR', `Request body is larger than ${MAX_BODY_BYTES} bytes.`);
    }
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw HubSpotApiError.validation(`Invalid input JSON on line 1: ${(error as Error).message}`);
  }
}
