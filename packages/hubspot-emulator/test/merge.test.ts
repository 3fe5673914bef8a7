import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHarness } from './emulator-harness.js';

const toContact = (id: string) => [
  { to: { id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 194 }] },
];

describe('HubSpot emulator: deleted and merged contacts', () => {
  let harness: EmulatorHarness;
  let primaryId: string;
  let mergedId: string;
  let callId: string;

  beforeAll(async () => {
    harness = await startEmulator();
  });
  afterAll(async () => {
    await harness.emulator.close();
  });
  beforeEach(async () => {
    harness.emulator.reset();
    await harness.client.crm.properties.groupsApi.create('contacts', { name: 'ai_calls', label: 'AI calls' });
    await harness.request('/crm/v3/properties/contacts', {
      method: 'POST',
      body: {
        name: 'ai_phone_e164',
        label: 'Phone',
        type: 'string',
        fieldType: 'text',
        groupName: 'ai_calls',
        hasUniqueValue: true,
      },
    });
    primaryId = String(
      harness.emulator.seedObject('contacts', { email: 'primary@example.com', firstname: 'Primary' }).id,
    );
    mergedId = String(
      harness.emulator.seedObject('contacts', {
        email: 'merged@example.com',
        firstname: 'Merged',
        city: 'Berlin',
        phone: '+49 30 1234567',
        ai_phone_e164: '+49301234567',
      }).id,
    );
    const call = await harness.request('/crm/v3/objects/calls', {
      method: 'POST',
      body: { properties: { hs_timestamp: '1700000000000' }, associations: toContact(mergedId) },
    });
    callId = (call.body as { id: string }).id;
  });

  const merge = (primary: string, merged: string) =>
    harness.request('/_emulator/merge/contacts', {
      method: 'POST',
      body: { primaryId: primary, mergedId: merged },
      token: null,
    });

  it('keeps the primary’s values, fills its empty ones, records the merged id and moves the calls', async () => {
    const merged = await merge(primaryId, mergedId);
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({
      id: primaryId,
      properties: {
        email: 'primary@example.com',
        firstname: 'Primary',
        city: 'Berlin',
        phone: '+49 30 1234567',
        hs_searchable_calculated_phone_number: '301234567',
        ai_phone_e164: '+49301234567',
        hs_merged_object_ids: mergedId,
        hs_object_id: primaryId,
      },
      associations: { calls: [callId] },
    });
    expect(harness.emulator.state.contacts).toBe(1);

    const call = await harness.request(`/crm/v4/objects/calls/${callId}/associations/contacts`);
    expect(
      (call.body as { results: { toObjectId: number }[] }).results.map((result) => String(result.toObjectId)),
    ).toEqual([primaryId]);

    // The merged contact's unique value now leads to the primary.
    const upserted = await harness.request('/crm/v3/objects/contacts/batch/upsert', {
      method: 'POST',
      body: { inputs: [{ id: '+49301234567', idProperty: 'ai_phone_e164', properties: { lastname: 'Kept' } }] },
    });
    expect(upserted.body).toMatchObject({ results: [{ id: primaryId, new: false }] });

    const found = await harness.request('/crm/v3/objects/contacts/search', {
      method: 'POST',
      body: {
        filterGroups: [
          { filters: [{ propertyName: 'hs_merged_object_ids', operator: 'CONTAINS_TOKEN', value: mergedId }] },
        ],
      },
    });
    expect(found.body).toMatchObject({ total: 1, results: [{ id: primaryId }] });
  });

  it('makes the merged id unreadable: 404 on GET, OBJECT_NOT_FOUND in batch read and update', async () => {
    await merge(primaryId, mergedId);
    const single = await harness.request(`/crm/objects/2026-09/contacts/${mergedId}`);
    expect(single.status).toBe(404);
    expect(single.body).toMatchObject({ status: 'error', category: 'OBJECT_NOT_FOUND' });

    const read = await harness.request('/crm/v3/objects/contacts/batch/read', {
      method: 'POST',
      body: { inputs: [{ id: primaryId }, { id: mergedId }] },
    });
    expect(read.status).toBe(207);
    expect(read.body).toMatchObject({
      results: [{ id: primaryId }],
      errors: [{ category: 'OBJECT_NOT_FOUND', context: { ids: [mergedId] } }],
    });

    const update = await harness.request('/crm/v3/objects/contacts/batch/update', {
      method: 'POST',
      body: {
        inputs: [
          { id: mergedId, properties: { lastname: 'Gone' }, objectWriteTraceId: 'gone' },
          { id: primaryId, properties: { lastname: 'Here' }, objectWriteTraceId: 'here' },
        ],
      },
    });
    expect(update.status).toBe(207);
    expect(update.body).toMatchObject({
      results: [{ id: primaryId, properties: { lastname: 'Here' } }],
      errors: [{ category: 'OBJECT_NOT_FOUND', context: { ids: [mergedId], objectWriteTraceId: ['gone'] } }],
    });
  });

  it('lets the primary keep its own unique value, freeing the merged one', async () => {
    await harness.request(`/crm/v3/objects/contacts/${primaryId}`, {
      method: 'PATCH',
      body: { properties: { ai_phone_e164: '+4911111' } },
    });
    const merged = await merge(primaryId, mergedId);
    expect((merged.body as { properties: Record<string, string> }).properties.ai_phone_e164).toBe('+4911111');
    const created = await harness.request('/crm/v3/objects/contacts', {
      method: 'POST',
      body: { properties: { ai_phone_e164: '+49301234567' }, associations: [] },
    });
    expect(created.status).toBe(201);
  });

  it('accumulates merged ids, including those the merged contact carried', () => {
    const third = String(harness.emulator.seedObject('contacts', { firstname: 'Third' }).id);
    const fourth = String(harness.emulator.seedObject('contacts', { firstname: 'Fourth' }).id);
    harness.emulator.mergeContacts(third, fourth);
    harness.emulator.mergeContacts(primaryId, mergedId);
    const result = harness.emulator.mergeContacts(primaryId, third);
    expect(result.properties.hs_merged_object_ids).toBe(`${mergedId};${fourth};${third}`);
    expect(harness.emulator.getObject('contacts', third)).toBeUndefined();
  });

  it('keeps hs_merged_object_ids read-only', async () => {
    const refused = await harness.request(`/crm/v3/objects/contacts/${primaryId}`, {
      method: 'PATCH',
      body: { properties: { hs_merged_object_ids: '1' } },
    });
    expect(refused.status).toBe(400);
    expect((refused.body as { message: string }).message).toContain('READ_ONLY_VALUE');
  });

  it('refuses a merge of unknown or identical ids, or a malformed body', async () => {
    for (const body of [{ primaryId, mergedId: '999999' }, { primaryId, mergedId: primaryId }, { primaryId }, {}]) {
      const refused = await harness.request('/_emulator/merge/contacts', { method: 'POST', body, token: null });
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect((refused.body as { error: string }).error).toContain('merge');
    }
    // Numeric ids are taken as well.
    const numeric = await harness.request('/_emulator/merge/contacts', {
      method: 'POST',
      body: { primaryId: Number(primaryId), mergedId: Number(mergedId) },
      token: null,
    });
    expect(numeric.status).toBe(200);
  });

  it('refuses a call associated to a merged-away or deleted contact with a 400 naming the id, per input in a batch', async () => {
    await merge(primaryId, mergedId);
    const single = await harness.request('/crm/objects/2026-09/calls', {
      method: 'POST',
      body: { properties: { hs_timestamp: '1700000000000' }, associations: toContact(mergedId) },
    });
    expect(single.status).toBe(400);
    expect(single.body).toMatchObject({ category: 'VALIDATION_ERROR', context: { invalidIds: [mergedId] } });
    expect((single.body as { message: string }).message).toContain(mergedId);

    const deleted = String(harness.emulator.seedObject('contacts', { firstname: 'Deleted' }).id);
    expect((await harness.request(`/crm/v3/objects/contacts/${deleted}`, { method: 'DELETE' })).status).toBe(204);
    const batch = await harness.request('/crm/v3/objects/calls/batch/create', {
      method: 'POST',
      body: {
        inputs: [
          {
            properties: { hs_timestamp: '1700000000000' },
            associations: toContact(deleted),
            objectWriteTraceId: 'deleted',
          },
          {
            properties: { hs_timestamp: '1700000000000' },
            associations: toContact(primaryId),
            objectWriteTraceId: 'live',
          },
        ],
      },
    });
    expect(batch.status).toBe(207);
    expect(batch.body).toMatchObject({
      results: [{ objectWriteTraceId: 'live' }],
      errors: [{ category: 'VALIDATION_ERROR', context: { invalidIds: [deleted], objectWriteTraceId: ['deleted'] } }],
    });
  });
});
