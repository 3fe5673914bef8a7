import { HubSpotEmulator } from '@ai-call-hubspot-connector/hubspot-emulator';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  HubSpotAuthError,
  HubSpotDailyLimitError,
  HubSpotOutcomeUnknownError,
  HubSpotRetryableError,
} from '../../src/hubspot/hubspot-errors.js';
import { HubSpotSdkAdapter } from '../../src/hubspot/hubspot-sdk.adapter.js';
import { HubSpotSendGate } from '../../src/hubspot/hubspot-send-gate.js';
import { NotLeadingError } from '../../src/common/app-error.js';
import { AppLogger, createPinoLogger } from '../../src/logging/app-logger.js';

let emulator: HubSpotEmulator;
let adapter: HubSpotSdkAdapter;

function makeAdapter(overrides: Partial<ConstructorParameters<typeof HubSpotSdkAdapter>[0]> = {}): HubSpotSdkAdapter {
  return new HubSpotSdkAdapter({ ...makeAdapterOptions(), ...overrides });
}

function makeAdapterOptions(): ConstructorParameters<typeof HubSpotSdkAdapter>[0] {
  return {
    accessToken: 'pat-test',
    baseUrl: emulator.url,
    apiVersion: '2026-09',
    burstPer10s: 100,
    searchPerSecond: 5,
    requestTimeoutMs: 2_000,
    maxAttempts: 3,
    retryBaseMs: 10,
    retryMaxMs: 50,
    logger: new AppLogger(createPinoLogger('silent')),
  };
}

