import { FilterOperatorEnum as Operator } from '@hubspot/api-client/lib/codegen/crm/objects/calls/index.js';
import { AssociationSpecAssociationCategoryEnum as Category } from '@hubspot/api-client/lib/codegen/crm/objects/calls/index.js';
import {
  PropertyCreateFieldTypeEnum as FieldType,
  PropertyCreateTypeEnum as PropertyType,
} from '@hubspot/api-client/lib/codegen/crm/properties/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { batchFailures, sdkError, startEmulator, type EmulatorHarness } from './emulator-harness.js';

const CONNECTED = 'f240bbac-87c9-4f6e-bf70-924b57d47db7';

describe('HubSpot emulator: calls', () => {
  let harness: EmulatorHarness;
  let contactId: string;

  beforeAll(async () => {
    harness = await startEmulator();
  });
  afterAll(async () => {
    await harness.emulator.close();
  });
  beforeEach(() => {
    harness.emulator.reset();
    contactId = String(harness.emulator.seedObject('contacts', { phone: '+8617534989887' }).id);
  });

  const toContact = (id: string) => [
    { to: { id }, types: [{ associationCategory: Category.HubspotDefined, associationTypeId: 194 }] },
  ];

  it('creates a call associated to a contact and returns the association on get and list', async () => {
    const call = await harness.client.crm.objects.calls.basicApi.create({
      properties: {
        hs_timestamp: '2026-11-20T10:00:00Z',
        hs_call_title: 'AI call',
        hs_call_direction: 'INBOUND',
        hs_call_status: 'COMPLETED',
        hs_call_disposition: CONNECTED,
        hs_call_duration: '65000',
        hs_call_recording_url: 'https://cdn.example.com/rec.mp3',
      },
      associations: toContact(contactId),
    });
    expect(call.properties).toMatchObject({ hs_timestamp: '2026-11-20T10:00:00.000Z', hs_call_duration: '65000' });

    const read = await harness.client.crm.objects.calls.basicApi.getById(call.id, ['hs_call_title'], undefined, [
      'contacts',
    ]);
    expect(read.properties.hs_call_title).toBe('AI call');
    expect(read.associations?.contacts?.results).toEqual([{ id: contactId, type: 'call_to_contact' }]);

    const page = await harness.client.crm.objects.calls.basicApi.getPage(10, undefined, ['hs_call_status'], undefined, [
      'contacts',
    ]);
    expect(page.results).toHaveLength(1);
    expect(page.results[0]?.associations?.contacts?.results[0]?.id).toBe(contactId);

    const contact = await harness.client.crm.contacts.basicApi.getById(contactId, undefined, undefined, ['calls']);
    expect(contact.associations?.calls?.results).toEqual([{ id: call.id, type: 'contact_to_call' }]);

    const v4 = await harness.client.crm.associations.v4.basicApi.getPage('calls', call.id, 'contacts');
    expect(v4.results.map((result) => String(result.toObjectId))).toEqual([contactId]);
    expect(v4.results[0]?.associationTypes[0]).toMatchObject({ category: 'HUBSPOT_DEFINED', typeId: 194 });
  });

  it("lists a contact's calls through v4 associations (typeId 193), and answers 404 for a contact it does not have", async () => {
    // https://developers.hubspot.com/docs/api-reference/crm-associations-v4/guide: GET
    // /crm/v4/objects/{fromObjectType}/{objectId}/associations/{toObjectType}, pages of up to 500.
    const ids: string[] = [];
    for (const title of ['first', 'second']) {
      const call = await harness.client.crm.objects.calls.basicApi.create({
        properties: { hs_timestamp: '2026-11-20T10:00:00Z', hs_call_title: title },
        associations: toContact(contactId),
      });
      ids.push(call.id);
    }
    const page = await harness.client.crm.associations.v4.basicApi.getPage(
      'contacts',
      contactId,
      'calls',
      undefined,
      500,
    );
    expect(page.results.map((result) => String(result.toObjectId)).sort()).toEqual([...ids].sort());
    expect(page.results[0]?.associationTypes[0]).toMatchObject({ category: 'HUBSPOT_DEFINED', typeId: 193 });
    const missing = await harness.request('/crm/v4/objects/contacts/987654321/associations/calls');
    expect(missing.status).toBe(404);
  });

  it('requires hs_timestamp on create', async () => {
    const refused = await sdkError(
      harness.client.crm.objects.calls.basicApi.create({ properties: { hs_call_title: 'no time' }, associations: [] }),
    );
    expect(refused.code).toBe(400);
    expect(refused.body.category).toBe('VALIDATION_ERROR');
    expect(String(refused.body.message)).toContain('hs_timestamp');
    expect(harness.emulator.state.calls).toBe(0);
  });

  it('refuses an association to a contact that does not exist', async () => {
    const refused = await sdkError(
      harness.client.crm.objects.calls.basicApi.create({
        properties: { hs_timestamp: '1700000000000' },
        associations: toContact('987654321'),
      }),
    );
    expect(refused.code).toBe(400);
    expect(harness.emulator.state.calls).toBe(0);
  });

  it('refuses a recording URL that is not https and an unknown outcome GUID', async () => {
    const http = await sdkError(
      harness.client.crm.objects.calls.basicApi.create({
        properties: { hs_timestamp: '1700000000000', hs_call_recording_url: 'http://cdn.example.com/rec.mp3' },
        associations: [],
      }),
    );
    expect(http.code).toBe(400);
    expect(String(http.body.message)).toContain('hs_call_recording_url');

    const outcome = await sdkError(
      harness.client.crm.objects.calls.basicApi.create({
        properties: { hs_timestamp: '1700000000000', hs_call_disposition: 'Connected' },
        associations: [],
      }),
    );
    expect(String(outcome.body.message)).toContain('INVALID_OPTION');
  });

  it('batch-creates calls with a 207 for the invalid input, then updates and reads them', async () => {
    const created = await harness.client.crm.objects.calls.batchApi.create({
      inputs: [
        {
          properties: { hs_timestamp: '1700000000000', hs_call_status: 'COMPLETED' },
          associations: toContact(contactId),
        },
        { properties: { hs_timestamp: '1700000000000', hs_call_status: 'DONE' }, associations: [] },
      ],
    });
    expect(created.results).toHaveLength(1);
    expect(batchFailures(created).errors[0]?.message).toContain('INVALID_OPTION');
    const callId = created.results[0]?.id ?? '';

    const updated = await harness.client.crm.objects.calls.batchApi.update({
      inputs: [
        { id: callId, properties: { hs_call_body: '<p>summary</p>' } },
        { id: '123456789', properties: { hs_call_body: 'x' } },
      ],
    });
    expect(updated.results[0]?.properties.hs_call_body).toBe('<p>summary</p>');
    expect(batchFailures(updated).errors[0]).toMatchObject({
      category: 'OBJECT_NOT_FOUND',
      context: { ids: ['123456789'] },
    });

    const read = await harness.client.crm.objects.calls.batchApi.read({
      inputs: [{ id: callId }],
      properties: ['hs_call_body', 'hs_call_status'],
      propertiesWithHistory: [],
    });
    expect(read.results[0]?.properties).toMatchObject({ hs_call_body: '<p>summary</p>', hs_call_status: 'COMPLETED' });
  });

  it('finds a call by a custom vendor call key property through search', async () => {
    await harness.client.crm.properties.groupsApi.create('calls', { name: 'ai_calls', label: 'AI calls' });
    await harness.client.crm.properties.coreApi.create('calls', {
      name: 'ai_vendor_call_key',
      label: 'Vendor call key',
      type: PropertyType.String,
      fieldType: FieldType.Text,
      groupName: 'ai_calls',
    });
    const call = await harness.client.crm.objects.calls.basicApi.create({
      properties: { hs_timestamp: '1700000000000', ai_vendor_call_key: 'voicefox:abc-123' },
      associations: [],
    });
    const found = await harness.client.crm.objects.calls.searchApi.doSearch({
      filterGroups: [
        { filters: [{ propertyName: 'ai_vendor_call_key', operator: Operator.Eq, value: 'voicefox:abc-123' }] },
      ],
      properties: ['ai_vendor_call_key'],
      limit: 1,
    });
    expect(found.total).toBe(1);
    expect(found.results[0]?.id).toBe(call.id);
  });

  it('refuses unique-valued custom call properties (unconfirmed in HubSpot, so not offered)', async () => {
    await harness.client.crm.properties.groupsApi.create('calls', { name: 'ai_calls', label: 'AI calls' });
    const refused = await sdkError(
      harness.client.crm.properties.coreApi.create('calls', {
        name: 'ai_vendor_call_key',
        label: 'Vendor call key',
        type: PropertyType.String,
        fieldType: FieldType.Text,
        groupName: 'ai_calls',
        hasUniqueValue: true,
      }),
    );
    expect(refused.code).toBe(400);
  });

  it('lists the six default call outcomes', async () => {
    const response = await harness.request('/calling/v1/dispositions');
    expect(response.status).toBe(200);
    const outcomes = response.body as { id: string; label: string }[];
    expect(outcomes).toHaveLength(6);
    expect(outcomes).toContainEqual(expect.objectContaining({ id: CONNECTED, label: 'Connected' }));
  });
});
