import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { AppEnv } from '../config/env.schema.js';

/**
 * The listen backlog: connections the kernel completes before the connector accepts them. Node's default (511)
 * overflows under a flood of connections, and a new client's SYN is then dropped and resent only a second later;
 * Linux caps it at `net.core.somaxconn` (4096 by default).
 */
export const LISTEN_BACKLOG = 4_096;

/**
 * How often the server checks the header and request time-outs. Node checks every 30 s by default, so a client
 * trickling its headers or body would be held up to 30 s past them; it can only be set when the server is made.
 */
export const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

/** NestJS's Express adapter, on an HTTP server that checks its time-outs every `CONNECTIONS_CHECKING_INTERVAL_MS`. */
export class TimedExpressAdapter extends ExpressAdapter {
  override initHttpServer(options: NestApplicationOptions): void {
    // The adapter's own set-up (its options are not used here: no HTTPS, no forced close), then its server made
    // again with the interval (the first one never listens, so it holds nothing).
    super.initHttpServer(options);
    this.httpServer = createServer(
      { connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS },
      this.getInstance(),
    );
  }
}

/** Requests one kept-alive connection may carry before the connector closes it (the client opens a new one). */
export const MAX_REQUESTS_PER_CONNECTION = 1_000;

/**
 * Limits suited to a webhook receiver, on the HTTP server itself: requests must send their headers within
 * `HTTP_HEADERS_TIMEOUT_MS` and be complete within `HTTP_REQUEST_TIMEOUT_MS`; a connection idle for
 * `HTTP_IDLE_TIMEOUT_MS` is closed (Node's defaults hold a trickled body for minutes), an idle kept-alive one after at
 * most 5 s, and a kept-alive one after `MAX_REQUESTS_PER_CONNECTION` requests; at most
 * `HTTP_MAX_CONNECTIONS` connections in all and `HTTP_MAX_CONNECTIONS_PER_ADDRESS` from one address (connections
 * beyond are closed at once, so that one client cannot use up the descriptors).
 */
export function limitConnections(server: Server, http: AppEnv['http'], onRefused: () => void = () => undefined): void {
  server.headersTimeout = http.headersTimeoutMs;
  server.requestTimeout = http.requestTimeoutMs;
  server.keepAliveTimeout = Math.min(5_000, http.idleTimeoutMs);
  server.timeout = http.idleTimeoutMs;
  server.maxRequestsPerSocket = MAX_REQUESTS_PER_CONNECTION;
  server.maxConnections = http.maxConnections;
  const perAddress = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const open = (perAddress.get(address) ?? 0) + 1;
    if (http.maxConnectionsPerAddress > 0 && open > http.maxConnectionsPerAddress) {
      onRefused();
      socket.destroy();
      return;
    }
    perAddress.set(address, open);
    socket.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  });
}

/**
 * Express middleware, first in line: a request arriving on a connection whose answer side the connector has already
 * closed (a refused request's connection, lingering for its client to read the answer) could not be answered, so it
 * goes no further: nothing of it is stored or done, and the connection is closed. Its sender sends it again.
 */
export function refuseOnClosedConnection(request: IncomingMessage, _response: unknown, next: () => void): void {
  if (request.socket.writableEnded) {
    request.socket.destroy();
    return;
  }
  next();
}
