import { request as httpRequest, Agent } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sleep, startEmulator, TEST_TOKEN, withTimeout, type EmulatorHarness } from './emulator-harness.js';

interface Answer {
  status: number;
  body: unknown;
}

/** One request over node:http with the given agent (keep-alive agents reuse their socket). */
function send(url: string, agent: Agent, method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      `${url}${path}`,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${TEST_TOKEN}`,
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : (JSON.parse(text) as unknown) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 200 && !condition(); attempt += 1) await sleep(5);
  expect(condition()).toBe(true);
}

const contactBody = (email: string) => ({ properties: { email }, associations: [] });

describe('HubSpot emulator: apply-then-* faults', () => {
  let harness: EmulatorHarness;
  let agent: Agent;

  beforeAll(async () => {
    harness = await startEmulator();
  });
  afterAll(async () => {
    await harness.emulator.close();
  });
  beforeEach(() => {
    harness.emulator.reset();
    agent?.destroy();
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
  });

  it('apply-then-status writes the request, then answers 502 (the default) with HubSpot’s error body', async () => {
    const set = await harness.request('/_emulator/faults', {
      method: 'PUT',
      body: { mode: 'apply-then-status', count: 1 },
      token: null,
    });
    expect(set.body).toMatchObject({ config: { mode: 'apply-then-status', count: 1 }, remaining: 1 });

    const answer = await harness.request('/crm/v3/objects/contacts', {
      method: 'POST',
      body: contactBody('applied@example.com'),
    });
    expect(answer.status).toBe(502);
    expect(answer.body).toEqual({
      status: 'error',
      message: 'Bad Gateway',
      correlationId: expect.any(String),
      category: 'BAD_GATEWAY',
    });
    // The write happened although the client saw a failure.
    expect(harness.emulator.listObjects('contacts').map((contact) => contact.properties.email)).toEqual([
      'applied@example.com',
    ]);
    expect(harness.emulator.requestLog.at(-1)).toMatchObject({
      method: 'POST',
      status: 502,
      fault: 'apply-then-status',
      withheldStatus: 201,
    });
    expect(harness.emulator.counters.faultsApplied).toBe(1);

    // count: 1 — the retry is answered normally, and collides with what the failed attempt wrote.
    const retry = await harness.request('/crm/v3/objects/contacts', {
      method: 'POST',
      body: contactBody('applied@example.com'),
    });
    expect(retry.status).toBe(409);
  });

  it('a status fault with bodyContains fails only requests whose body holds that text, without applying them', async () => {
    const set = await harness.request('/_emulator/faults', {
      method: 'PUT',
      body: { mode: 'status', status: 500, bodyContains: 'poison@example.com' },
      token: null,
    });
    expect(set.status).toBe(200);
    const poisoned = await harness.request('/crm/objects/2026-09/contacts/batch/create', {
      method: 'POST',
      body: { inputs: [contactBody('fine@example.com'), contactBody('poison@example.com')] },
    });
    expect(poisoned.status).toBe(500);
    expect(poisoned.body).toMatchObject({ status: 'error', category: 'INTERNAL_ERROR' });
    const fine = await harness.request('/crm/objects/2026-09/contacts/batch/create', {
      method: 'POST',
      body: { inputs: [contactBody('fine@example.com')] },
    });
    expect(fine.status).toBe(201);
    expect(harness.emulator.listObjects('contacts').map((contact) => contact.properties.email)).toEqual([
      'fine@example.com',
    ]);
    expect(harness.emulator.requestLog.at(-2)).toMatchObject({ status: 500, fault: 'status' });
    expect(harness.emulator.faultsReport().applied).toBe(1);
    const refused = await harness.request('/_emulator/faults', {
      method: 'PUT',
      body: { mode: 'hang', bodyContains: 'x' },
      token: null,
    });
    expect(refused).toMatchObject({ status: 400, body: { error: 'faults.bodyContains works with mode status only' } });
  });

  it('apply-then-status takes another status, and the paths and until filters', async () => {
    harness.emulator.setFaults({
      mode: 'apply-then-status',
      status: 504,
      paths: '/batch/',
      until: Date.now() + 10_000,
    });
    const single = await harness.request('/crm/v3/objects/contacts', {
      method: 'POST',
      body: contactBody('single@example.com'),
    });
    expect(single.status).toBe(201);
    const batch = await harness.request('/crm/objects/2026-09/contacts/batch/create', {
      method: 'POST',
      body: { inputs: [contactBody('b1@example.com'), contactBody('b2@example.com')] },
    });
    expect(batch.status).toBe(504);
    expect(batch.body).toMatchObject({ category: 'GATEWAY_TIMEOUT' });
    expect(harness.emulator.state.contacts).toBe(3);
    expect(harness.emulator.requestLog.at(-1)).toMatchObject({
      apiVersion: '2026-09',
      withheldStatus: 201,
      status: 504,
    });
  });

  it('apply-then-hang writes the request and never answers until the fault is cleared, then drops the connection', async () => {
    harness.emulator.setFaults({ mode: 'apply-then-hang', count: 1 });
    const pending = send(
      harness.emulator.url,
      agent,
      'POST',
      '/crm/v3/objects/contacts',
      contactBody('stalled@example.com'),
    );
    const settled = pending.then(
      (answer) => `answered ${answer.status}`,
      (error: Error) => `dropped: ${error.message}`,
    );
    await waitFor(() => harness.emulator.hungRequestCount === 1);
    expect(harness.emulator.state.contacts).toBe(1);
    await expect(withTimeout(settled, 200)).rejects.toThrow('timed out');
    expect(harness.emulator.requestLog).toHaveLength(0);

    harness.emulator.clearFaults();
    expect(await withTimeout(settled, 2_000)).toMatch(/^dropped: /);
    expect(harness.emulator.hungRequestCount).toBe(0);
    expect(harness.emulator.requestLog.at(-1)).toMatchObject({
      status: 0,
      fault: 'apply-then-hang',
      withheldStatus: 201,
    });
  });

  it('apply-then-hang drops held connections when its until passes, or when replaced by another mode', async () => {
    harness.emulator.setFaults({ mode: 'apply-then-hang', until: Date.now() + 150 });
    const timed = send(harness.emulator.url, agent, 'POST', '/crm/v3/objects/contacts', contactBody('t@example.com'));
    await expect(withTimeout(timed, 2_000)).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(harness.emulator.state.contacts).toBe(1);

    harness.emulator.setFaults({ mode: 'apply-then-hang' });
    const replaced = send(harness.emulator.url, new Agent(), 'GET', '/crm/v3/objects/contacts');
    await waitFor(() => harness.emulator.hungRequestCount === 1);
    // Another apply-then-hang fault keeps holding it (as with hang); a different mode releases it.
    harness.emulator.setFaults({ mode: 'apply-then-hang', paths: '^/never$' });
    expect(harness.emulator.hungRequestCount).toBe(1);
    harness.emulator.setFaults({ mode: 'latency', latencyMs: 1 });
    await expect(withTimeout(replaced, 2_000)).rejects.toThrow(/socket hang up|ECONNRESET/);
  });

  it('apply-then-hang connections are dropped on reset and on close', async () => {
    harness.emulator.setFaults({ mode: 'apply-then-hang' });
    const beforeReset = send(harness.emulator.url, agent, 'GET', '/crm/v3/objects/contacts');
    await waitFor(() => harness.emulator.hungRequestCount === 1);
    harness.emulator.reset();
    await expect(withTimeout(beforeReset, 2_000)).rejects.toThrow(/socket hang up|ECONNRESET/);

    const own = await startEmulator();
    own.emulator.setFaults({ mode: 'apply-then-hang' });
    const beforeClose = send(own.emulator.url, new Agent(), 'GET', '/crm/v3/objects/contacts');
    await waitFor(() => own.emulator.hungRequestCount === 1);
    await withTimeout(own.emulator.close(), 2_000);
    await expect(withTimeout(beforeClose, 2_000)).rejects.toThrow(/socket hang up|ECONNRESET/);
  });
});

describe('HubSpot emulator: connections in the request log', () => {
  let harness: EmulatorHarness;

  beforeAll(async () => {
    harness = await startEmulator();
  });
  afterAll(async () => {
    await harness.emulator.close();
  });
  beforeEach(() => {
    harness.emulator.reset();
  });

  it('numbers connections and the requests on each, so reuse of a kept-alive socket shows', async () => {
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    const fresh = new Agent({ keepAlive: false });
    try {
      await send(harness.emulator.url, keepAlive, 'GET', '/crm/v3/objects/contacts');
      await send(harness.emulator.url, keepAlive, 'GET', '/crm/v3/objects/calls');
      await send(harness.emulator.url, fresh, 'GET', '/crm/v3/objects/contacts');
      const [first, second, third] = harness.emulator.requestLog;
      expect(first).toMatchObject({ requestOnConnection: 1 });
      expect(second).toMatchObject({ connectionId: first?.connectionId, requestOnConnection: 2 });
      expect(third?.connectionId).not.toBe(first?.connectionId);
      expect(third).toMatchObject({ requestOnConnection: 1 });

      const log = await harness.request('/_emulator/requests', { token: null });
      expect((log.body as { results: unknown[] }).results[1]).toMatchObject({
        connectionId: expect.any(Number),
        requestOnConnection: 2,
      });
    } finally {
      keepAlive.destroy();
      fresh.destroy();
    }
  });

  it('shows that a stalled request arrived on a reused connection', async () => {
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(
        (
          await send(
            harness.emulator.url,
            keepAlive,
            'POST',
            '/crm/v3/objects/contacts',
            contactBody('first@example.com'),
          )
        ).status,
      ).toBe(201);
      harness.emulator.setFaults({ mode: 'apply-then-hang', count: 1 });
      const stalled = send(
        harness.emulator.url,
        keepAlive,
        'POST',
        '/crm/objects/2026-09/contacts',
        contactBody('second@example.com'),
      );
      stalled.catch(() => undefined);
      await waitFor(() => harness.emulator.hungRequestCount === 1);
      harness.emulator.clearFaults();
      await expect(withTimeout(stalled, 2_000)).rejects.toThrow();

      const [first, second] = harness.emulator.requestLog;
      expect(first).toMatchObject({ status: 201, requestOnConnection: 1 });
      expect(second).toMatchObject({
        connectionId: first?.connectionId,
        requestOnConnection: 2,
        apiVersion: '2026-09',
        fault: 'apply-then-hang',
        withheldStatus: 201,
        status: 0,
      });
    } finally {
      keepAlive.destroy();
    }
  });
});
