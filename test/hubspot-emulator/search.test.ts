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
        { filters: [{ propertyName: 'hs_searchable_calculated_phone_number', operator: Operator.Eq, value: national }] },
        { filters: [{ propertyName: 'hs_searchable_calculated_mobile_number', operator: Operator.Eq, value: national }] },
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
    const contact = await harness.client.crm.contacts.basicApi.create({ properties: { mobilephone: '+1 (415) 555-0100' }, associations: [] });
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
    for (let index = 0; index < 7; index += 1) harness.emulator.seedObject('contacts', { lastname: 'Page', firstname: `n${index}` });
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

  it('refuses more than 3 filter groups or 3 filters in a group', async () => {
    const filter = { propertyName: 'firstname', operator: Operator.Eq, value: 'x' };
    const tooManyGroups = await sdkError(
      harness.client.crm.contacts.searchApi.doSearch({ filterGroups: Array.from({ length: 4 }, () => ({ filters: [filter] })) }),
    );
    expect(tooManyGroups.code).toBe(400);
    expect(tooManyGroups.body.category).toBe('VALIDATION_ERROR');
    const tooManyFilters = await sdkError(
      harness.client.crm.contacts.searchApi.doSearch({ filterGroups: [{ filters: [filter, filter, filter, filter] }] }),
    );
    expect(tooManyFilters.code).toBe(400);
  });
});
