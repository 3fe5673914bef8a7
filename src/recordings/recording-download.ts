import { createHash, randomUUID } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net, { type LookupFunction } from 'node:net';
import { join } from 'node:path';
import { type Duplex, type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import axios from 'axios';
import ipaddr from 'ipaddr.js';

export interface DownloadLimits {
  /** Size cap, in bytes, counted on the wire (no decompression). */
  maxBytes: number;
  /** TCP connect, and for https the TLS handshake too. */
  connectTimeoutMs: number;
  /** The whole download: every redirect, the answer and the body. */
  totalTimeoutMs: number;
  maxRedirects: number;
  /** CIDR ranges reachable although private, loopback or link-local (RECORDINGS_ALLOW_NETWORKS); usually none. */
  allowedNetworks: string[];
  /** Where the body is written; created if missing. */
  spoolDir: string;
}

export interface DownloadRequest {
  url: string;
  /** Sent to the first URL's origin only, never to a redirect target elsewhere (they carry the vendor's API key). */
  headers?: Record<string, string>;
}

export type AudioExtension = 'mp3' | 'wav' | 'ogg' | 'm4a' | 'webm' | 'flac' | 'aac';

export interface DownloadedAudio {
  path: string;
  bytes: number;
  sha256: string;
  /** The type of the bytes found (by their first bytes), not the one the host declared. */
  contentType: string;
  extension: AudioExtension;
  /** Removes the spooled file; safe to call twice. */
  dispose(): Promise<void>;
}

/** A download that failed. `reason` is short and safe to log: a host name at most, never a path, query or header. */
export class RecordingDownloadError extends Error {
  constructor(
    readonly reason: string,
    readonly retryable: boolean,
  ) {
    super(reason);
    this.name = 'RecordingDownloadError';
  }
}

const permanent = (reason: string) => new RecordingDownloadError(reason, false);
const retryable = (reason: string) => new RecordingDownloadError(reason, true);

// prettier-ignore
const CONTENT_TYPES: Readonly<Record<AudioExtension, string>> = {
  mp3: 'audio/mpeg', wav: 'audio/wav', ogg: 'audio/ogg', m4a: 'audio/mp4', webm: 'audio/webm', flac: 'audio/flac', aac: 'audio/aac',
};
/** Declared types taken on trust until the first bytes say what the body is; anything else is refused outright. */
const OPAQUE_TYPES = new Set(['', 'application/octet-stream', 'binary/octet-stream']);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const RETRYABLE_STATUSES = new Set([408, 425, 429]);
const NAT64 = ipaddr.parseCIDR('64:ff9b::/96');

type Network = [ipaddr.IPv4 | ipaddr.IPv6, number];

function parseNetworks(entries: readonly string[]): Network[] {
  return entries.map((entry) => {
    const text = entry.trim();
    try {
      if (text.includes('/')) return ipaddr.parseCIDR(text);
      const single = ipaddr.parse(text);
      return [single, single.kind() === 'ipv4' ? 32 : 128];
    } catch {
      throw permanent(`RECORDINGS_ALLOW_NETWORKS has an entry that is not a CIDR range: ${text.slice(0, 60)}`);
    }
  });
}

/** The IPv4 address an IPv6 one stands for: IPv4-mapped, NAT64 (RFC 6052 well-known prefix), IPv4-compatible. */
function embeddedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  if (ip.isIPv4MappedAddress()) return ip.toIPv4Address();
  const [p0, p1, p2, p3, p4, p5, p6 = 0, p7 = 0] = ip.parts;
  if (ip.match(NAT64) || [p0, p1, p2, p3, p4, p5].every((part) => part === 0)) {
    return new ipaddr.IPv4([p6 >> 8, p6 & 0xff, p7 >> 8, p7 & 0xff]);
  }
  return undefined;
}

/**
 * The ipaddr.js range an address is refused for, or null when it may be reached: only 'unicast' (public) addresses
 * are, plus those inside `allowed`. An IPv6 address that carries an IPv4 one is judged by that IPv4 address, so that
 * ::ffff:10.0.0.1 or 64:ff9b::a9fe:a9fe is no way around the check.
 */
