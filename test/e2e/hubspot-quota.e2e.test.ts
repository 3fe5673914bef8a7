import { afterEach, describe, expect, it } from 'vitest';
import { chinaMobile, yunfuBatch, yunfuCall } from '../support/payload-factory.js';
import { postJson, startTestApp, YUNFU_SECRET, type TestApp } from '../support/test-app.js';

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

/** Posts calls as Yunfu batches of `perPost` items, a few posts at a time. */
async function postCalls(app: TestApp, calls: Array<Record<string, unknown>>, perPost = 10): Promise<void> {
  const posts: Array<Array<Record<string, unknown>>> = [];
  for (let index = 0; index < calls.length; index += perPost) posts.push(calls.slice(index, index + perPost));
  for (let index = 0; index < posts.length; index += 8) {
    const responses = await Promise.all(
      posts
        .slice(index, index + 8)
        .map((items) => postJson(`${app.url}/webhooks/yunfu/${YUNFU_SECRET}`, yunfuBatch(items))),
    );
    for (const response of responses) expect(response.status).toBe(200);
  }
}

/** Existing contacts as people type numbers: with and without +86, spaces, dashes, in phone or mobile. */
function mixedFormat(national: string, index: number): Record<string, string> {
  const spaced = `${national.slice(0, 3)} ${national.slice(3, 7)} ${national.slice(7)}`;
  const formats = [
    national,
    `+86 ${spaced}`,
    `+86-${national.slice(0, 3)}-${national.slice(3, 7)}-${national.slice(7)}`,
    spaced,
    `+86${national}`,
  ];
  const value = formats[index % formats.length]!;
  return index % 3 === 0 ? { mobilephone: value } : { phone: value };
}

describe('HubSpot quota', () => {
  it(
    'syncs 300 calls from 200 numbers at a limit of 10 requests / 10 s with almost no 429s',
    { timeout: 150_000 },
    async () => {
      // The connector is left at its default limit (100 / 10 s): it must learn the real one from HubSpot's headers.
      t = await startTestApp();
      t.emulator.setLimits({ burstPer10s: 10 });
      const calls = Array.from({ length: 300 }, (_, index) =>
        yunfuCall({ callid: `slow-${index}`, number: chinaMobile(index % 200), intention: (index % 6) + 1 }),
      );
      const started = Date.now();
      await postCalls(t, calls);
      await t.settled(140_000);
      const counts = await t.inbox.countByStatus();
      const rateLimited = t.emulator.counters.rateLimited.total;
      const requests = t.emulator.counters.total;
      process.stdout.write(
        `[quota] 300 calls / 200 numbers at 10 req/10 s: ${counts.synced} synced, ${counts.dead} dead, ${requests} HubSpot requests, ` +
          `${rateLimited} answered 429 (${JSON.stringify(t.emulator.counters.rateLimited)}), drained in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
      expect(counts).toMatchObject({ synced: 300, dead: 0, retrying: 0, pending: 0 });
      expect(t.emulator.listObjects('calls')).toHaveLength(300);
      expect(t.emulator.listObjects('contacts')).toHaveLength(200);
      // The first response teaches the limit; at most a couple of requests may have gone out before it.
      expect(rateLimited).toBeLessThanOrEqual(3);
    },
  );

  it(
    'needs at most 0.1 requests per synced call for 1,000 calls from 700 numbers, 30 % of them existing contacts',
    { timeout: 120_000 },
    async () => {
      t = await startTestApp();
      const numbers = Array.from({ length: 700 }, (_, index) => chinaMobile(100_000 + index));
      // 210 contacts created elsewhere, with numbers typed in assorted formats.
      for (let index = 0; index < 210; index++)
        t.emulator.seedObject('contacts', {
          firstname: `Existing ${index}`,
          ...mixedFormat(numbers[index * 3]!, index),
        });
      const calls = Array.from({ length: 1000 }, (_, index) =>
        yunfuCall({
          callid: `burst-${index}`,
          number: numbers[index % 700]!,
          intention: (index % 6) + 1,
          tags: [`tag-${index % 5}`],
        }),
      );
      const started = Date.now();
      await postCalls(t, calls);
      await t.settled(110_000);
      const counts = await t.inbox.countByStatus();
      const requests = t.emulator.counters.total;
      const perCall = requests / counts.synced;
      process.stdout.write(
        `[quota] 1,000 calls / 700 numbers (210 existing): ${counts.synced} synced, ${requests} HubSpot requests ` +
          `(${JSON.stringify(t.emulator.counters.byEndpoint ? summarise(t.emulator.counters.byEndpoint) : {})}), ` +
          `${perCall.toFixed(3)} requests per call (a naive per-call flow needs about 3), drained in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
      expect(counts).toMatchObject({ synced: 1000, dead: 0 });
      expect(t.emulator.listObjects('calls')).toHaveLength(1000);
      // No duplicates: 490 new contacts plus the 210 that existed.
      expect(t.emulator.listObjects('contacts')).toHaveLength(700);
      expect(perCall).toBeLessThanOrEqual(0.1);
    },
  );
});

function summarise(byEndpoint: Record<string, { total: number }>): Record<string, number> {
  return Object.fromEntries(Object.entries(byEndpoint).map(([endpoint, value]) => [endpoint, value.total]));
}
