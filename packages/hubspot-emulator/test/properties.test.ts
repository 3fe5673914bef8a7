import {
  PropertyCreateFieldTypeEnum as FieldType,
  PropertyCreateTypeEnum as PropertyType,
} from '@hubspot/api-client/lib/codegen/crm/properties/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sdkError, startEmulator, type EmulatorHarness } from './emulator-harness.js';

describe('HubSpot emulator: properties and groups', () => {
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

  const createGroup = () =>
    harness.client.crm.properties.groupsApi.create('contacts', {
      name: 'ai_calls',
      label: 'AI calls',
      displayOrder: 1,
    });

  const uniqueTextProperty = (name: string) => ({
    name,
    label: name,
    type: PropertyType.String,
    fieldType: FieldType.Text,
    groupName: 'ai_calls',
    hasUniqueValue: true,
  });

  it('creates a group and a unique text property, and reads them back', async () => {
    const group = await createGroup();
    expect(group).toMatchObject({ name: 'ai_calls', label: 'AI calls', archived: false });

    const created = await harness.client.crm.properties.coreApi.create('contacts', uniqueTextProperty('ai_phone_e164'));
    expect(created).toMatchObject({ name: 'ai_phone_e164', type: 'string', fieldType: 'text', hasUniqueValue: true });

    const read = await harness.client.crm.properties.coreApi.getByName('contacts', 'ai_phone_e164');
    expect(read.hasUniqueValue).toBe(true);
    expect(read.groupName).toBe('ai_calls');

    const groups = await harness.client.crm.properties.groupsApi.getAll('contacts');
    expect(groups.results.map((entry) => entry.name)).toContain('ai_calls');
  });

  it('answers 409 CONFLICT for an existing property or group name', async () => {
    await createGroup();
    const groupConflict = await sdkError(createGroup());
    expect(groupConflict.code).toBe(409);
    expect(groupConflict.body.category).toBe('CONFLICT');

    await harness.client.crm.properties.coreApi.create('contacts', uniqueTextProperty('ai_key'));
    const conflict = await sdkError(
      harness.client.crm.properties.coreApi.create('contacts', uniqueTextProperty('ai_key')),
    );
    expect(conflict.code).toBe(409);
    expect(conflict.body).toMatchObject({
      status: 'error',
      category: 'CONFLICT',
      message: "Property named 'ai_key' already exists.",
    });
    expect(typeof conflict.body.correlationId).toBe('string');
  });

  it('refuses an eleventh unique-valued property on contacts', async () => {
    await createGroup();
    for (let index = 1; index <= 10; index += 1) {
      await harness.client.crm.properties.coreApi.create('contacts', uniqueTextProperty(`ai_unique_${index}`));
    }
    const refused = await sdkError(
      harness.client.crm.properties.coreApi.create('contacts', uniqueTextProperty('ai_unique_11')),
    );
    expect(refused.code).toBe(400);
    expect(refused.body.category).toBe('VALIDATION_ERROR');
    expect(String(refused.body.message)).toContain('10');
    await expect(harness.client.crm.properties.coreApi.getByName('contacts', 'ai_unique_11')).rejects.toMatchObject({
      code: 404,
    });
  });

  it('refuses a type/fieldType pair HubSpot does not allow', async () => {
    await createGroup();
    const refused = await sdkError(
      harness.client.crm.properties.coreApi.create('contacts', {
        name: 'ai_score',
        label: 'Score',
        type: PropertyType.Number,
        fieldType: FieldType.Text,
        groupName: 'ai_calls',
      }),
    );
    expect(refused.code).toBe(400);
    expect(refused.body.category).toBe('VALIDATION_ERROR');
    expect(String(refused.body.message)).toContain('fieldType text');
  });

  it('refuses a property in a group that does not exist', async () => {
    const refused = await sdkError(
      harness.client.crm.properties.coreApi.create('contacts', uniqueTextProperty('ai_orphan')),
    );
    expect(refused.code).toBe(400);
  });

  it('keeps hasUniqueValue fixed after creation and replaces enumeration options as a whole on PATCH', async () => {
    await createGroup();
    await harness.client.crm.properties.coreApi.create('contacts', uniqueTextProperty('ai_key'));
    // The SDK's PropertyUpdate has no hasUniqueValue (HubSpot does not allow changing it), so send it raw.
    const uniqueChange = await harness.request('/crm/v3/properties/contacts/ai_key', {
      method: 'PATCH',
      body: { hasUniqueValue: false },
    });
    expect(uniqueChange.status).toBe(400);
    expect(uniqueChange.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });

    await harness.client.crm.properties.coreApi.create('contacts', {
      name: 'ai_tags',
      label: 'Tags',
      type: PropertyType.Enumeration,
      fieldType: FieldType.Checkbox,
      groupName: 'ai_calls',
      options: [
        { label: 'Hot', value: 'hot', displayOrder: 0, hidden: false },
        { label: 'Cold', value: 'cold', displayOrder: 1, hidden: false },
      ],
    });
    const updated = await harness.client.crm.properties.coreApi.update('contacts', 'ai_tags', {
      options: [{ label: 'Warm', value: 'warm', displayOrder: 0, hidden: false }],
    });
    expect(updated.options.map((option) => option.value)).toEqual(['warm']);
  });

  it('updates a property group (PATCH), needing the schemas write scope; an empty update changes nothing', async () => {
    const before = await harness.request('/crm/properties/2026-09/contacts/groups/contactinformation');
    const same = await harness.request('/crm/properties/2026-09/contacts/groups/contactinformation', {
      method: 'PATCH',
      body: {},
    });
    expect(same).toMatchObject({ status: 200, body: before.body });
    const renamed = await harness.request('/crm/v3/properties/contacts/groups/contactinformation', {
      method: 'PATCH',
      body: { label: 'Contact info' },
    });
    expect(renamed.body).toMatchObject({ name: 'contactinformation', label: 'Contact info' });
    expect(
      (await harness.request('/crm/v3/properties/contacts/groups/no_such_group', { method: 'PATCH', body: {} })).status,
    ).toBe(404);
    harness.emulator.setAuth({ missingScopes: ['crm.schemas.contacts.write'] });
    expect(
      (await harness.request('/crm/v3/properties/contacts/groups/contactinformation', { method: 'PATCH', body: {} }))
        .status,
    ).toBe(403);
  });

  it("archives a custom property (DELETE), after which a write naming it is refused, and refuses to archive HubSpot's own", async () => {
    await harness.client.crm.properties.coreApi.create('calls', {
      name: 'ai_note',
      label: 'Note',
      type: PropertyType.String,
      fieldType: FieldType.Text,
      groupName: 'callinformation',
    });
    expect((await harness.request('/crm/properties/2026-09/calls/ai_note', { method: 'DELETE' })).status).toBe(204);
    expect((await harness.request('/crm/v3/properties/calls/ai_note')).status).toBe(404);
    const write = await harness.request('/crm/v3/objects/calls', {
      method: 'POST',
      body: { properties: { hs_timestamp: '2025-09-25T13:39:55Z', ai_note: 'x' }, associations: [] },
    });
    expect(write.status).toBe(400);
    expect(JSON.stringify(write.body)).toContain('PROPERTY_DOESNT_EXIST');
    expect((await harness.request('/crm/v3/properties/calls/hs_call_title', { method: 'DELETE' })).status).toBe(400);
    expect((await harness.request('/crm/v3/properties/calls/no_such_property', { method: 'DELETE' })).status).toBe(404);
  });

  it('seeds the built-in contact and call properties the connector relies on', async () => {
    const contactProperties = await harness.client.crm.properties.coreApi.getAll('contacts');
    const byName = new Map(contactProperties.results.map((property) => [property.name, property]));
    expect(byName.get('email')?.hasUniqueValue).toBe(true);
    expect(byName.get('hs_searchable_calculated_phone_number')?.calculated).toBe(true);
    expect(byName.get('lifecyclestage')?.type).toBe('enumeration');

    const status = await harness.client.crm.properties.coreApi.getByName('calls', 'hs_call_status');
    expect(status.options.map((option) => option.value)).toEqual([
      'BUSY',
      'CALLING_CRM_USER',
      'CANCELED',
      'COMPLETED',
      'CONNECTING',
      'FAILED',
      'IN_PROGRESS',
      'NO_ANSWER',
      'QUEUED',
      'RINGING',
    ]);
    const duration = await harness.client.crm.properties.coreApi.getByName('calls', 'hs_call_duration');
    expect(duration.type).toBe('number');
  });
});
