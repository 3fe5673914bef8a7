import { HubSpotEmulator } from '@ai-call-hubspot-connector/hubspot-emulator';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { connectorDir, startConnectorProcess, type ConnectorProcess } from '../support/connector-process.js';
import { fixtureText } from '../support/fixtures.js';
import { send } from '../support/http-client.js';
import { YUNFU_SECRET } from '../support/test-app.js';

/**
 * No client can take the service down, under load: a flood of idle connections, and of bodies with huge lists, while
 * a bystander is served within its bound. Run after the rest of the suite, one file at a time
 * (`vitest.load.config.ts`), so that other tests do not share the CPU these bounds are about. Loopback only; every
 * loop is bounded. Each test prints its figures.
 */
const processes: ConnectorProcess[] = [];
const emulators: HubSpotEmulator[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const started of processes.splice(0)) if (started.child.exitCode === null) started.child.kill('SIGKILL');
  for (const emulator of emulators.splice(0)) await emulator.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Descriptors and resident memory of a process, from /proc. */
function usage(pid: number): { fds: number; rssMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { fds: readdirSync(`/proc/${pid}/fd`).length, rssMiB: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024 };
}

/**
 * A separate process (its own descriptor table) that opens `count` connections from 127.0.0.1 and sends nothing on
 * them; it reports once every one is closed (or after `limitMs`): how many connected, and when the last closed.
 */
