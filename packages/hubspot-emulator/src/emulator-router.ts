/** A minimal method + path-pattern router (`/crm/v3/objects/:objectType/:id`), enough for HubSpot's paths. */
import type { IncomingMessage } from 'node:http';
import type { ApiVersion } from './emulator-api-versions.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RouteRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** `http://host:port` as the client addressed the emulator, for paging links. */
  origin: string;
  /** The path as the client sent it (dated or legacy), for paging links. */
  path: string;
  /** The version the path carries; routes apply the rules that differ per version. */
  apiVersion: ApiVersion;
}

export interface RouteResponse {
  status: number;
  body?: unknown;
}

export interface RoutePattern {
  method: HttpMethod;
  pattern: string;
}

export interface Route extends RoutePattern {
  /** Search endpoints have their own per-second limit and answer without rate-limit headers. */
  limitClass: 'standard' | 'search';
  /** The scope HubSpot requires, given the matched parameters; undefined when any valid token will do. */
  scope: (params: Record<string, string>) => string | undefined;
  /** Checks on the raw body text, run before it is parsed (HubSpot's search body size limit). */
  checkRawBody?: (text: string) => void;
  /**
   * Reads the body itself instead of as JSON text (multipart file uploads, streamed); what it resolves to is the
   * handler's `body`. It runs after auth, scopes and rate limits, like the JSON body read.
   */
  readBody?: (req: IncomingMessage) => Promise<unknown>;
  handle: (request: RouteRequest) => RouteResponse;
}

export interface RouteMatch<TRoute extends RoutePattern = Route> {
  route: TRoute;
  params: Record<string, string>;
  /** The pattern with `:objectType` filled in and other parameters as `{name}`, for per-endpoint counters. */
  endpoint: string;
}

interface CompiledRoute<TRoute> {
  route: TRoute;
  segments: string[];
}

export class Router<TRoute extends RoutePattern = Route> {
  private readonly routes: CompiledRoute<TRoute>[] = [];

  add(routes: readonly TRoute[]): this {
    for (const route of routes) this.routes.push({ route, segments: route.pattern.split('/').filter(Boolean) });
    return this;
  }

  /** The matching route; `methodMismatch` when the path exists under another method. */
  match(method: string, path: string): RouteMatch<TRoute> | { methodMismatch: boolean } {
    const parts = path.split('/').filter(Boolean);
    let methodMismatch = false;
    for (const { route, segments } of this.routes) {
      const params = matchSegments(segments, parts);
      if (!params) continue;
      if (route.method !== method) {
        methodMismatch = true;
        continue;
      }
      return { route, params, endpoint: `${method} ${endpointOf(segments, params)}` };
    }
    return { methodMismatch };
  }
}

function matchSegments(segments: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let position = 0; position < segments.length; position += 1) {
    const segment = segments[position] as string;
    const part = parts[position] as string;
    if (segment.startsWith(':')) {
      try {
        params[segment.slice(1)] = decodeURIComponent(part);
      } catch {
        return undefined;
      }
    } else if (segment !== part) {
      return undefined;
    }
  }
  return params;
}

function endpointOf(segments: readonly string[], params: Record<string, string>): string {
  return `/${segments
    .map((segment) => {
      if (!segment.startsWith(':')) return segment;
      const name = segment.slice(1);
      const isObjectType = name === 'objectType' || name === 'toObjectType' || name === 'fromObjectType';
      return isObjectType ? (params[name] ?? segment) : `{${name}}`;
    })
    .join('/')}`;
}