export function refusedRange(address: string, allowed: readonly Network[]): string | null {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // ipaddr.js reads ::a.b.c.d as ::ffff:a.b.c.d; the URL parser writes every IPv6 address in hex, as it is meant.
    ip = ipaddr.parse(
      net.isIPv6(address) ? new URL(`http://[${address.replace(/%.*$/, '')}]`).hostname.slice(1, -1) : address,
    );
  } catch {
    return 'unparseable';
  }
  const inner = ip instanceof ipaddr.IPv6 ? embeddedIPv4(ip) : undefined;
  const inside = (candidate: ipaddr.IPv4 | ipaddr.IPv6, [base, bits]: Network) =>
    candidate.kind() === base.kind() && candidate.match(base, bits);
  if (allowed.some((network) => inside(ip, network) || (inner !== undefined && inside(inner, network)))) return null;
  const own = ip.range();
  // IPv4-compatible addresses (::a.b.c.d) are deprecated (RFC 4291 §2.5.5.1): nothing public is reached that way.
  // (Mapped and NAT64 addresses have ranges of their own, so only these are 'unicast' with an IPv4 address inside.)
  if (own === 'unicast' && inner !== undefined) return 'ipv4Compatible';
  const range = inner !== undefined && own !== 'unspecified' && own !== 'loopback' ? inner.range() : own;
  return range === 'unicast' ? null : range;
}

function refusal(host: string, range: string, verb: string): RecordingDownloadError {
  // ipaddr.js's range name in words: linkLocal → link-local, carrierGradeNat → carrier-grade-nat.
  const word = range.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
  const article = /^[aeiou]/.test(word) ? 'an' : 'a';
  return permanent(
    `the recording host ${host.slice(0, 100)} ${verb} ${article} ${word} address (refused; RECORDINGS_ALLOW_NETWORKS allows ranges)`,
  );
}

const seconds = (ms: number) => `${ms / 1000}s`;

/**
 * The agents of one download. Their `lookup` checks every address DNS returns at connect time, so a second answer
 * cannot rebind the host to an internal address after a check; their sockets must connect within the connect time-out.
 * Every address must be allowed, not just one: a name that mixes public and internal addresses is refused rather than
 * trimmed, since which one the socket would use is not ours to predict and a mix is a rebinding set-up's signature.
 */
class ConnectionGuard {
  refused: RecordingDownloadError | undefined;
  connectTimedOut = false;
  readonly httpAgent: http.Agent;
  readonly httpsAgent: https.Agent;

  constructor(
    private readonly allowed: readonly Network[],
    private readonly connectTimeoutMs: number,
  ) {
    const watch = this.watch.bind(this);
    const options = { keepAlive: false, lookup: this.lookup };
    this.httpAgent = new (class extends http.Agent {
      override createConnection(...args: Parameters<http.Agent['createConnection']>) {
        return watch(super.createConnection(...args), 'connect');
      }
    })(options);
    this.httpsAgent = new (class extends https.Agent {
      override createConnection(...args: Parameters<https.Agent['createConnection']>) {
        return watch(super.createConnection(...args), 'secureConnect');
      }
    })(options);
  }

  private readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, family: options.family, hints: options.hints }, (error, addresses) => {
      if (error) return callback(error, '');
      const range = addresses.map(({ address }) => refusedRange(address, this.allowed)).find((found) => found !== null);
      const first = addresses[0];
      if (range !== undefined || first === undefined) {
        this.refused = refusal(hostname, range ?? 'unresolved', 'resolves to');
        return callback(this.refused, '');
      }
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };

  private watch(socket: Duplex | null | undefined, connected: 'connect' | 'secureConnect') {
    if (socket instanceof net.Socket) {
      const timer = setTimeout(() => {
        this.connectTimedOut = true;
        socket.destroy(new Error('connect timed out'));
      }, this.connectTimeoutMs);
      const clear = () => clearTimeout(timer);
      socket.once(connected, clear).once('close', clear);
    }
    return socket;
  }

  /** Node connects to an IP literal without calling `lookup`: such hosts are checked here, before any request. */
  checkLiteral(url: URL): void {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (net.isIP(host) === 0) return;
    const range = refusedRange(host, this.allowed);
    if (range !== null) throw refusal(host, range, 'is');
  }

  destroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

// An instance of our own, so that defaults or interceptors set on the global axios elsewhere never apply here.
const client = axios.create();