function idleClients(
  url: string,
  count: number,
  limitMs: number,
): Promise<{ connected: number; closed: number; lastClosedMs: number; failed: number }> {
  const { hostname, port } = new URL(url);
  const script = `
    const net = require('node:net');
    const count = ${count}; const started = Date.now();
    let connected = 0, closed = 0, failed = 0, lastClosedMs = 0, opened = 0;
    const done = () => { process.stdout.write(JSON.stringify({ connected, closed, failed, lastClosedMs })); process.exit(0); };
    setTimeout(done, ${limitMs}).unref();
    const open = () => {
      for (let k = 0; k < 100 && opened < count; k++, opened++) {
        const socket = net.connect({ host: '${hostname}', port: ${port}, localAddress: '127.0.0.1' });
        socket.on('connect', () => connected++);
        socket.on('error', () => failed++);
        socket.on('close', () => { closed++; lastClosedMs = Date.now() - started; if (closed === count) done(); });
      }
      if (opened < count) setTimeout(open, 20);
    };
    open();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      try {
        resolve(JSON.parse(output) as { connected: number; closed: number; lastClosedMs: number; failed: number });
      } catch {
        reject(new Error(`idle client gave no report: ${output.slice(0, 200)}`));
      }
    });
  });
}

const yunfuSeed = fixtureText('yunfu', 'seed-inbound-success');

describe('clients cannot take the service down, under load', () => {
  it(
    '20,000 idle connections from one address: another client is answered while they are held (before the idle time-out frees them), descriptors and memory stay bounded, the held ones are closed within the time-outs',
    { timeout: 120_000 },
    async () => {
      const emulator = await HubSpotEmulator.start();
      emulators.push(emulator);
      const dir = connectorDir();
      dirs.push(dir);
      const idleMs = 3_000;
      const started = startConnectorProcess(dir, {
        PORT: '0',
        HOST: '127.0.0.1',
        HUBSPOT_ACCESS_TOKEN: 'pat-clients',
        HUBSPOT_BASE_URL: emulator.url,
        YUNFU_WEBHOOK_SECRET: YUNFU_SECRET,
        HTTP_IDLE_TIMEOUT_MS: String(idleMs),
        HTTP_HEADERS_TIMEOUT_MS: String(idleMs),
        LOG_LEVEL: 'info',
      });
      processes.push(started);
      const url = await started.listening();
      const pid = started.child.pid!;
      // A first webhook before the flood: what is measured is the flood's effect, not a cold start.
      expect((await send(url, `/webhooks/yunfu/${YUNFU_SECRET}`, { body: yunfuSeed, from: '127.0.0.2' })).status).toBe(
        200,
      );
      const before = usage(pid);

      // Two processes hold 10,000 connections each (one process's descriptors would not reach 20,000 here).
      const flood = Promise.all([idleClients(url, 10_000, 40_000), idleClients(url, 10_000, 40_000)]);
      const answers: number[] = [];
      let peak = before;
      for (let round = 0; round < 10; round++) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        const now = usage(pid);
        peak = { fds: Math.max(peak.fds, now.fds), rssMiB: Math.max(peak.rssMiB, now.rssMiB) };
        const answer = await send(url, `/webhooks/yunfu/${YUNFU_SECRET}`, {
          body: yunfuSeed.replace('3e7ff3fb-2e65-4a51-b322-a01db56f8a90', `bystander-${round}`),
          from: '127.0.0.2',
        });
        expect(answer.status).toBe(200);
        answers.push(answer.ms);
      }
      const reports = await flood;
      const refused = /connector_http_connections_refused_total (\d+)/.exec(
        (await send(url, '/metrics', { from: '127.0.0.2' })).body,
      )?.[1];
      process.stdout.write(
        `[clients] 20,000 idle connections from 127.0.0.1: ${reports.map((report) => report.connected).join(' + ')} connected, ${refused} refused at once; ` +
          `the others closed after at most ${Math.max(...reports.map((report) => report.lastClosedMs))} ms (idle time-out ${idleMs} ms); ` +
          `bystander answered in ${answers.join(', ')} ms; connector descriptors ${before.fds} → peak ${peak.fds}, RSS ${before.rssMiB.toFixed(0)} → peak ${peak.rssMiB.toFixed(0)} MiB\n`,
      );
      // Answered while the flood is held, not once the idle time-out has closed it: a client the flood blocked would
      // wait for that. How fast is printed above, not asserted tight (timings belong to benchmarks): the bystander's
      // connection queues behind the flood's in the kernel's accept queue, which 2 cores shared with the two flooding
      // processes drain in 30–1,100 ms on this machine (the 1 s this bound once was held on a faster one).
      expect(Math.max(...answers)).toBeLessThan(idleMs);
      // The connections the connector held are closed by the idle time-out (plus the time the flood took to open): its
      // descriptors are back where they were. (Connections the kernel left in its full accept queue never reached it.)
      expect(Math.max(...reports.map((report) => report.lastClosedMs))).toBeLessThan(idleMs + 10_000);
      // Outbound keep-alive sockets to HubSpot opened by the bystanders' syncs may still be open for a few seconds
      // (the HTTP client closes idle ones after 4 s): the descriptors are read until they settle, bounded in time.
      let after = usage(pid);
      for (let wait = 0; wait < 20 && after.fds > before.fds + 5; wait++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        after = usage(pid);
      }
      process.stdout.write(`[clients] descriptors after the flood: ${after.fds} (before ${before.fds})\n`);
      expect(after.fds).toBeLessThanOrEqual(before.fds + 5);
      expect(peak.fds).toBeLessThan(before.fds + 2_500);
      expect(peak.rssMiB - before.rssMiB).toBeLessThan(200);
      expect(Number(refused)).toBeGreaterThan(15_000);
    },
  );

  it.each([
    [
      '100,000 list items',
      () => JSON.stringify({ count: 100_000, data: Array.from({ length: 100_000 }, () => 1) }),
      'a list holds more than 1000 items; at most 1000 are taken',
    ],
    [
      'an object of 70,000 members',
      () =>
        JSON.stringify({
          count: 1,
          data: [
            {
              callid: 'wide',
              extra: Object.fromEntries(Array.from({ length: 70_000 }, (_, index) => [`k${index}`, index])),
            },
          ],
        }),
      'an object holds more than 1000 members; at most 1000 are taken',
    ],
  ])(
    "40 bodies of %s at once: each is answered 400, and a bystander's health check is not starved",
    { timeout: 60_000 },
    async (what, body, problem) => {
      // The connector in a process of its own: the senders' work must not share its event loop.
      const emulator = await HubSpotEmulator.start();
      emulators.push(emulator);
      const dir = connectorDir();
      dirs.push(dir);
      const started = startConnectorProcess(dir, {
        PORT: '0',
        HOST: '127.0.0.1',
        HUBSPOT_ACCESS_TOKEN: 'pat-lists',
        HUBSPOT_BASE_URL: emulator.url,
        YUNFU_WEBHOOK_SECRET: YUNFU_SECRET,
        LOG_LEVEL: 'info',
      });
      processes.push(started);
      const t = { url: await started.listening() };
      const huge = body();
      let slowestHealth = 0;
      const health = (async () => {
        for (let round = 0; round < 20; round++) {
          const answer = await send(t.url, '/health/live', { from: '127.0.0.2' });
          expect(answer.status).toBe(200);
          slowestHealth = Math.max(slowestHealth, answer.ms);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      const refusals = await Promise.all(
        Array.from({ length: 40 }, () => send(t.url, `/webhooks/yunfu/${YUNFU_SECRET}`, { body: huge })),
      );
      await health;
      process.stdout.write(
        `[clients] 40 bodies of ${what} (${(huge.length / 1024).toFixed(0)} KB each): statuses ${[...new Set(refusals.map((answer) => answer.status))].join(',')}; slowest bystander health check ${slowestHealth} ms\n`,
      );
      for (const answer of refusals) {
        expect(answer.status).toBe(400);
        expect(JSON.parse(answer.body)).toMatchObject({
          error: { code: 'invalid_json', message: `the body is not valid JSON: ${problem}` },
        });
      }
      // Not starved: a bystander is answered while the hostile bodies are refused. The figure is printed above, not
      // asserted tight (timings belong to benchmarks; this machine's scan of 40 MB of members took it from under 200 ms
      // on the Xeon to 291–323 ms on the AMD EPYC, the last release's code included); a stalled loop would take seconds.
      expect(slowestHealth).toBeLessThan(1_000);
      expect((await send(t.url, '/metrics')).body).toContain('connector_inbox_events{status="pending"} 0');
    },
  );
});
