import { FilterOperatorEnum as Operator } from '@hubspot/api-client/lib/codegen/crm/contacts/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sdkError, sleep, startEmulator, type EmulatorHarness } from './emulator-harness.js';

const LAG_MS = 300;

describe('HubSpot emulator: contact search', () => {
  let harness: EmulatorHarness;

  beforeAll(async () => {
    harness = await startEmulator({ limits: { searchPerSecond: 1000 } });
  });
  afterAll(async () => {
    await harness.emulator.close();
  });
  beforeEach(() => {
    harness.emulator.reset();
    harness.emulator.setLimits({ searchPerSecond: 1000 });
  });

  const searchPhone = (national: string) =>
    harness.client.crm.contacts.searchApi.doSearch({
      filterGroups: [
        {
          filters: [{ propertyName: 'hs_searchable_calculated_phone_number', operator: Operator.Eq, value: national }],
        },
        {
          filters: [{ propertyName: 'hs_searchable_calculated_mobile_number', operator: Operator.Eq, value: national }],
        },
      ],
      properties: ['phone', 'mobilephone'],
      limit: 10,
    });

  it('finds a contact by calculated phone only after the index lag has passed', async () => {
    harness.emulator.setLimits({ searchLagMs: LAG_MS });
    const written = Date.now();
    const contact = await harness.client.crm.contacts.basicApi.create({
      properties: { phone: '+86 175-3498-9887' },
      associations: [],
    });

    const early = await searchPhone('17534989887');
    // Only meaningful while the lag has not yet passed; the create and search above take a few ms.
    expect(Date.now() - written).toBeLessThan(LAG_MS);
    expect(early.total).toBe(0);
    expect(early.results).toEqual([]);

    await sleep(LAG_MS + 50);
    const late = await searchPhone('17534989887');
    expect(late.total).toBe(1);
    expect(late.results[0]?.id).toBe(contact.id);
    expect(late.results[0]?.properties.phone).toBe('+86 175-3498-9887');
  });

  it('keeps finding a changed contact by its old values until the lag passes', async () => {
    const contact = await harness.client.crm.contacts.basicApi.create({
      properties: { mobilephone: '+1 (415) 555-0100' },
      associations: [],
    });
    expect((await searchPhone('4155550100')).total).toBe(1);

    harness.emulator.setLimits({ searchLagMs: LAG_MS });
    await harness.client.crm.contacts.basicApi.update(contact.id, { properties: { mobilephone: '+1 (415) 555-0199' } });
    const stale = await searchPhone('4155550100');
    expect(stale.total).toBe(1);
    expect(stale.results[0]?.properties.mobilephone).toBe('+1 (415) 555-0100');
    expect((await searchPhone('4155550199')).total).toBe(0);

    await sleep(LAG_MS + 50);
    expect((await searchPhone('4155550100')).total).toBe(0);
    const fresh = await searchPhone('4155550199');
    expect(fresh.results.map((result) => result.id)).toEqual([contact.id]);
  });

  it('ORs filter groups and ANDs the filters inside a group', async () => {
    for (const [firstname, city] of [
      ['Ann', 'Berlin'],
      ['Ann', 'Paris'],
      ['Bob', 'Paris'],
      ['Eve', 'Rome'],
    ]) {
      harness.emulator.seedObject('contacts', { firstname, city });
    }
    const response = await harness.client.crm.contacts.searchApi.doSearch({
      filterGroups: [
        {
          filters: [
            { propertyName: 'firstname', operator: Operator.Eq, value: 'ann' },
            { propertyName: 'city', operator: Operator.Eq, value: 'Paris' },
          ],
        },
        { filters: [{ propertyName: 'firstname', operator: Operator.Eq, value: 'Eve' }] },
      ],
      properties: ['firstname', 'city'],
      sorts: ['firstname'],
      limit: 10,
    });
    expect(response.results.map((result) => `${result.properties.firstname}/${result.properties.city}`)).toEqual([
      'Ann/Paris',
      'Eve/Rome',
    ]);
  });

  it('supports IN (lowercase values only), NEQ, HAS_PROPERTY, NOT_HAS_PROPERTY and CONTAINS_TOKEN', async () => {
    harness.emulator.seedObject('contacts', { email: 'li.wei@example.com', company: 'Acme' });
    harness.emulator.seedObject('contacts', { email: 'ann@other.org', company: 'Other' });
    harness.emulator.seedObject('contacts', { firstname: 'NoEmail' });
    const count = async (filters: { propertyName: string; operator: Operator; value?: string; values?: string[] }[]) =>
      (await harness.client.crm.contacts.searchApi.doSearch({ filterGroups: [{ filters }], limit: 10 })).total;

    expect(await count([{ propertyName: 'company', operator: Operator.In, values: ['acme', 'other'] }])).toBe(2);
    expect(await count([{ propertyName: 'company', operator: Operator.In, values: ['Acme'] }])).toBe(0);
    expect(await count([{ propertyName: 'company', operator: Operator.Neq, value: 'acme' }])).toBe(2);
    expect(await count([{ propertyName: 'email', operator: Operator.HasProperty }])).toBe(2);
    expect(await count([{ propertyName: 'email', operator: Operator.NotHasProperty }])).toBe(1);
    expect(await count([{ propertyName: 'email', operator: Operator.ContainsToken, value: '*@example.com' }])).toBe(1);
    expect(await count([{ propertyName: 'email', operator: Operator.ContainsToken, value: 'wei' }])).toBe(1);
  });

  it('pages search results with after and reports the total', async () => {
    for (let index = 0; index < 7; index += 1)
      harness.emulator.seedObject('contacts', { lastname: 'Page', firstname: `n${index}` });
    const ids: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page += 1) {
      const response = await harness.client.crm.contacts.searchApi.doSearch({
        filterGroups: [{ filters: [{ propertyName: 'lastname', operator: Operator.Eq, value: 'Page' }] }],
        limit: 3,
        after,
      });
      expect(response.total).toBe(7);
      ids.push(...response.results.map((result) => result.id));
      after = response.paging?.next?.after;
      if (!after) break;
    }
    expect(new Set(ids).size).toBe(7);
  });

  // HubSpot search guide, Limitations: ≤ 5 filterGroups, ≤ 6 filters per group, ≤ 18 filters in all (replaces
  // the emulator's former 3 × 3, which the docs contradict).
  it('accepts 5 filter groups, 6 filters in a group and 18 filters in all, and refuses one more of each', async () => {
    const filter = { propertyName: 'firstname', operator: 'EQ', value: 'x' };
    const search = (filterGroups: unknown[]) =>
      harness.request('/crm/v3/objects/contacts/search', { method: 'POST', body: { filterGroups, limit: 1 } });
    const groups = (...sizes: number[]) =>
      sizes.map((size) => ({ filters: Array.from({ length: size }, () => filter) }));

    expect((await search(groups(1, 1, 1, 1, 1))).status).toBe(200);
    expect((await search(groups(6))).status).toBe(200);
    expect((await search(groups(6, 6, 6))).status).toBe(200);

    const tooManyGroups = await search(groups(1, 1, 1, 1, 1, 1));
    expect(tooManyGroups.status).toBe(400);
    expect(tooManyGroups.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    expect(String((tooManyGroups.body as { message: string }).message)).toContain('at most 5 filterGroups');

    const tooManyInGroup = await search(groups(7));
    expect(tooManyInGroup.status).toBe(400);
    expect(String((tooManyInGroup.body as { message: string }).message)).toContain('at most 6 filters');

    const tooManyInAll = await search(groups(6, 6, 6, 1));
    expect(tooManyInAll.status).toBe(400);
    expect(String((tooManyInAll.body as { message: string }).message)).toContain('at most 18 filters');

    // Through the SDK too: the refusal is an ApiException with HubSpot's body.
    const viaSdk = await sdkError(
      harness.client.crm.contacts.searchApi.doSearch({
        filterGroups: Array.from({ length: 6 }, () => ({
          filters: [{ propertyName: 'firstname', operator: Operator.Eq, value: 'x' }],
        })),
      }),
    );
    expect(viaSdk.code).toBe(400);
    expect(viaSdk.body.category).toBe('VALIDATION_ERROR');
  });

  it('allows one sort rule and refuses two', async () => {
    harness.emulator.seedObject('contacts', { firstname: 'B' });
    harness.emulator.seedObject('contacts', { firstname: 'A' });
    const one = await harness.client.crm.contacts.searchApi.doSearch({
      sorts: ['-firstname'],
      properties: ['firstname'],
    });
    expect(one.results.map((result) => result.properties.firstname)).toEqual(['B', 'A']);

    const two = await sdkError(harness.client.crm.contacts.searchApi.doSearch({ sorts: ['firstname', 'lastname'] }));
    expect(two.code).toBe(400);
    expect(two.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    expect(String(two.body.message)).toContain('at most 1 sort');
  });

  it('refuses a search body over 3,000 characters before looking at anything else in it', async () => {
    const raw = (text: string) =>
      fetch(`${harness.emulator.url}/crm/v3/objects/contacts/search`, {
        method: 'POST',
        headers: { authorization: 'Bearer pat-test', 'content-type': 'application/json' },
        body: text,
      }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as Record<string, unknown>,
      }));
    const padded = (length: number) => {
      const base = JSON.stringify({ query: '', limit: 1 });
      const text = JSON.stringify({ query: ' '.repeat(length - base.length), limit: 1 });
      expect(text.length).toBe(length);
      return text;
    };

    expect((await raw(padded(3_000))).status).toBe(200);
    // The request log keeps each body's size, and the largest search body, for tests that must stay under it.
    expect(harness.emulator.requestLog.at(-1)).toMatchObject({ bodyChars: 3_000, status: 200 });
    expect(harness.emulator.counters.largestSearchBody).toBe(3_000);
    const tooLong = await raw(padded(3_001));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toMatchObject({
      status: 'error',
      category: 'VALIDATION_ERROR',
      correlationId: expect.any(String),
    });
    expect(String(tooLong.body.message)).toContain('3001 characters');
    expect(String(tooLong.body.message)).toContain('at most 3000 characters');

    // Invalid JSON and too many groups would each be a 400 of their own; the size refusal comes first.
    const invalidJson = await raw(`{"filterGroups": [${'x'.repeat(3_100)}`);
    expect(String(invalidJson.body.message)).toContain('at most 3000 characters');
    const tooManyGroupsAndLong = await raw(
      JSON.stringify({
        filterGroups: Array.from({ length: 60 }, () => ({
          filters: [{ propertyName: 'firstname', operator: 'EQ', value: 'x' }],
        })),
      }),
    );
    expect(tooManyGroupsAndLong.status).toBe(400);
    expect(String(tooManyGroupsAndLong.body.message)).toContain('at most 3000 characters');
  });

  it('checks limit, the integer-string after, and the 10,000-result paging window', async () => {
    const search = (body: Record<string, unknown>) =>
      harness.request('/crm/v3/objects/contacts/search', { method: 'POST', body });
    expect((await search({ limit: 200 })).status).toBe(200);
    expect((await search({ limit: 201 })).status).toBe(400);
    expect((await search({ after: '5', limit: 10 })).status).toBe(200);
    for (const after of ['abc', '1.5', '-1', '0x10', '1e3', ' 5']) {
      const refused = await search({ after, limit: 10 });
      expect(refused.status, `after ${after}`).toBe(400);
      expect(refused.body).toMatchObject({ category: 'VALIDATION_ERROR' });
    }
    expect((await search({ after: '9990', limit: 10 })).status).toBe(200);
    const beyond = await search({ after: '9995', limit: 10 });
    expect(beyond.status).toBe(400);
    expect(String((beyond.body as { message: string }).message)).toContain('10000');
  });
});