function parseUrl(text: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw permanent(base ? 'the recording host sent an invalid redirect' : 'the recording URL is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw permanent(`the recording URL must be http or https, not ${url.protocol.slice(0, 20)}`);
  }
  return url;
}

/**
 * Downloads a call's recording into a file under `limits.spoolDir`, checking each host against internal networks,
 * following redirects itself, and refusing anything that is not audio or is over the size cap. The body is streamed
 * to disk (hashed on the way), never held in memory; the file is removed on any failure.
 */
export async function downloadRecording(
  request: DownloadRequest,
  limits: DownloadLimits,
  signal?: AbortSignal,
): Promise<DownloadedAudio> {
  const guard = new ConnectionGuard(parseNetworks(limits.allowedNetworks), limits.connectTimeoutMs);
  let url = parseUrl(request.url);
  const origin = url.origin;
  const cancelled = retryable('the download was cancelled (shutting down)');
  if (signal?.aborted) throw cancelled;
  const controller = new AbortController();
  const onCancel = () => controller.abort(cancelled);
  signal?.addEventListener('abort', onCancel, { once: true });
  const timer = setTimeout(
    () => controller.abort(retryable(`the download timed out after ${seconds(limits.totalTimeoutMs)}`)),
    limits.totalTimeoutMs,
  );
  try {
    for (let redirects = 0; redirects <= limits.maxRedirects; redirects += 1) {
      guard.checkLiteral(url);
      const response = await client.request<Readable>({
        url: url.href,
        method: 'GET',
        headers: headersFor(url, origin, request.headers),
        adapter: 'http',
        responseType: 'stream',
        // Bytes as sent, so that the cap counts what crosses the wire (no zip bomb grows past it).
        decompress: false,
        maxRedirects: 0,
        // A proxy from the environment would resolve the host itself, out of reach of the guard's lookup.
        proxy: false,
        validateStatus: () => true,
        httpAgent: guard.httpAgent,
        httpsAgent: guard.httpsAgent,
        signal: controller.signal,
      });
      const status = response.status;
      if (REDIRECTS.has(status)) {
        response.data.destroy();
        if (redirects === limits.maxRedirects) break;
        const location: unknown = response.headers['location'];
        if (typeof location !== 'string' || location === '') {
          throw permanent(`the recording host answered ${status} without a Location`);
        }
        url = parseUrl(location, url);
        continue;
      }
      if (status < 200 || status > 299) {
        response.data.destroy();
        throw statusError(status);
      }
      return await spool(response.data, response.headers, limits, controller.signal);
    }
    throw permanent(`the recording host redirected more than ${limits.maxRedirects} times`);
  } catch (error) {
    throw explain(error, guard, controller.signal, url.hostname);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onCancel);
    guard.destroy();
  }
}

/** The caller's headers go to the first URL's origin only: Vapi redirects to presigned storage, which must not get the key. */
function headersFor(url: URL, origin: string, given: Record<string, string> | undefined): Record<string, string> {
  const headers: Record<string, string> = {
    'User-Agent': 'ai-call-hubspot-connector (recordings)',
    Accept: 'audio/*, application/octet-stream;q=0.9, */*;q=0.1',
  };
  if (url.origin === origin) {
    for (const [name, value] of Object.entries(given ?? {})) {
      if (!['accept-encoding', 'host'].includes(name.toLowerCase())) headers[name] = value;
    }
  }
  headers['Accept-Encoding'] = 'identity';
  return headers;
}

function statusError(status: number): RecordingDownloadError {
  const reason = `the recording host answered ${status}`;
  if (RETRYABLE_STATUSES.has(status) || (status >= 500 && status <= 599)) return retryable(`${reason} (temporary)`);
  if (status === 404 || status === 410) return permanent(`${reason} (link expired or removed)`);
  if (status === 401 || status === 403) return permanent(`${reason} (access refused: link or key no longer valid)`);
  return permanent(reason);
}

