import { FilterOperatorEnum as Operator } from '@hubspot/api-client/lib/codegen/crm/contacts/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sdkError, sleep, startEmulator, type EmulatorHarness } from './emulator-harness.js';

const RATE_HEADERS = [
  'x-hubspot-ratelimit-max',
  'x-hubspot-ratelimit-remaining',
  'x-hubspot-ratelimit-interval-milliseconds',
  'x-hubspot-ratelimit-daily',
  'x-hubspot-ratelimit-daily-remaining',
];

describe('HubSpot emulator: rate limits', () => {
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

  const search = () =>
    harness.request('/crm/v3/objects/contacts/search', {
      method: 'POST',
      body: { filterGroups: [{ filters: [{ propertyName: 'email', operator: 'HAS_PROPERTY' }] }], limit: 1 },
    });

  it('answers HubSpot’s TEN_SECONDLY_ROLLING 429 once the burst limit is used up, with rate-limit headers', async () => {
    harness.emulator.setLimits({ burstPer10s: 5, burstWindowMs: 1_000 });
    for (let index = 0; index < 5; index += 1) {
      const ok = await harness.request('/crm/v3/objects/contacts?limit=1');
      expect(ok.status).toBe(200);
      expect(ok.headers.get('x-hubspot-ratelimit-max')).toBe('5');
      expect(ok.headers.get('x-hubspot-ratelimit-remaining')).toBe(String(4 - index));
      expect(ok.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('1000');
      expect(ok.headers.get('x-hubspot-ratelimit-daily')).toBe('1000000');
      expect(ok.headers.get('x-hubspot-ratelimit-daily-remaining')).toBe(String(999_999 - index));
    }

    const limited = await harness.request('/crm/v3/objects/contacts?limit=1');
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      correlationId: expect.any(String),
      policyName: 'TEN_SECONDLY_ROLLING',
    });
    expect(Object.keys(limited.body as object)).toEqual([
      'status',
      'message',
      'errorType',
      'correlationId',
      'policyName',
    ]);
    expect(limited.headers.get('x-hubspot-ratelimit-remaining')).toBe('0');

    // The SDK throws the raw body, so an adapter can read policyName from it.
    const viaSdk = await sdkError(harness.client.crm.contacts.basicApi.getPage(1));
    expect(viaSdk.code).toBe(429);
    expect(viaSdk.body.policyName).toBe('TEN_SECONDLY_ROLLING');

    expect(harness.emulator.counters.rateLimited).toMatchObject({ total: 2, TEN_SECONDLY_ROLLING: 2 });
    expect(harness.emulator.counters.byStatus['429']).toBe(2);

    await sleep(1_100);
    expect((await harness.request('/crm/v3/objects/contacts?limit=1')).status).toBe(200);
  });

  it('keeps a separate window per token', async () => {
    harness.emulator.setLimits({ burstPer10s: 2 });
    const other = harness.clientWith('pat-other-token');
    await harness.client.crm.contacts.basicApi.getPage(1);
    await harness.client.crm.contacts.basicApi.getPage(1);
    expect((await sdkError(harness.client.crm.contacts.basicApi.getPage(1))).code).toBe(429);
    await expect(other.crm.contacts.basicApi.getPage(1)).resolves.toBeDefined();
  });

  it('counts refused requests against the window unless configured not to', async () => {
    harness.emulator.setLimits({ burstPer10s: 1 });
    await harness.request('/crm/v3/objects/contacts');
    await harness.request('/crm/v3/objects/contacts');
    expect(Object.values(harness.emulator.limitsReport().usage.burstUsedByToken)).toEqual([2]);

    harness.emulator.reset();
    harness.emulator.setLimits({ burstPer10s: 1, countRejectedRequests: false });
    await harness.request('/crm/v3/objects/contacts');
    expect((await harness.request('/crm/v3/objects/contacts')).status).toBe(429);
    expect(Object.values(harness.emulator.limitsReport().usage.burstUsedByToken)).toEqual([1]);
  });

  it('limits search to 5 requests per second with a SECONDLY 429 and no rate-limit headers', async () => {
    for (let index = 0; index < 5; index += 1) {
      const ok = await search();
      expect(ok.status).toBe(200);
      for (const header of RATE_HEADERS) expect(ok.headers.get(header)).toBeNull();
    }
    const limited = await search();
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      status: 'error',
      message: 'You have reached your secondly limit.',
      errorType: 'RATE_LIMIT',
      correlationId: expect.any(String),
      policyName: 'SECONDLY',
    });
    for (const header of RATE_HEADERS) expect(limited.headers.get(header)).toBeNull();

    // Search does not use up the burst window.
    const other = await harness.request('/crm/v3/objects/contacts');
    expect(other.headers.get('x-hubspot-ratelimit-remaining')).toBe('99');

    await sleep(1_100);
    const sdkSearch = await harness.client.crm.contacts.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'email', operator: Operator.HasProperty }] }],
    });
    expect(sdkSearch.total).toBe(0);
  });

  it('answers DAILY 429s once the daily limit is reached, until the day is reset', async () => {
    harness.emulator.setLimits({ daily: 3 });
    await harness.request('/crm/v3/objects/contacts');
    await search();
    const last = await harness.request('/crm/v3/objects/contacts');
    expect(last.headers.get('x-hubspot-ratelimit-daily-remaining')).toBe('0');

    const limited = await harness.request('/crm/v3/objects/contacts');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ errorType: 'RATE_LIMIT', policyName: 'DAILY' });
    expect((await search()).body).toMatchObject({ policyName: 'DAILY' });

    const control = await harness.request('/_emulator/day-reset', { method: 'POST', token: null });
    expect(control.status).toBe(200);
    expect((await harness.request('/crm/v3/objects/contacts')).status).toBe(200);
  });

  it('changes limits through PUT /_emulator/limits and refuses unknown keys', async () => {
    const updated = await harness.request('/_emulator/limits', {
      method: 'PUT',
      body: { burstPer10s: 190 },
      token: null,
    });
    expect(updated.body).toMatchObject({ burstPer10s: 190, searchPerSecond: 5 });
    const ok = await harness.request('/crm/v3/objects/contacts');
    expect(ok.headers.get('x-hubspot-ratelimit-max')).toBe('190');

    const typo = await harness.request('/_emulator/limits', { method: 'PUT', body: { burst: 1 }, token: null });
    expect(typo.status).toBe(400);
  });
});