/** A loopback port nobody listens on (it was just free). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeEach(async () => {
  emulator = await HubSpotEmulator.start();
  adapter = makeAdapter();
});
afterEach(async () => {
  await emulator.close();
});

describe('HubSpotSdkAdapter (the real SDK over HTTP)', () => {
  it('gives up on a HubSpot that accepts the connection and never answers, after its time-out', async () => {
    adapter = makeAdapter({ requestTimeoutMs: 300, maxAttempts: 2 });
    emulator.setFaults({ mode: 'hang' });
    const started = Date.now();
    await expect(adapter.probe()).rejects.toBeInstanceOf(HubSpotRetryableError);
    // One attempt for a probe, bounded by the 300 ms time-out (not hanging for ever).
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("tells its request observer of every attempt: HubSpot's status, a time-out, or a network failure", async () => {
    const seen: Array<[string, number | string, number]> = [];
    const onRequestDone = (operation: string, status: number | 'network' | 'timeout', seconds: number) =>
      void seen.push([operation, status, seconds]);
    adapter = makeAdapter({ requestTimeoutMs: 300, onRequestDone });
    emulator.setFaults({ mode: 'status', status: 503, count: 1 });
    const outcome = await adapter.upsertContacts('email', [
      { key: 'a', id: 'a@example.com', properties: { email: 'a@example.com' } },
    ]);
    expect(outcome.succeeded.has('a')).toBe(true);
    expect(seen.map(([operation, status]) => [operation, status])).toEqual([
      ['contacts.upsert', 503],
      ['contacts.upsert', 200],
    ]);

    seen.length = 0;
    emulator.setFaults({ mode: 'hang' });
    await expect(adapter.probe()).rejects.toBeInstanceOf(HubSpotRetryableError);
    expect(seen.map(([operation, status]) => [operation, status])).toEqual([['probe', 'timeout']]);
    // The time until the deadline ended it, not the time the limiter made it wait.
    expect(seen[0]![2]).toBeGreaterThanOrEqual(0.29);
    expect(seen[0]![2]).toBeLessThan(3);
    emulator.clearFaults();

    seen.length = 0;
    const unreachable = makeAdapter({ baseUrl: `http://127.0.0.1:${await closedPort()}`, onRequestDone });
    await expect(unreachable.probe()).rejects.toBeInstanceOf(HubSpotRetryableError);
    expect(seen.map(([operation, status]) => [operation, status])).toEqual([['probe', 'network']]);
    expect(unreachable.stats.requests).toBe(seen.length);
  });

  it('retries a 503 and succeeds when HubSpot recovers', async () => {
    emulator.setFaults({ mode: 'status', status: 503, count: 2 });
    const outcome = await adapter.upsertContacts('email', [
      { key: 'a', id: 'a@example.com', properties: { email: 'a@example.com' } },
    ]);
    expect(outcome.succeeded.get('a')).toMatchObject({ created: true });
    expect(adapter.stats.retries).toBe(2);
  });

  it('reports a 503 that outlasts its attempts as retryable', async () => {
    emulator.setFaults({ mode: 'status', status: 503 });
    await expect(
      adapter.upsertContacts('email', [{ key: 'a', id: 'a@example.com', properties: {} }]),
    ).rejects.toBeInstanceOf(HubSpotRetryableError);
    expect(adapter.stats.requests).toBe(3);
  });

  it('tells a DAILY 429 apart, and does not retry it', async () => {
    emulator.setLimits({ daily: 0 });
    await expect(adapter.probe()).rejects.toBeInstanceOf(HubSpotDailyLimitError);
    await expect(
      adapter.upsertContacts('email', [{ key: 'a', id: 'a@example.com', properties: {} }]),
    ).rejects.toBeInstanceOf(HubSpotDailyLimitError);
    expect(adapter.stats.retries).toBe(0);
  });

  it('reports a revoked token (401) and a missing scope (403) as authentication errors, without retrying', async () => {
    emulator.setAuth({ revoked: true });
    await expect(adapter.probe()).rejects.toMatchObject({ constructor: HubSpotAuthError, status: 401 });
    emulator.setAuth({ revoked: false, missingScopes: true });
    await expect(adapter.probe()).rejects.toMatchObject({ constructor: HubSpotAuthError, status: 403 });
    expect(adapter.stats.retries).toBe(0);
  });

  it('follows the burst limit HubSpot announces and stays under it', async () => {
    emulator.setLimits({ burstPer10s: 5 });
    adapter = makeAdapter({ burstPer10s: 100 });
    const started = Date.now();
    for (let index = 0; index < 7; index++) await adapter.probe();
    // The 6th and 7th had to wait for the window: over 10 s in all, and HubSpot never had to say 429.
    expect(Date.now() - started).toBeGreaterThanOrEqual(10_000);
    expect(emulator.counters.rateLimited.total).toBe(0);
  }, 20_000);

  it('isolates the one input a batch is refused for, so the others are written', async () => {
    const outcome = await adapter.createCalls('hs_call_title', [
      { key: 'good-1', properties: { hs_timestamp: '2025-09-25T13:39:55.000Z' }, contactId: null },
      { key: 'bad', properties: { hs_timestamp: '2025-09-25T13:39:55.000Z', no_such_property: 'x' }, contactId: null },
      { key: 'good-2', properties: { hs_timestamp: '2025-09-25T13:39:55.000Z' }, contactId: null },
    ]);
    expect([...outcome.succeeded.keys()].sort()).toEqual(['good-1', 'good-2']);
    expect(outcome.failed.get('bad')).toMatchObject({ retryable: false, category: 'VALIDATION_ERROR' });
    expect(outcome.failed.get('bad')!.message).toContain('no_such_property');
    expect(emulator.listObjects('calls')).toHaveLength(2);
  });

  it("lists a contact's calls through v4 associations, newest (highest id) first up to the limit, and none for a contact HubSpot does not have", async () => {
    const contactId = String(emulator.seedObject('contacts', { phone: '+8617534989887' }).id);
    const created = await adapter.createCalls(
      'hs_call_title',
      ['a', 'b', 'c'].map((key) => ({ key, properties: { hs_timestamp: '2025-09-25T13:39:55.000Z' }, contactId })),
    );
    const ids = [...created.succeeded.values()].map((call) => call.id).sort((a, b) => Number(b) - Number(a));
    expect(await adapter.listAssociatedIds('contacts', contactId, 'calls', 10)).toEqual(ids);
    expect(await adapter.listAssociatedIds('contacts', contactId, 'calls', 2)).toEqual(ids.slice(0, 2));
    expect(await adapter.listAssociatedIds('contacts', '987654321', 'calls', 10)).toEqual([]);
    expect(adapter.stats.byOperation['associations.list.contacts']).toBe(3);
  });

  it('finds calls by their key, whatever the case of the key', async () => {
    await adapter.ensurePropertyGroup('calls', 'ai_call_connector', 'AI calls');
    await adapter.createProperty('calls', {
      name: 'ai_call_key',
      label: 'Key',
      type: 'string',
      fieldType: 'text',
      groupName: 'ai_call_connector',
    });
    const created = await adapter.createCalls('ai_call_key', [
      { key: 'voicefox:Session-ABC', properties: { hs_timestamp: '2025-09-25T13:39:55.000Z' }, contactId: null },
    ]);
    const found = await adapter.searchCallsByKey('ai_call_key', ['voicefox:Session-ABC', 'voicefox:unknown']);
    expect(found).toEqual(new Map([['voicefox:session-abc', created.succeeded.get('voicefox:Session-ABC')!.id]]));
  });

  it('ends a request stalled on a reused keep-alive connection at HUBSPOT_REQUEST_TIMEOUT_MS, and retries it', async () => {
    const timeoutMs = 400;
    adapter = makeAdapter({ requestTimeoutMs: timeoutMs, maxAttempts: 3 });
    await adapter.listProperties('contacts');
    // Let the socket go back to the keep-alive pool, so that the next request reuses it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The next request on that (kept-alive) connection is accepted and never answered.
    emulator.setFaults({ mode: 'hang', count: 1, paths: '/properties/' });
    const started = Date.now();
    const properties = await adapter.listProperties('contacts');
    const elapsed = Date.now() - started;
    const [first, stalled, retried] = emulator.requestLog.filter((entry) => entry.endpoint.includes('/properties/'));
    process.stdout.write(
      `[hubspot-adapter] stalled request on reused connection ${stalled!.connectionId} (request ${stalled!.requestOnConnection} on it) ended after ${stalled!.durationMs} ms ` +
        `with a ${timeoutMs} ms time-out; retried and answered in ${elapsed} ms in all\n`,
    );
    expect(properties.some((property) => property.name === 'email')).toBe(true);
    expect(stalled).toMatchObject({ fault: 'hang', status: 0, connectionId: first!.connectionId });
    expect(stalled!.requestOnConnection).toBeGreaterThanOrEqual(2);
    // A real deadline: the stalled attempt ended at the time-out (plus a small margin), not at some socket idle time.
    expect(stalled!.durationMs).toBeGreaterThanOrEqual(timeoutMs - 50);
    expect(stalled!.durationMs).toBeLessThan(timeoutMs + 300);
    expect(retried).toMatchObject({ status: 200 });
    expect(adapter.stats.retries).toBe(1);
  });

  it('never sends a call create again after a 5xx (its outcome is unknown), but does after a 429 and when the connection was refused', async () => {
    const input = { key: 'k-1', properties: { hs_timestamp: '2025-09-25T13:39:55.000Z' }, contactId: null };
    emulator.setFaults({ mode: 'status', status: 503, count: 1, paths: '/calls/batch/create$' });
    await expect(adapter.createCalls('hs_call_title', [input])).rejects.toBeInstanceOf(HubSpotOutcomeUnknownError);
    expect(adapter.stats.byOperation['calls.create']).toBe(1);

    // One request per 300 ms: right after a probe, HubSpot answers 429 (nothing applied) until its window passes.
    emulator.setLimits({ burstPer10s: 1, burstWindowMs: 300, countRejectedRequests: false });
    adapter = makeAdapter({ burstPer10s: 100, retryBaseMs: 10, retryMaxMs: 50, maxAttempts: 20 });
    await adapter.probe();
    const created = await adapter.createCalls('hs_call_title', [input]);
    expect(created.succeeded.has('k-1')).toBe(true);
    expect(emulator.listObjects('calls')).toHaveLength(1);
    expect(adapter.stats.rateLimited).toBeGreaterThan(0);

    // Nothing listens on that port: the request never left, so it may be tried again (and fails as an outage).
    const unreachable = new HubSpotSdkAdapter({
      ...makeAdapterOptions(),
      baseUrl: `http://127.0.0.1:${await closedPort()}`,
      maxAttempts: 3,
    });
    const error = await unreachable.createCalls('hs_call_title', [input]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HubSpotRetryableError);
    expect(error).not.toBeInstanceOf(HubSpotOutcomeUnknownError);
    expect(unreachable.stats.requests).toBe(3);
  });

  it.each(['2026-09', '2026-03', 'v3'])(
    'reads a batch answer with a refused input the same way on API version %s (200 with errors, or 207)',
    async (apiVersion) => {
      adapter = makeAdapter({ apiVersion });
      const outcome = await adapter.createCalls('hs_call_title', [
        { key: 'good', properties: { hs_timestamp: '2025-09-25T13:39:55.000Z' }, contactId: null },
        {
          key: 'bad',
          properties: { hs_timestamp: '2025-09-25T13:39:55.000Z', no_such_property: 'x' },
          contactId: null,
        },
      ]);
      const [request] = emulator.requestLog.filter((entry) => entry.endpoint.endsWith('/calls/batch/create'));
      expect(request).toMatchObject({ apiVersion, status: apiVersion === '2026-09' ? 201 : 207 });
      expect([...outcome.succeeded.keys()]).toEqual(['good']);
      expect(outcome.failed.get('bad')).toMatchObject({
        retryable: false,
        category: 'VALIDATION_ERROR',
        details: { properties: ['no_such_property'], codes: ['PROPERTY_DOESNT_EXIST'] },
      });
      // One request: the refused input was named by its trace id, no bisection needed.
      expect(adapter.stats.byOperation['calls.create']).toBe(1);
    },
  );

  it('checks the token and names each missing scope', async () => {
    expect(await adapter.checkAccess()).toEqual({ portalId: '12345678', timeZone: 'UTC', missingScopes: [] });
    emulator.setAuth({ missingScopes: ['crm.schemas.contacts.write', 'crm.objects.contacts.write'] });
    expect((await adapter.checkAccess()).missingScopes).toEqual([
      'crm.objects.contacts.write',
      'crm.schemas.contacts.write',
    ]);
    // It writes nothing while checking.
    expect(emulator.listObjects('contacts')).toHaveLength(0);
    emulator.setAuth({ revoked: true });
    await expect(adapter.checkAccess()).rejects.toMatchObject({ constructor: HubSpotAuthError, status: 401 });
  });

  it('streams an upload from its file: memory does not grow with the file while it is sent', async () => {
    // A 64 MiB recording on disk, and a HubSpot that takes the multipart body and throws it away: what the
    // connector's process holds once the last byte has arrived, before it has the answer, is measured after a
    // garbage collection (so only memory still referenced counts). Buffers let go of a moment before can still be
    // counted by one reading (8.8 and 21 MiB seen on a busy machine, 0 twenty milliseconds later): the answer waits
    // while it is read six times over 100 ms, and the least reading counts. A body still referenced reads the same
    // every time (the whole 64 MiB, each of the six, when the request can be redirected).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const size = 64 * 1024 * 1024;
    const dir = mkdtempSync(join(tmpdir(), 'adapter-upload-'));
    const path = join(dir, 'recording.mp3');
    const fd = openSync(path, 'w');
    const chunk = Buffer.alloc(1024 * 1024, 0x55);
    for (let written = 0; written < size; written += chunk.length) writeSync(fd, chunk);
    closeSync(fd);
    let received = 0;
    let heldAtEnd = Infinity;
    gc();
    const before = process.memoryUsage().arrayBuffers;
    const server = createHttpServer((request, response) => {
      request.on('data', (data: Buffer) => (received += data.length));
      request.on('end', () => {
        void (async () => {
          for (let reading = 0; reading < 6; reading++) {
            if (reading > 0) await new Promise((resolve) => setTimeout(resolve, 20));
            gc();
            heldAtEnd = Math.min(heldAtEnd, process.memoryUsage().arrayBuffers - before);
          }
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ id: '901', url: 'https://files.example/901', size }));
        })();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      adapter = makeAdapter({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      const file = await adapter.uploadFile({
        folderPath: '/ai-calls/2026-11',
        name: 'voicefox-upload',
        extension: 'mp3',
        contentType: 'audio/mpeg',
        access: 'PRIVATE',
        content: { path },
      });
      expect(file.id).toBe('901');
      expect(received).toBeGreaterThan(size);
      // Buffers in flight only (a few MiB), never the file: fetch's clone of a request it may redirect keeps every
      // chunk of a streamed body (the unread branch of a tee) until the request ends.
      expect(heldAtEnd).toBeLessThan(16 * 1024 * 1024);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('splits a contact search into bodies of at most 3,000 characters, and finds every number', async () => {
    const numbers = Array.from({ length: 450 }, (_, index) => `138${String(index).padStart(8, '0')}`);
    for (const number of numbers) emulator.seedObject('contacts', { mobilephone: number });
    const found = await adapter.searchContactsByNationalNumber(numbers, ['phone', 'mobilephone', 'firstname']);
    expect(found).toHaveLength(450);
    expect(emulator.counters.largestSearchBody).toBeLessThanOrEqual(3_000);
    // 11-digit numbers in two IN filters: about 94 fit in one body, so 5 searches for 450.
    expect(adapter.stats.searches).toBe(5);
  });
});

describe('HubSpotSdkAdapter behind the send gate (only the holder of the sync lease sends)', () => {
  it('names the sending instance and epoch on each request, sends nothing once the gate is closed, and aborts a request in flight at the deadline', async () => {
    const gate = new HubSpotSendGate();
    adapter = makeAdapter({ sendGate: gate });
    gate.openUntil('instance-a', 7, performance.now() + 60_000);
    await adapter.probe();
    expect(emulator.requestLog.at(-1)?.sender).toEqual({ instance: 'instance-a', epoch: 7 });

    // Closed: refused before anything is sent.
    gate.close('the lease was taken over');
    const before = emulator.requestLog.length;
    await expect(adapter.probe()).rejects.toBeInstanceOf(NotLeadingError);
    expect(emulator.requestLog.length).toBe(before);

    // A slow HubSpot: the create in flight at the lease's deadline is cut off there, not left to its time-out, and
    // not sent again.
    emulator.setFaults({ mode: 'latency', latencyMs: 1_500 });
    gate.openUntil('instance-a', 8, performance.now() + 200);
    const started = performance.now();
    await expect(
      adapter.createCalls('ai_call_key', [
        { key: 'k-1', properties: { hs_timestamp: '2026-03-02T08:00:00.000Z' }, contactId: null },
      ]),
    ).rejects.toBeInstanceOf(NotLeadingError);
    expect(performance.now() - started).toBeLessThan(1_400);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    const creates = emulator.requestLog.filter((entry) => entry.endpoint.includes('calls/batch/create'));
    expect(creates).toHaveLength(1);
    expect(creates[0]?.sender).toEqual({ instance: 'instance-a', epoch: 8 });
  });
});