/** Turns whatever ended the download into a RecordingDownloadError, the guard's and the deadline's reasons first. */
function explain(error: unknown, guard: ConnectionGuard, signal: AbortSignal, host: string): RecordingDownloadError {
  if (guard.refused) return guard.refused;
  if (error instanceof RecordingDownloadError) return error;
  if (signal.aborted && signal.reason instanceof RecordingDownloadError) return signal.reason;
  if (guard.connectTimedOut) return retryable(`could not connect to ${host} within the connect time-out`);
  const raw = (error as { code?: unknown } | null)?.code;
  // Only the code of a network error, never its message (axios's may hold the URL).
  const code = typeof raw === 'string' && /^[A-Z0-9_]{1,40}$/.test(raw) ? raw : 'network error';
  if (code === 'ENOTFOUND') return permanent(`the recording host ${host} does not resolve`);
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return permanent(`the TLS certificate of ${host} is not valid (${code})`);
  }
  return retryable(`the download from ${host} failed (${code})`);
}

async function spool(
  body: Readable,
  headers: Record<string, unknown>,
  limits: DownloadLimits,
  signal: AbortSignal,
): Promise<DownloadedAudio> {
  const declaredHeader = headers['content-type'];
  const declared = typeof declaredHeader === 'string' ? declaredHeader.split(';')[0]!.trim().toLowerCase() : '';
  const lengthHeader = headers['content-length'];
  const length = typeof lengthHeader === 'string' && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
  if (!declared.startsWith('audio/') && !OPAQUE_TYPES.has(declared)) {
    body.destroy();
    throw permanent(`the recording host served ${declared.slice(0, 60)}, not audio`);
  }
  if (length !== undefined && length > limits.maxBytes) {
    body.destroy();
    throw permanent(`the recording is ${length} bytes, over the ${limits.maxBytes}-byte cap`);
  }
  const name = `recording-${randomUUID()}`;
  const partPath = join(limits.spoolDir, `${name}.part`);
  const inspector = new AudioInspector(limits.maxBytes, declared || 'no content type');
  try {
    await mkdir(limits.spoolDir, { recursive: true });
    const file = await open(partPath, 'wx', 0o600);
    await pipeline(body, inspector, file.createWriteStream(), { signal });
    const extension = inspector.extension();
    const path = join(limits.spoolDir, `${name}.${extension}`);
    await rename(partPath, path);
    return {
      path,
      bytes: inspector.bytes,
      sha256: inspector.hash.digest('hex'),
      contentType: CONTENT_TYPES[extension],
      extension,
      dispose: () => rm(path, { force: true }),
    };
  } catch (error) {
    body.destroy();
    await rm(partPath, { force: true });
    throw error;
  }
}

/** Counts, hashes and sniffs the body on its way to disk; ends it as soon as the cap is passed or the start is not audio. */
class AudioInspector extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  private head = Buffer.alloc(0);
  private found: AudioExtension | undefined;

  constructor(
    private readonly maxBytes: number,
    private readonly declared: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      return callback(permanent(`the recording is over the ${this.maxBytes}-byte cap (no Content-Length given)`));
    }
    if (this.head.length < 12) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, 12 - this.head.length)]);
      if (this.head.length === 12) {
        try {
          this.extension();
        } catch (error) {
          return callback(error as Error);
        }
      }
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  /** The format the first bytes show; throws when they show none (an error page served as audio or octet-stream). */
  extension(): AudioExtension {
    this.found ??= sniff(this.head);
    if (this.found) return this.found;
    if (this.bytes === 0) throw permanent(`the recording host served an empty body (${this.declared})`);
    throw permanent(
      `the recording host served ${this.declared.slice(0, 60)}, but the bytes are not a known audio format`,
    );
  }
}

function sniff(head: Buffer): AudioExtension | undefined {
  const ascii = (start: number, end: number) => head.subarray(start, end).toString('latin1');
  if (ascii(0, 3) === 'ID3') return 'mp3';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'wav';
  if (ascii(0, 4) === 'OggS') return 'ogg';
  if (ascii(0, 4) === 'fLaC') return 'flac';
  if (ascii(4, 8) === 'ftyp') return 'm4a';
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) return 'webm';
  // An 11-bit frame sync: MPEG audio, unless the layer bits are 00, which is AAC in an ADTS frame.
  const second = head[1] ?? 0;
  if (head[0] === 0xff && (second & 0xe0) === 0xe0) return (second & 0x06) === 0 ? 'aac' : 'mp3';
  return undefined;
}
