import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';

/** What the host does for one path. */
type Behaviour =
  | { kind: 'serve'; bytes: Buffer; contentType: string }
  | { kind: 'expired' }
  | { kind: 'hang' }
  | { kind: 'status'; status: number }
  | { kind: 'redirect'; location: string; requireAuth?: string }
  | { kind: 'endless'; chunkBytes: number; totalBytes: number };

/**
 * A vendor's recording host on loopback, as a test programs it: serves audio, lets a link expire (404 as S3 and
 * signed CDN links do), hangs, fails, redirects (to a private address, or to storage with the vendor's API key
 * checked), or serves an endless body. It records what it was asked for (path and Authorization header).
 */
export interface RecordingHost {
  url: string;
  /** Requests by path, with the Authorization header each carried. */
  readonly requests: Array<{ path: string; authorization: string | null }>;
  /** Serves `bytes` at `path`; answers the link's URL. */
  serve(path: string, bytes: Buffer, contentType?: string): string;
  expire(path: string): void;
  hang(path: string): string;
  fail(path: string, status: number): string;
  redirect(path: string, location: string, requireAuth?: string): string;
  /** A body of `totalBytes` in chunks, made as it is sent (never held), with no Content-Length. */
  endless(path: string, totalBytes: number): string;
  /** Bytes of endless bodies sent so far. */
  endlessSent(): number;
  close(): Promise<void>;
}

export async function startRecordingHost(): Promise<RecordingHost> {
  const behaviours = new Map<string, Behaviour>();
  const requests: Array<{ path: string; authorization: string | null }> = [];
  const sockets = new Set<Socket>();
  let endlessSent = 0;
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0]!;
    requests.push({ path, authorization: request.headers.authorization ?? null });
    const behaviour = behaviours.get(path) ?? { kind: 'expired' };
    switch (behaviour.kind) {
      case 'serve':
        response.writeHead(200, { 'content-type': behaviour.contentType, 'content-length': behaviour.bytes.length });
        response.end(behaviour.bytes);
        return;
      case 'expired':
        response.writeHead(404, { 'content-type': 'application/xml' });
        response.end('<Error><Code>NoSuchKey</Code></Error>');
        return;
      case 'hang':
        return; // never answers; the socket is destroyed on close
      case 'status':
        response.writeHead(behaviour.status, { 'content-type': 'text/plain' });
        response.end('failure');
        return;
      case 'redirect':
        if (behaviour.requireAuth && request.headers.authorization !== behaviour.requireAuth) {
          response.writeHead(401, { 'content-type': 'application/json' });
          response.end('{"message":"Unauthorized"}');
          return;
        }
        response.writeHead(302, { location: behaviour.location });
        response.end();
        return;
      case 'endless': {
        response.writeHead(200, { 'content-type': 'audio/mpeg' });
        let sent = 0;
        const chunk = Buffer.alloc(behaviour.chunkBytes, 0xff);
        const body = new Readable({
          read() {
            if (sent >= behaviour.totalBytes) {
              this.push(null);
              return;
            }
            sent += chunk.length;
            endlessSent += chunk.length;
            this.push(chunk);
          },
        });
        body.pipe(response);
        response.on('close', () => body.destroy());
        return;
      }
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const set = (path: string, behaviour: Behaviour): string => {
    behaviours.set(path, behaviour);
    return `${url}${path}`;
  };
  return {
    url,
    requests,
    serve: (path, bytes, contentType = 'audio/mpeg') => set(path, { kind: 'serve', bytes, contentType }),
    expire: (path) => void set(path, { kind: 'expired' }),
    hang: (path) => set(path, { kind: 'hang' }),
    fail: (path, status) => set(path, { kind: 'status', status }),
    redirect: (path, location, requireAuth) =>
      set(path, { kind: 'redirect', location, ...(requireAuth ? { requireAuth } : {}) }),
    endless: (path, totalBytes) => set(path, { kind: 'endless', chunkBytes: 64 * 1024, totalBytes }),
    endlessSent: () => endlessSent,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Bytes that pass for an MP3 (an ID3 header, then random frames' worth of data), `size` long. */
export function fakeMp3(size: number): Buffer {
  const bytes = randomBytes(size);
  bytes.write('ID3', 0, 'latin1');
  bytes[3] = 4;
  bytes[4] = 0;
  return bytes;
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
