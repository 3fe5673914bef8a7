import { createHash, randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import ipaddr from 'ipaddr.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DownloadLimits, downloadRecording, RecordingDownloadError, refusedRange } from './recording-download.js';

const MP3 = Buffer.concat([Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00', 'latin1'), randomBytes(200_000)]);
const WAV = Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'), randomBytes(50_000)]);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface TestServer {
  origin: string;
  port: number;
  /** TCP connections the server accepted. */
  connections: number;
  requests: http.IncomingHttpHeaders[];
}

const servers: { server: net.Server; sockets: Set<net.Socket> }[] = [];

async function listen<S extends net.Server>(server: S, host: string): Promise<TestServer & { server: S }> {
  const sockets = new Set<net.Socket>();
  servers.push({ server, sockets });
  const result = { server, origin: '', port: 0, connections: 0, requests: [] as http.IncomingHttpHeaders[] };
  server.on('connection', (socket: net.Socket) => {
    result.connections += 1;
    sockets.add(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  result.port = (server.address() as net.AddressInfo).port;
  result.origin = `http://${host}:${result.port}`;
  return result;
}

/** A real HTTP server on loopback; `handler` gets each request after its headers are recorded. */
async function serve(handler: http.RequestListener, host = '127.0.0.1'): Promise<TestServer> {
  const server = http.createServer();
  const started = await listen(server, host);
  server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
    started.requests.push(request.headers);
    handler(request, response);
  });
  return started;
}

const audio =
  (body: Buffer, type = 'audio/mpeg'): http.RequestListener =>
  (_request, response) => {
    response.writeHead(200, { 'content-type': type, 'content-length': body.length });
    response.end(body);
  };
const answer =
  (status: number, headers: http.OutgoingHttpHeaders = {}, body = ''): http.RequestListener =>
  (_request, response) => {
    response.writeHead(status, headers);
    response.end(body);
  };

/** Every connection attempt any client socket in this process starts (its address), seen through Node's own channel. */
const attempts: string[] = [];
const onClientSocket = (message: unknown) => {
  (message as { socket: net.Socket }).socket.on('connectionAttempt', (ip: string) => attempts.push(ip));
};

let spoolDir: string;
const limits = (overrides: Partial<DownloadLimits> = {}): DownloadLimits => ({
  maxBytes: 5_000_000,
  connectTimeoutMs: 2_000,
  totalTimeoutMs: 10_000,
  maxRedirects: 5,
  allowedNetworks: ['127.0.0.0/8'],
  spoolDir,
  ...overrides,
});

async function failure(download: Promise<unknown>): Promise<RecordingDownloadError> {
  const error = await download.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RecordingDownloadError);
  return error as RecordingDownloadError;
}

beforeAll(() => diagnostics.subscribe('net.client.socket', onClientSocket));
afterAll(() => diagnostics.unsubscribe('net.client.socket', onClientSocket));
beforeEach(async () => {
  attempts.length = 0;
  spoolDir = await mkdtemp(join(tmpdir(), 'recording-download-'));
});
afterEach(async () => {
  for (const { server, sockets } of servers.splice(0)) {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
  await rm(spoolDir, { recursive: true, force: true });
});

describe('refusedRange (which addresses a recording may come from)', () => {
  it('refuses every internal range, IPv4 inside IPv6 included, and lets public addresses through', () => {
    const refused: [string, string][] = [
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['192.168.1.1', 'private'],
      ['127.0.0.1', 'loopback'],
      ['169.254.169.254', 'linkLocal'],
      ['0.0.0.0', 'unspecified'],
      ['100.64.0.1', 'carrierGradeNat'],
      ['224.0.0.1', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['240.0.0.1', 'reserved'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fe80::1', 'linkLocal'],
      ['fd00::1', 'uniqueLocal'],
      ['ff02::1', 'multicast'],
      ['::ffff:10.0.0.1', 'private'],
      ['::ffff:169.254.169.254', 'linkLocal'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['64:ff9b::a00:1', 'private'],
      ['64:ff9b::a9fe:a9fe', 'linkLocal'],
      ['::127.0.0.1', 'ipv4Compatible'],
      ['::8.8.8.8', 'ipv4Compatible'],
      ['2002:a00:1::1', '6to4'],
      ['not an address', 'unparseable'],
    ];
    for (const [address, range] of refused) expect([address, refusedRange(address, [])]).toEqual([address, range]);
    for (const address of ['8.8.8.8', '52.95.110.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808']) {
      expect([address, refusedRange(address, [])]).toEqual([address, null]);
    }
  });

  it('lets through what an allowed network holds, in either notation, and nothing else', () => {
    const allowed = [ipaddr.parseCIDR('127.0.0.0/8')];
    expect(refusedRange('127.0.0.1', allowed)).toBeNull();
    expect(refusedRange('::ffff:127.0.0.2', allowed)).toBeNull();
    expect(refusedRange('10.0.0.1', allowed)).toBe('private');
    expect(refusedRange('::1', allowed)).toBe('loopback');
  });
});

describe('downloadRecording', () => {
  it('streams an mp3 into the spool folder (created if missing) with its size and sha256', async () => {
    const host = await serve(audio(MP3));
    const nested = join(spoolDir, 'a', 'b');
    const result = await downloadRecording({ url: `${host.origin}/rec.mp3` }, limits({ spoolDir: nested }));
    expect(result).toMatchObject({
      bytes: MP3.length,
      sha256: sha256(MP3),
      extension: 'mp3',
      contentType: 'audio/mpeg',
    });
    expect(result.path.startsWith(nested) && result.path.endsWith('.mp3')).toBe(true);
    expect((await readFile(result.path)).equals(MP3)).toBe(true);
    expect(host.requests[0]?.['accept-encoding']).toBe('identity');
    await result.dispose();
    await result.dispose();
    await expect(stat(result.path)).rejects.toThrow();
    expect(await readdir(nested)).toEqual([]);
  });

  it('takes an octet-stream body by its first bytes: WAV magic makes a .wav; HTML bytes are refused', async () => {
    const wav = await serve(audio(WAV, 'application/octet-stream'));
    const result = await downloadRecording({ url: `${wav.origin}/r` }, limits());
    expect(result).toMatchObject({ extension: 'wav', contentType: 'audio/wav', sha256: sha256(WAV) });
    expect(result.path.endsWith('.wav')).toBe(true);
    await result.dispose();

    const page = await serve(audio(Buffer.from('<!doctype html><html>sign in</html>'), 'application/octet-stream'));
    const error = await failure(downloadRecording({ url: `${page.origin}/r` }, limits()));
    expect(error.retryable).toBe(false);
    expect(error.reason).toMatch(/application\/octet-stream, but the bytes are not a known audio format/);
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it('refuses a login or error page served with 200 (text/html, application/json), naming the type', async () => {
    for (const type of ['text/html; charset=utf-8', 'application/json']) {
      const host = await serve(audio(Buffer.from('{"error":"login"}'), type));
      const error = await failure(downloadRecording({ url: `${host.origin}/r` }, limits()));
      expect(error.retryable).toBe(false);
      expect(error.reason).toBe(`the recording host served ${type.split(';')[0]}, not audio`);
    }
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it('calls 500, 503, 429 and 408 retryable and 404, 410, 403 and 400 permanent', async () => {
    for (const status of [500, 503, 429, 408]) {
      const host = await serve(answer(status));
      const error = await failure(downloadRecording({ url: `${host.origin}/r` }, limits()));
      expect([status, error.retryable, error.reason]).toEqual([status, true, expect.stringContaining(`${status}`)]);
    }
    for (const status of [404, 410, 403, 400]) {
      const host = await serve(answer(status));
      const error = await failure(downloadRecording({ url: `${host.origin}/r` }, limits()));
      expect([status, error.retryable]).toEqual([status, false]);
    }
    const gone = await serve(answer(404));
    const error = await failure(downloadRecording({ url: `${gone.origin}/r` }, limits()));
    expect(error.reason).toBe('the recording host answered 404 (link expired or removed)');
  });

  it('refuses URLs that are not http or https, and malformed ones, before any connection', async () => {
    for (const url of ['file:///etc/passwd', 'data:audio/mpeg;base64,SUQz', 'ftp://127.0.0.1/x.mp3', 'not a url', '']) {
      const error = await failure(downloadRecording({ url }, limits()));
      expect([url, error.retryable]).toEqual([url, false]);
    }
    expect(attempts).toEqual([]);
  });

  it('times out a host that accepts and never answers, and leaves the spool folder empty', async () => {
    const silent = await serve(() => undefined);
    const error = await failure(downloadRecording({ url: `${silent.origin}/r` }, limits({ totalTimeoutMs: 300 })));
    expect(error).toMatchObject({ retryable: true, reason: 'the download timed out after 0.3s' });
    expect(silent.requests).toHaveLength(1);
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it('times out a body that stalls halfway, and removes the partial file', async () => {
    const stalls = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': MP3.length });
      response.write(MP3.subarray(0, 50_000));
    });
    const error = await failure(downloadRecording({ url: `${stalls.origin}/r` }, limits({ totalTimeoutMs: 300 })));
    expect(error).toMatchObject({ retryable: true, reason: 'the download timed out after 0.3s' });
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it('ends a connection whose TLS handshake never completes at the connect time-out', async () => {
    const mute = await listen(net.createServer(), '127.0.0.1');
    const error = await failure(
      downloadRecording({ url: `https://127.0.0.1:${mute.port}/r` }, limits({ connectTimeoutMs: 200 })),
    );
    expect(error).toMatchObject({
      retryable: true,
      reason: 'could not connect to 127.0.0.1 within the connect time-out',
    });
    expect(mute.connections).toBe(1);
  });

  it("stops when the caller's signal aborts (shutdown)", async () => {
    const controller = new AbortController();
    const host = await serve(() => controller.abort());
    const error = await failure(downloadRecording({ url: `${host.origin}/r` }, limits(), controller.signal));
    expect(error).toMatchObject({ retryable: true, reason: 'the download was cancelled (shutting down)' });
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it('refuses redirects to a private address and to the cloud metadata address without connecting', async () => {
    for (const [target, word] of [
      ['http://10.1.2.3/x', 'private'],
      ['http://169.254.169.254/latest', 'link-local'],
    ]) {
      attempts.length = 0;
      const host = await serve(answer(302, { location: target }));
      const error = await failure(downloadRecording({ url: `${host.origin}/r` }, limits()));
      expect(error.retryable).toBe(false);
      expect(error.reason).toMatch(new RegExp(`is a ${word} address \\(refused; RECORDINGS_ALLOW_NETWORKS`));
      // The only connection ever attempted is the one to the first host.
      expect(attempts).toEqual(['127.0.0.1']);
    }
  });

  it('refuses an IPv4-mapped IPv6 loopback literal, first or after a redirect, without connecting', async () => {
    const target = await serve(audio(MP3), '127.0.0.2');
    const direct = await failure(
      downloadRecording({ url: `http://[::ffff:127.0.0.2]:${target.port}/r` }, limits({ allowedNetworks: [] })),
    );
    expect(direct.reason).toMatch(/is a loopback address \(refused/);
    // The URL parser turns the other spellings of an IPv4 address into the dotted one before the check.
    for (const spelling of ['2130706434', '0x7f.2', '0177.0.0.2']) {
      const error = await failure(
        downloadRecording({ url: `http://${spelling}:${target.port}/r` }, limits({ allowedNetworks: [] })),
      );
      expect(error.reason).toMatch(/host 127\.0\.0\.2 is a loopback address \(refused/);
    }
    expect(attempts).toEqual([]);

    const first = await serve(answer(307, { location: `http://[::ffff:127.0.0.2]:${target.port}/r` }));
    const redirected = await failure(
      downloadRecording({ url: `${first.origin}/r` }, limits({ allowedNetworks: ['127.0.0.1/32'] })),
    );
    expect(redirected.reason).toMatch(/is a loopback address \(refused/);
    expect(attempts).toEqual(['127.0.0.1']);
    expect(target.connections).toBe(0);
  });

  it('refuses a name that DNS resolves to loopback (localhost) at connect time, without connecting, unless allowed', async () => {
    const host = await serve(audio(MP3));
    const error = await failure(
      downloadRecording({ url: `http://localhost:${host.port}/r` }, limits({ allowedNetworks: [] })),
    );
    expect(error.retryable).toBe(false);
    expect(error.reason).toBe(
      'the recording host localhost resolves to a loopback address (refused; RECORDINGS_ALLOW_NETWORKS allows ranges)',
    );
    expect(attempts).toEqual([]);
    expect(host.connections).toBe(0);

    // The same name, its range allowed, goes through the guard's lookup to the server.
    const result = await downloadRecording({ url: `http://localhost:${host.port}/r` }, limits());
    expect(result.sha256).toBe(sha256(MP3));
    await result.dispose();
    expect(attempts).toEqual(['127.0.0.1']);
  });

  it('follows up to maxRedirects redirects, and refuses a longer chain as permanent', async () => {
    const chain = await serve((request, response) => {
      const step = Number(request.url?.slice(1));
      if (step >= 3) return audio(MP3)(request, response);
      response.writeHead(302, { location: `/${step + 1}` });
      response.end();
    });
    const result = await downloadRecording({ url: `${chain.origin}/0` }, limits({ maxRedirects: 3 }));
    expect(result.sha256).toBe(sha256(MP3));
    await result.dispose();

    chain.requests.length = 0;
    const error = await failure(downloadRecording({ url: `${chain.origin}/0` }, limits({ maxRedirects: 2 })));
    expect(error).toMatchObject({ retryable: false, reason: 'the recording host redirected more than 2 times' });
    expect(chain.requests).toHaveLength(3);
  });

  it("sends the caller's headers to the first origin only, and never puts paths, queries or keys in a reason", async () => {
    const storage = await serve((request, response) =>
      request.url?.startsWith('/expired') ? answer(403)(request, response) : audio(MP3)(request, response),
    );
    const api = await serve((request, response) => {
      const next = request.url === '/call/1' ? '/call/1/audio' : `${storage.origin}${request.url?.slice(13)}`;
      response.writeHead(302, { location: next });
      response.end();
    });
    const headers = { Authorization: 'Bearer k3y-s3cret' };
    const result = await downloadRecording({ url: `${api.origin}/call/1`, headers }, limits());
    expect(result.sha256).toBe(sha256(MP3));
    await result.dispose();
    expect(api.requests.map((seen) => seen.authorization)).toEqual(['Bearer k3y-s3cret', 'Bearer k3y-s3cret']);
    expect(storage.requests.map((seen) => seen.authorization)).toEqual([undefined]);

    api.requests.length = 0;
    const error = await failure(
      downloadRecording({ url: `${api.origin}/call/1?token=tok3n-q`, headers }, limits({ maxRedirects: 0 })),
    );
    expect(error.reason).toBe('the recording host redirected more than 0 times');
    const signed = `${api.origin}/call/1/audio/expired/rec.mp3?X-Amz-Signature=s1gn`;
    const expired = await failure(downloadRecording({ url: signed, headers }, limits()));
    expect(expired.reason).toMatch(/answered 403/);
    for (const text of [expired.reason, expired.message, expired.stack ?? '', JSON.stringify(expired)]) {
      expect(text).not.toMatch(/k3y|s1gn|expired\/|rec\.mp3|tok3n/);
    }
  });

  it('refuses a 2 GiB body without Content-Length at the 5 MB cap, with memory flat', async () => {
    const chunk = randomBytes(64 * 1024);
    let produced = 0;
    const before = process.memoryUsage().rss;
    let peak = before;
    async function* twoGiB() {
      for (let index = 0; index < (2 * 1024 ** 3) / chunk.length; index += 1) {
        if (index % 16 === 0) peak = Math.max(peak, process.memoryUsage().rss);
        produced += chunk.length;
        yield index === 0 ? Buffer.concat([Buffer.from('ID3'), chunk.subarray(3)]) : chunk;
        await Promise.resolve();
      }
    }
    const huge = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'audio/mpeg' });
      pipeline(Readable.from(twoGiB()), response).catch(() => undefined);
    });
    const error = await failure(downloadRecording({ url: `${huge.origin}/r` }, limits({ maxBytes: 5_000_000 })));
    expect(error).toMatchObject({ retryable: false });
    expect(error.reason).toBe('the recording is over the 5000000-byte cap (no Content-Length given)');
    expect(peak - before).toBeLessThan(100 * 1024 * 1024);
    // Stopped at the cap (plus what the sockets had buffered), far from the 2 GiB on offer.
    expect(produced).toBeLessThan(64 * 1024 * 1024);
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it('refuses a Content-Length of 2 GiB before reading the body', async () => {
    const huge = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': 2 * 1024 ** 3 });
      response.write(MP3.subarray(0, 1024));
    });
    const error = await failure(downloadRecording({ url: `${huge.origin}/r` }, limits()));
    expect(error).toMatchObject({
      retryable: false,
      reason: 'the recording is 2147483648 bytes, over the 5000000-byte cap',
    });
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it('refuses an allowed-network entry that is not a CIDR range', async () => {
    const error = await failure(
      downloadRecording({ url: 'http://127.0.0.1:9/r' }, limits({ allowedNetworks: ['lan'] })),
    );
    expect(error).toMatchObject({ retryable: false });
    expect(error.reason).toMatch(/RECORDINGS_ALLOW_NETWORKS has an entry that is not a CIDR range/);
    expect(attempts).toEqual([]);
  });
});
