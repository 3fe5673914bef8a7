import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HubSpotEmulator } from '../../src/hubspot-emulator/hubspot-emulator.js';
import { HubSpotAuthError, HubSpotDailyLimitError, HubSpotRetryableError } from '../../src/hubspot/hubspot-errors.js';
import { HubSpotSdkAdapter } from '../../src/hubspot/hubspot-sdk.adapter.js';
import { AppLogger, createPinoLogger } from '../../src/logging/app-logger.js';

let emulator: HubSpotEmulator;
let adapter: HubSpotSdkAdapter;

function makeAdapter(overrides: Partial<ConstructorParameters<typeof HubSpotSdkAdapter>[0]> = {}): HubSpotSdkAdapter {
  return new HubSpotSdkAdapter({
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
    ...overrides,
  });
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

  it('retries a 503 and succeeds when HubSpot recovers', async () => {
    emulator.setFaults({ mode: 'status', status: 503, count: 2 });
    const outcome = await adapter.upsertContacts('email', [{ key: 'a', id: 'a@example.com', properties: { email: 'a@example.com' } }]);
    expect(outcome.succeeded.get('a')).toMatchObject({ created: true });
    expect(adapter.stats.retries).toBe(2);
  });

  it('reports a 503 that outlasts its attempts as retryable', async () => {
    emulator.setFaults({ mode: 'status', status: 503 });
    await expect(adapter.upsertContacts('email', [{ key: 'a', id: 'a@example.com', properties: {} }])).rejects.toBeInstanceOf(HubSpotRetryableError);
    expect(adapter.stats.requests).toBe(3);
  });

  it('tells a DAILY 429 apart, and does not retry it', async () => {
    emulator.setLimits({ daily: 0 });
    await expect(adapter.probe()).rejects.toBeInstanceOf(HubSpotDailyLimitError);
    await expect(adapter.upsertContacts('email', [{ key: 'a', id: 'a@example.com', properties: {} }])).rejects.toBeInstanceOf(HubSpotDailyLimitError);
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

  it('finds calls by their key, whatever the case of the key', async () => {
    await adapter.ensurePropertyGroup('calls', 'ai_call_connector', 'AI calls');
    await adapter.createProperty('calls', { name: 'ai_call_key', label: 'Key', type: 'string', fieldType: 'text', groupName: 'ai_call_connector' });
    const created = await adapter.createCalls('ai_call_key', [{ key: 'voicefox:Session-ABC', properties: { hs_timestamp: '2025-09-25T13:39:55.000Z' }, contactId: null }]);
    const found = await adapter.searchCallsByKey('ai_call_key', ['voicefox:Session-ABC', 'voicefox:unknown']);
    expect(found).toEqual(new Map([['voicefox:session-abc', created.succeeded.get('voicefox:Session-ABC')!.id]]));
  });
});
