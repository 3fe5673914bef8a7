/**
 * The emulator's HTTP front: for every HubSpot-shaped request it applies, in order, injected faults, bearer
 * auth, routing (dated paths are routed as their legacy twins), scopes, rate limits, raw-body checks, then the
 * route; it answers in HubSpot's shapes and logs the outcome. `/_emulator/` requests skip all of that.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { resolveApiPath, type ResolvedApiPath } from './emulator-api-versions.js';
import type { EmulatorAuth } from './emulator-auth.js';
import type { ControlRoute } from './emulator-control-routes.js';
import { HubSpotApiError, InvalidControlInput, rateLimitBody, type RateLimitPolicy } from './emulator-error.js';
import { faultError, type ActiveFault, type FaultInjector, type HoldingFaultMode } from './emulator-faults.js';
import type { EmulatorRateLimiter } from './emulator-rate-limiter.js';
import type { RequestLog, RequestLogEntry } from './emulator-request-log.js';
import type { Route, RouteMatch, Router } from './emulator-router.js';

export interface EmulatorHttpServerParts {
  routes: Router<Route>;
  controls: Router<ControlRoute>;
  auth: EmulatorAuth;
  limiter: EmulatorRateLimiter;
  faults: FaultInjector;
  log: RequestLog;
  clock: () => number;
}

interface ConnectionInfo {
  id: number;
  requests: number;
}

interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  apiPath: ResolvedApiPath;
  match: RouteMatch<Route> | undefined;
  correlationId: string;
  startedAt: number;
  endpoint: string;
  connectionId: number;
  requestOnConnection: number;
  fault: ActiveFault | undefined;
  /** While set (apply-then-* faults), answers are computed but not sent; the status is kept here. */
  withholding: boolean;
  withheldStatus?: number;
  /** Set while the request is held by a hang or apply-then-hang fault. */
  heldBy?: HoldingFaultMode;
  /** Each request is logged once, however its answer (or the lack of one) came about. */
  recorded: boolean;
  /** Characters of the request body as received (what HubSpot's 3,000-character search limit counts). */
  bodyChars?: number;
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
  /** Requests held by a hang or apply-then-hang fault; released or dropped once it no longer applies. */
  private readonly parked = new Set<RequestContext>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly connections = new WeakMap<Socket, ConnectionInfo>();
  private nextConnectionId = 1;
  private closing = false;

  constructor(private readonly parts: EmulatorHttpServerParts) {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server.on('connection', (socket: Socket) => {
      this.connections.set(socket, { id: this.nextConnectionId, requests: 0 });
      this.nextConnectionId += 1;
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

  /**
   * Once the fault that holds them no longer applies: requests held by `hang` go on (handled normally), requests
   * held by `apply-then-hang` (already handled) have their connection dropped without an answer.
   */
  releaseParked(): void {
    for (const context of [...this.parked]) {
      const heldBy = context.heldBy;
      if (heldBy === undefined || this.parts.faults.holds(heldBy)) continue;
      this.parked.delete(context);
      context.heldBy = undefined;
      if (heldBy === 'apply-then-hang') this.drop(context);
      else if (!context.res.destroyed) void this.process(context);
    }
  }

  /** Cuts held requests off (the client sees the connection drop), e.g. on reset. */
  dropParked(): void {
    const contexts = [...this.parked];
    this.parked.clear();
    for (const context of contexts) this.drop(context);
  }

  /** For a holding fault with `until`: release its requests when that time comes. */
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
    this.dropParked();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      // Also ends idle keep-alive sockets and ones held by latency faults.
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const connection = this.connectionOf(req.socket);
    // Control requests count too: the ordinal says how often the socket was used, whatever for.
    connection.requests += 1;
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    if (url.pathname === CONTROL_PREFIX || url.pathname.startsWith(`${CONTROL_PREFIX}/`)) {
      await this.handleControl(req, res, url);
      return;
    }
    const apiPath = resolveApiPath(url.pathname);
    const found =
      apiPath.unsupportedVersion === undefined
        ? this.parts.routes.match(req.method ?? 'GET', apiPath.routePath)
        : undefined;
    const match = found && 'route' in found ? found : undefined;
    const context: RequestContext = {
      req,
      res,
      url,
      apiPath,
      match,
      correlationId: randomUUID(),
      startedAt: this.parts.clock(),
      endpoint: match ? endpointAsRequested(match.endpoint, apiPath) : 'unrouted',
      connectionId: connection.id,
      requestOnConnection: connection.requests,
      fault: undefined,
      withholding: false,
      recorded: false,
    };
    const fault = this.parts.faults.take(url.pathname);
    context.fault = fault;
    switch (fault?.mode) {
      case 'status': {
        req.resume();
        const error = faultError(fault.status);
        this.send(context, error.status, error.toResponseBody(context.correlationId));
        this.record(context, { status: error.status });
        return;
      }
      case 'hang':
        this.park(context, 'hang');
        return;
      case 'latency':
        await this.delay(fault.latencyMs);
        if (this.closing || res.destroyed) {
          // The client gave up during the delay: the request reached HubSpot and got no answer (logged, not applied).
          this.record(context, { status: 0 });
          return;
        }
        break;
      case 'apply-then-status':
      case 'apply-then-hang':
        await this.applyThenWithhold(context, fault);
        return;
      case undefined:
        break;
    }
    await this.process(context);
  }

  /** Handles the request for real (writes happen), then answers the fault instead, or never answers. */
  private async applyThenWithhold(
    context: RequestContext,
    fault: Extract<ActiveFault, { mode: 'apply-then-status' | 'apply-then-hang' }>,
  ): Promise<void> {
    context.withholding = true;
    const outcome = await this.respond(context);
    context.withholding = false;
    context.withheldStatus = outcome.status;
    if (fault.mode === 'apply-then-status') {
      const error = faultError(fault.status);
      this.send(context, error.status, error.toResponseBody(context.correlationId));
      this.record(context, { status: context.res.destroyed && !context.res.writableEnded ? 0 : error.status });
      return;
    }
    if (context.res.destroyed || this.closing) {
      this.drop(context);
      return;
    }
    this.park(context, 'apply-then-hang');
  }

  private park(context: RequestContext, heldBy: HoldingFaultMode): void {
    context.heldBy = heldBy;
    this.parked.add(context);
    context.res.once('close', () => {
      // The client gave up while the request was held.
      if (this.parked.delete(context) || !context.res.writableEnded) this.record(context, { status: 0 });
    });
  }

  /** Ends a request's connection without an answer; logged at once, before the client can see the drop. */
  private drop(context: RequestContext): void {
    this.record(context, { status: 0 });
    context.res.destroy();
  }

  private async process(context: RequestContext): Promise<void> {
    const outcome = await this.respond(context);
    this.record(context, outcome);
  }

  private async respond(context: RequestContext): Promise<Outcome> {
    const { req, url, correlationId, apiPath, match } = context;
    const { auth, limiter } = this.parts;
    let headers: Record<string, string> = {};
    try {
      const token = auth.authenticate(req.headers.authorization);
      if (token instanceof HubSpotApiError) throw token;

      if (!match) throw this.routingError(context);
      const scope = match.route.scope(match.params);
      const scopeError = scope === undefined ? undefined : auth.authorize(scope);
      if (scopeError) throw scopeError;

      const decision = limiter.admit(match.route.limitClass, token);
      headers = decision.headers;
      if (!decision.allowed) {
        req.resume();
        this.send(context, 429, rateLimitBody(decision.policy, correlationId), headers);
        return { status: 429, policy: decision.policy };
      }

      const body = match.route.readBody ? await match.route.readBody(req) : await this.readJsonBody(context);
      if (context.res.destroyed) return { status: 0 };
      const result = match.route.handle({
        params: match.params,
        query: url.searchParams,
        body,
        origin: `http://${req.headers.host ?? 'localhost'}`,
        path: url.pathname,
        apiVersion: apiPath.apiVersion,
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

  /**
   * A JSON body: read as text, checked against body-content faults and the route's raw-body checks, then parsed.
   * (Bodies a route reads itself, such as multipart uploads, skip the body-content faults.)
   */
  private async readJsonBody(context: RequestContext): Promise<unknown> {
    const { req, url, match } = context;
    const text = await readBodyText(req);
    context.bodyChars = text.length;
    if (context.res.destroyed) return undefined;
    const bodyFault = context.withholding ? undefined : this.parts.faults.takeForBody(url.pathname, text);
    if (bodyFault?.mode === 'status') {
      context.fault = bodyFault;
      throw faultError(bodyFault.status);
    }
    match?.route.checkRawBody?.(text);
    return parseJsonBody(text);
  }

  private routingError(context: RequestContext): HubSpotApiError {
    const { req, url, apiPath } = context;
    const method = req.method ?? '';
    if (apiPath.unsupportedVersion !== undefined) {
      // hubspot.md, "Versions and auth": HubSpot serves 2026-03 and 2026-09; another date routes nowhere.
      return HubSpotApiError.notFound(
        `Unable to route ${method} ${url.pathname}: API version ${apiPath.unsupportedVersion} does not exist (supported: 2026-03, 2026-09).`,
      );
    }
    const other = this.parts.routes.match(method, apiPath.routePath);
    return 'methodMismatch' in other && other.methodMismatch
      ? new HubSpotApiError(405, 'VALIDATION_ERROR', `Method ${method} is not allowed on ${url.pathname}`)
      : HubSpotApiError.notFound(`Unable to route ${method} ${url.pathname}`);
  }

  private async handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const reply = (status: number, body: unknown): void => {
      const payload = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json;charset=utf-8',
        'content-length': Buffer.byteLength(payload),
      });
      res.end(payload);
    };
    try {
      const match = this.parts.controls.match(req.method ?? 'GET', url.pathname);
      if (!('route' in match)) {
        req.resume();
        reply(404, { error: `No emulator control ${req.method ?? ''} ${url.pathname}` });
        return;
      }
      const body = parseJsonBody(await readBodyText(req));
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
    if (context.withholding) return;
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
    if (context.recorded) return;
    context.recorded = true;
    const entry: RequestLogEntry = {
      time: context.startedAt,
      method: context.req.method ?? 'GET',
      path: context.url.pathname,
      endpoint: context.endpoint,
      apiVersion: context.apiPath.apiVersion,
      connectionId: context.connectionId,
      requestOnConnection: context.requestOnConnection,
      status: outcome.status,
      durationMs: this.parts.clock() - context.startedAt,
      correlationId: context.correlationId,
      ...(outcome.policy ? { policy: outcome.policy } : {}),
      ...(context.fault ? { fault: context.fault.mode } : {}),
      ...(context.withheldStatus !== undefined ? { withheldStatus: context.withheldStatus } : {}),
      ...(context.bodyChars !== undefined ? { bodyChars: context.bodyChars } : {}),
      ...senderOf(context.req.headers),
    };
    this.parts.log.record(entry);
  }

  private connectionOf(socket: Socket): ConnectionInfo {
    let connection = this.connections.get(socket);
    if (!connection) {
      connection = { id: this.nextConnectionId, requests: 0 };
      this.nextConnectionId += 1;
      this.connections.set(socket, connection);
    }
    return connection;
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

/** "POST /crm/v3/objects/contacts/search" → "POST /crm/objects/2026-09/contacts/search" for a dated request. */
function endpointAsRequested(endpoint: string, apiPath: ResolvedApiPath): string {
  const space = endpoint.indexOf(' ');
  return `${endpoint.slice(0, space)} ${apiPath.asRequested(endpoint.slice(space + 1))}`;
}

async function readBodyText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new HubSpotApiError(413, 'VALIDATION_ERROR', `Request body is larger than ${MAX_BODY_BYTES} bytes.`);
    }
    chunks.push(chunk);
  }
  return size === 0 ? '' : Buffer.concat(chunks).toString('utf8');
}

function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw HubSpotApiError.validation(`Invalid input JSON on line 1: ${(error as Error).message}`);
  }
}

/**
 * Which connector instance sent a request, under which sync-lease epoch, as its `x-connector-instance` and
 * `x-connector-epoch` headers say (HubSpot itself ignores unknown headers; tests read them from the request log).
 */
function senderOf(headers: IncomingHttpHeaders): Pick<RequestLogEntry, 'sender'> {
  const instance = headers['x-connector-instance'];
  if (typeof instance !== 'string') return {};
  const epoch = Number(headers['x-connector-epoch']);
  return { sender: { instance, epoch: Number.isSafeInteger(epoch) ? epoch : null } };
}
