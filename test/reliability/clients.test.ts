import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureText } from '../support/fixtures.js';
import { send } from '../support/http-client.js';
import { startTestApp, YUNFU_SECRET, type TestApp } from '../support/test-app.js';

/**
 * No client can take the service down: forged proxy headers, secret guessing, bodies refused unread (the floods are in
 * test/load/). Loopback only; every loop is bounded. Each test prints its figures.
 */
const apps: TestApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

const yunfuSeed = fixtureText('yunfu', 'seed-inbound-success');

describe('clients cannot take the service down', () => {
  it('behind one trusted proxy, the allow-list checks the address the proxy saw, not a forged left-most X-Forwarded-For entry', async () => {
    const t = await startTestApp({
      env: { TRUST_PROXY: '1' },
      mappingYaml: 'vendors:\n  yunfu:\n    allowedIps: [203.0.113.10]\n',
    });
    apps.push(t);
    const post = (forwarded: string) =>
      send(t.url, `/webhooks/yunfu/${YUNFU_SECRET}`, { body: yunfuSeed, headers: { 'x-forwarded-for': forwarded } });
    // The client wrote the allowed address itself; the proxy appended the address it really saw.
    expect((await post('203.0.113.10, 198.51.100.7')).status).toBe(403);
    // The allowed sender, as the proxy reports it, passes.
    expect((await post('198.51.100.7, 203.0.113.10')).status).toBe(200);
    expect((await post('203.0.113.10')).status).toBe(200);
  });

  it('slows down an address guessing secrets (429 with Retry-After), counts it, and still takes the right secret from another address', async () => {
    const t = await startTestApp({ env: { AUTH_FAILURES_PER_MINUTE: '5' } });
    apps.push(t);
    const statuses: number[] = [];
    let retryAfter: string | string[] | undefined;
    for (let guess = 0; guess < 12; guess++) {
      const answer = await send(t.url, `/webhooks/yunfu/guess-${guess}-0123456789abcdef`, { body: yunfuSeed });
      statuses.push(answer.status);
      if (answer.status === 429) retryAfter = answer.headers['retry-after'];
    }
    // Once over the limit, even the right secret from that address waits: it is not compared any more.
    const locked = await send(t.url, `/webhooks/yunfu/${YUNFU_SECRET}`, { body: yunfuSeed });
    const vendor = await send(t.url, `/webhooks/yunfu/${YUNFU_SECRET}`, { body: yunfuSeed, from: '127.0.0.2' });
    const metrics = (await send(t.url, '/metrics')).body;
    process.stdout.write(
      `[clients] 12 wrong secrets at a limit of 5 a minute: ${statuses.join(',')}; Retry-After ${String(retryAfter)} s; the vendor from another address: ${vendor.status}\n`,
    );
    expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(statuses.slice(6)).toEqual([429, 429, 429, 429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(50);
    expect(locked.status).toBe(429);
    expect(vendor.status).toBe(200);
    expect(metrics).toContain('connector_webhook_auth_failures_total 6');
    expect(metrics).toContain('connector_webhook_auth_throttled_total 7');
  });

  it('never locks out an address a vendor sent a right secret from (a shared proxy or NAT): its right secrets are taken, its wrong ones get 429; admin token guesses are slowed too', async () => {
    const adminToken = 'admin-token-0123456789abcdef';
    const t = await startTestApp({ env: { AUTH_FAILURES_PER_MINUTE: '5', ADMIN_TOKEN: adminToken } });
    apps.push(t);
    const shared = '127.0.0.3';
    const call = (index: number) => yunfuSeed.replace('3e7ff3fb-2e65-4a51-b322-a01db56f8a90', `shared-${index}`);
    // The vendor sends from the shared address; someone else behind it guesses.
    expect((await send(t.url, `/webhooks/yunfu/${YUNFU_SECRET}`, { body: call(0), from: shared })).status).toBe(200);
    const guesses: number[] = [];
    for (let guess = 0; guess < 10; guess++)
      guesses.push(
        (await send(t.url, `/webhooks/yunfu/guess-${guess}-0123456789abcdef`, { body: yunfuSeed, from: shared }))
          .status,
      );
    const vendorAfter = await send(t.url, `/webhooks/yunfu/${YUNFU_SECRET}`, { body: call(1), from: shared });
    expect(guesses).toEqual([401, 401, 401, 401, 401, 401, 429, 429, 429, 429]);
    expect(vendorAfter.status).toBe(200);

    // Admin token guesses from one address: 401 up to the limit, then 429; the right token from another address works.
    const admin = (token: string, from: string) =>
      send(t.url, '/admin/mapping/reload', { method: 'POST', headers: { authorization: `Bearer ${token}` }, from });
    const adminGuesses: number[] = [];
    for (let guess = 0; guess < 8; guess++) adminGuesses.push((await admin(`guess-${guess}`, '127.0.0.4')).status);
    expect(adminGuesses).toEqual([401, 401, 401, 401, 401, 401, 429, 429]);
    expect((await admin(adminToken, '127.0.0.4')).status).toBe(429);
    expect((await admin(adminToken, '127.0.0.5')).status).toBe(200);
    process.stdout.write(
      `[clients] shared address: vendor 200, guesses ${guesses.join(',')}, vendor after ${vendorAfter.status}; admin guesses ${adminGuesses.join(',')}\n`,
    );
  });

  it('answers a wrong secret at once and closes the connection, without waiting for (or reading) the body', async () => {
    const t = await startTestApp();
    apps.push(t);
    const { port } = new URL(t.url);
    const outcome = await new Promise<{ response: string; closedMs: number }>((resolve) => {
      const started = Date.now();
      const socket = connect({ host: '127.0.0.1', port: Number(port) });
      let response = '';
      socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
      socket.on('close', () => resolve({ response, closedMs: Date.now() - started }));
      // A 10 MB body is announced, and never sent.
      socket.write(
        `POST /webhooks/yunfu/wrong-secret-0123456789abcdef HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n`,
      );
    });
    expect(outcome.response).toMatch(/^HTTP\/1\.1 401/);
    expect(outcome.response.toLowerCase()).toContain('connection: close');
    expect(outcome.closedMs).toBeLessThan(2_000);
  });
  it(
    'a body refused unread is answered 413 even to a client that reads only after it has written it all (no reset loses the answer), a client that then holds the connection is closed after the linger time, and a request sent after it on that connection is not taken',
    { timeout: 30_000 },
    async () => {
      const t = await startTestApp();
      apps.push(t);
      const { port } = new URL(t.url);
      // 8 MB, over the 1 MB limit: refused on its Content-Length, none of it read.
      const body = Buffer.alloc(8 * 1024 * 1024, ' ');
      const head = `POST /webhooks/yunfu/${YUNFU_SECRET} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
      /**
       * Writes the whole request, reads nothing for `readAfterMs`, then reads. With `hold`, keeps its side open after
       * the answer and sends a next request's header a byte every 100 ms (at most 100). Gives up after 15 s.
       */
      const exchange = (readAfterMs: number, hold: boolean) =>
        new Promise<{ response: string; error: string | null; closedMs: number }>((resolve) => {
          const started = Date.now();
          const socket = connect({ host: '127.0.0.1', port: Number(port), allowHalfOpen: hold });
          let response = '';
          let error: string | null = null;
          let trickled = 0;
          const trickle = setInterval(() => {
            if (hold && response && trickled++ < 100 && !socket.destroyed) socket.write('a');
          }, 100);
          socket.pause();
          socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
          socket.on('error', (failure: NodeJS.ErrnoException) => (error = failure.code ?? failure.message));
          socket.on('close', () => {
            clearInterval(trickle);
            resolve({ response, error, closedMs: Date.now() - started });
          });
          socket.write(head);
          socket.write(body);
          // Holding: the start of a next request, whose header then comes a byte at a time.
          if (hold) socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ');
          setTimeout(() => socket.resume(), readAfterMs);
          setTimeout(() => socket.destroy(), 15_000).unref();
        });
      const late = await exchange(500, false);
      const held = await exchange(0, true);
      // A webhook sent on the same connection after the refused body: its answer could not be delivered, so it is not
      // taken (the vendor sends it again, on a connection of its own).
      const pipelined = await new Promise<string>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port: Number(port) });
        let response = '';
        socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(response));
        socket.write(head);
        socket.write(body);
        socket.write(
          `POST /webhooks/yunfu/${YUNFU_SECRET} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(yunfuSeed)}\r\n\r\n${yunfuSeed}`,
        );
        setTimeout(() => socket.destroy(), 15_000).unref();
      });
      // A webhook on a connection of its own, answered once stored: by then the one sent on the lingering connection
      // (parsed before that connection closed) would have been stored too, had it been taken.
      const marker = await send(t.url, `/webhooks/yunfu/${YUNFU_SECRET}`, {
        body: yunfuSeed.replace('3e7ff3fb-2e65-4a51-b322-a01db56f8a90', 'marker-after-linger'),
      });
      expect(marker.status).toBe(200);
      await t.settled();
      const stored = Object.values(await t.inbox.countByStatus()).reduce((sum, count) => sum + count, 0) - 1;
      process.stdout.write(
        `[clients] an 8 MB body refused unread: the client reading after 500 ms got "${late.response.slice(0, 12)}" (error ${late.error}); one holding its side open was closed after ${held.closedMs} ms (linger 2000 ms); a webhook sent after it on the same connection: ${stored} stored\n`,
      );
      expect(late.error).toBeNull();
      expect(late.response).toMatch(/^HTTP\/1\.1 413/);
      expect(late.response).toContain('the body is larger than the limit');
      expect(held.response).toMatch(/^HTTP\/1\.1 413/);
      // Held open by the client, the connection is closed by the connector after the linger time (2 s), not kept.
      expect(held.closedMs).toBeGreaterThanOrEqual(1_900);
      expect(held.closedMs).toBeLessThan(5_000);
      expect(pipelined).toMatch(/^HTTP\/1\.1 413/);
      expect(pipelined.match(/HTTP\/1\.1/g)).toHaveLength(1);
      expect(stored).toBe(0);
    },
  );

  it(
    'a client trickling its headers or its body is answered 408 and closed within the time-outs (checked every second), not held',
    { timeout: 30_000 },
    async () => {
      const t = await startTestApp({
        env: { HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_IDLE_TIMEOUT_MS: '5000' },
      });
      apps.push(t);
      const { port } = new URL(t.url);
      /** Sends `head` at once, then one byte of `trickle` every 200 ms (at most 100), until the connector closes. */
      const trickled = (head: string, trickle: string) =>
        new Promise<{ response: string; closedMs: number }>((resolve) => {
          const started = Date.now();
          const socket = connect({ host: '127.0.0.1', port: Number(port) });
          let response = '';
          let sent = 0;
          const timer = setInterval(() => {
            if (sent < Math.min(trickle.length, 100) && !socket.destroyed) socket.write(trickle[sent++]!);
          }, 200);
          socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
          socket.on('error', () => undefined);
          socket.on('close', () => {
            clearInterval(timer);
            resolve({ response, closedMs: Date.now() - started });
          });
          socket.write(head);
        });
      const headers = await trickled(
        `POST /webhooks/yunfu/${YUNFU_SECRET} HTTP/1.1\r\nHost: x\r\n`,
        'X-Slow: ' + 'a'.repeat(90),
      );
      const body = await trickled(
        `POST /webhooks/yunfu/${YUNFU_SECRET} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
        ' '.repeat(100),
      );
      process.stdout.write(
        `[clients] trickled headers closed after ${headers.closedMs} ms (headers time-out 1000 ms); trickled body after ${body.closedMs} ms (request time-out 2000 ms)\n`,
      );
      for (const [outcome, timeoutMs] of [
        [headers, 1_000],
        [body, 2_000],
      ] as const) {
        expect(outcome.response).toMatch(/^HTTP\/1\.1 408/);
        // The time-out, plus at most one check interval (1 s), plus scheduling.
        expect(outcome.closedMs).toBeLessThan(timeoutMs + 1_000 + 1_000);
      }
    },
  );

  it(
    'a kept-alive connection carries at most 1,000 requests, then the connector closes it',
    { timeout: 60_000 },
    async () => {
      const t = await startTestApp();
      apps.push(t);
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const ports: number[] = [];
      const closing: number[] = [];
      try {
        for (let index = 0; index < 1_001; index++) {
          await new Promise<void>((resolve, reject) => {
            const request = httpRequest(new URL('/health/live', t.url), { agent }, (response) => {
              ports.push(response.socket.localPort ?? 0);
              if (response.headers.connection === 'close') closing.push(index);
              response.resume();
              response.on('end', resolve);
            });
            request.on('error', reject);
            request.setTimeout(10_000, () => request.destroy(new Error('no answer within 10 s')));
            request.end();
          });
        }
      } finally {
        agent.destroy();
      }
      expect(new Set(ports.slice(0, 1_000)).size).toBe(1);
      expect(closing).toEqual([999]);
      expect(ports[1_000]).not.toBe(ports[0]);
    },
  );
});
