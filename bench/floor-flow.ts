import { Client } from '@hubspot/api-client';
import { searchChunks } from '../src/hubspot/hubspot-search-bodies.js';
import { RollingWindowLimiter } from '../src/hubspot/rolling-window-limiter.js';

const searchBody = (values: string[]) => ({
  filterGroups: [
    { filters: [{ propertyName: 'hs_searchable_calculated_phone_number', operator: 'IN', values }] },
    { filters: [{ propertyName: 'hs_searchable_calculated_mobile_number', operator: 'IN', values }] },
  ],
  properties: ['phone', 'mobilephone'],
  limit: 200,
});

/** The fewest searches that find these numbers: as many numbers per search as HubSpot's 3,000-character body takes. */
export function floorSearches(numbers: string[]): string[][] {
  return searchChunks([...new Set(numbers)], searchBody);
}

/**
 * The floor, executed: exactly the fewest requests the work needs (searches as full as HubSpot's body limit allows
 * to find existing contacts, one batch create per 100 new contacts and per 100 calls), as fast as HubSpot's limits
 * allow, with everything known in advance. Nothing real can do better; it measures what the limits and round trips
 * cost.
 */
export async function floorFlow(
  baseUrl: string,
  calls: Array<{ key: string; number: string }>,
): Promise<{ requests: number; seconds: number }> {
  const client = new Client({ accessToken: 'pat-floor', basePath: baseUrl, numberOfApiCallRetries: 0 });
  const burst = new RollingWindowLimiter(100, 10_000);
  const search = new RollingWindowLimiter(5, 1_000);
  let requests = 0;
  const send = async <T>(limiter: RollingWindowLimiter, request: () => Promise<T>): Promise<T> => {
    const release = await limiter.acquire();
    requests++;
    try {
      return await request();
    } finally {
      release();
    }
  };
  const started = Date.now();
  const numbers = [...new Set(calls.map((call) => call.number))];
  const contactOf = new Map<string, string>();
  for (const values of floorSearches(numbers)) {
    const page = await send(search, () => client.crm.contacts.searchApi.doSearch(searchBody(values) as never));
    for (const contact of page.results) {
      const digits = (contact.properties['phone'] ?? contact.properties['mobilephone'] ?? '')
        .replace(/\D/g, '')
        .slice(-11);
      if (values.includes(digits)) contactOf.set(digits, contact.id);
    }
  }
  const fresh = numbers.filter((number) => !contactOf.has(number));
  for (let index = 0; index < fresh.length; index += 100) {
    const part = fresh.slice(index, index + 100);
    const created = await send(burst, () =>
      client.crm.contacts.batchApi.create({
        inputs: part.map((number) => ({ properties: { phone: `+86${number}` }, associations: [] })),
      }),
    );
    for (const contact of created.results) contactOf.set(contact.properties['phone']!.slice(3), contact.id);
  }
  for (let index = 0; index < calls.length; index += 100) {
    const part = calls.slice(index, index + 100);
    await send(burst, () =>
      client.crm.objects.calls.batchApi.create({
        inputs: part.map((call) => ({
          properties: { hs_timestamp: '2025-09-25T13:39:55.000Z', hs_call_title: call.key },
          associations: [
            {
              to: { id: contactOf.get(call.number)! },
              types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 194 }],
            },
          ],
        })),
      }),
    );
  }
  return { requests, seconds: (Date.now() - started) / 1000 };
}
