import { Client } from '@hubspot/api-client';

/**
 * The flow a workflow tool builds by hand, per call: search the contact by phone, update it or create it, create
 * the call associated to it. Sequential, retrying a 429 after a second, as such tools do.
 */
export async function naiveFlow(
  baseUrl: string,
  calls: Array<{ key: string; number: string; durationMs: number }>,
): Promise<void> {
  const client = new Client({ accessToken: 'pat-naive', basePath: baseUrl, numberOfApiCallRetries: 0 });
  const retry = async <T>(send: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        if ((error as { code?: number }).code !== 429 || attempt > 30) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  };
  for (const call of calls) {
    const found = await retry(() =>
      client.crm.contacts.searchApi.doSearch({
        filterGroups: [
          {
            filters: [
              { propertyName: 'hs_searchable_calculated_phone_number', operator: 'EQ' as never, value: call.number },
            ],
          },
        ],
        properties: ['phone'],
        limit: 1,
      }),
    );
    let contactId = found.results[0]?.id;
    if (contactId)
      await retry(() => client.crm.contacts.basicApi.update(contactId!, { properties: { phone: call.number } }));
    else
      contactId = (
        await retry(() => client.crm.contacts.basicApi.create({ properties: { phone: call.number }, associations: [] }))
      ).id;
    await retry(() =>
      client.crm.objects.calls.basicApi.create({
        properties: {
          hs_timestamp: '2025-09-25T13:39:55.000Z',
          hs_call_title: call.key,
          hs_call_duration: String(call.durationMs),
        },
        associations: [
          {
            to: { id: contactId },
            types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 194 }],
          },
        ],
      }),
    );
  }
}
