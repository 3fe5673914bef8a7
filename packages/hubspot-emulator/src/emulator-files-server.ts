/**
 * The emulator's stand-in for HubSpot's file CDN: HTTPS on a port of its own, serving
 * `/hubfs/{portalId}/{folder path}/{name}.{extension}` from memory. HubSpot's file URLs are HTTPS, and
 * `hs_call_recording_url` takes only https URLs (hubspot.md, "Calls"), so a file URL the connector writes there must
 * be one. The certificate is a committed test-only one for 127.0.0.1 and localhost (`certs/`,
 * `emulatorFilesCertificate()` for clients to trust); it protects nothing.
 *
 * - PUBLIC_* (and HIDDEN_*_INDEXABLE) files answer anyone with their bytes; the not-indexable ones with
 *   `X-Robots-Tag: noindex` ("The X-Robots-Tag: noindex header will be sent whenever the file is retrieved",
 *   https://developers.hubspot.com/docs/api/files/files).
 * - PRIVATE and SENSITIVE files "require a signed URL" (same page): their plain URL answers 403, their signed URL
 *   (`?expires=…&signature=…`, from `GET /files/v3/files/{id}/signed-url`) the bytes until it expires. Assumptions:
 *   HubSpot's CDN status and body for a refused private file are not documented (403 here), nor is its signed URL
 *   format (HubSpot's own are opaque; any client must treat them so).
 *
 * No auth, rate limits, faults or request log: HubSpot's CDN is not its API.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { isIndexable, isPubliclyServed, type FileStore } from './emulator-file-store.js';

const CERTIFICATE_PATH = new URL('../certs/files-tls-cert.pem', import.meta.url);
const KEY_PATH = new URL('../certs/files-tls-key.pem', import.meta.url);

/** The PEM certificate the files port presents (self-signed, for 127.0.0.1 and localhost): pass it as `ca`. */
export function emulatorFilesCertificate(): string {
  return readFileSync(CERTIFICATE_PATH, 'utf8');
}

export class EmulatorFilesServer {
  private readonly server: Server;

  constructor(
    private readonly files: FileStore,
    private readonly portalId: number,
  ) {
    this.server = createServer({ cert: emulatorFilesCertificate(), key: readFileSync(KEY_PATH, 'utf8') }, (req, res) =>
      this.handle(req, res),
    );
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

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      answer(res, 405, 'Method not allowed', { allow: 'GET, HEAD' });
      return;
    }
    const url = new URL(req.url ?? '/', 'https://files.invalid');
    const file = this.fileAt(url.pathname);
    if (!file) {
      answer(res, 404, 'Not found');
      return;
    }
    const signed = this.files.verifySignature(file, url.searchParams.get('expires'), url.searchParams.get('signature'));
    if (!isPubliclyServed(file.access) && !signed) {
      answer(res, 403, 'Access denied: this file is private; use a signed URL that has not expired.');
      return;
    }
    const headers: Record<string, string | number> = {
      'content-type': file.contentType,
      'content-length': file.bytes.length,
      etag: `"${file.md5}"`,
      'last-modified': new Date(file.updatedAt).toUTCString(),
    };
    if (!isIndexable(file.access)) headers['x-robots-tag'] = 'noindex';
    res.writeHead(200, headers);
    // The bytes stay in the store; the socket is fed from that one buffer.
    res.end(req.method === 'HEAD' ? undefined : file.bytes);
  }

  /** `/hubfs/{portalId}/{path}` → the live file at `/{path}`. */
  private fileAt(pathname: string) {
    const segments = pathname.split('/').filter(Boolean);
    if (segments[0] !== 'hubfs' || segments[1] !== String(this.portalId) || segments.length < 3) return undefined;
    try {
      return this.files.byPath(`/${segments.slice(2).map(decodeURIComponent).join('/')}`);
    } catch {
      return undefined;
    }
  }
}

function answer(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
