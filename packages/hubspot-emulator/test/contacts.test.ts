import {
  PropertyCreateFieldTypeEnum as FieldType,
  PropertyCreateTypeEnum as PropertyType,
} from '@hubspot/api-client/lib/codegen/crm/properties/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { batchFailures, sdkError, startEmulator, type EmulatorHarness } from './emulator-harness.js';

describe('HubSpot emulator: contacts', () => {
  let harness: EmulatorHarness;

  beforeAll(async () => {
    harness = await startEmulator();
  });
  afterAll(async () => {
    await harness.emulator.close();
  });
  beforeEach(async () => {
    harness.emulator.reset();
    await harness.client.crm.properties.groupsApi.create('contacts', { name: 'ai_calls', label: 'AI calls' });
    await harness.client.crm.properties.coreApi.create('contacts', {
      name: 'ai_phone_e164',
      label: 'Phone (E.164)',
      type: PropertyType.String,
      fieldType: FieldType.Text,
      groupName: 'ai_calls',
      hasUniqueValue: true,
    });
    await harness.client.crm.properties.coreApi.create('contacts', {
      name: 'ai_intention',
      label: 'Intention level',
      type: PropertyType.Enumeration,
      fieldType: FieldType.Select,
      groupName: 'ai_calls',
      options: [
        { label: 'A', value: 'A', displayOrder: 0, hidden: false },
        { label: 'B', value: 'B', displayOrder: 1, hidden: false },
      ],
    });
    await harness.client.crm.properties.coreApi.create('contacts', {
      name: 'ai_tags',
      label: 'Tags',
      type: PropertyType.Enumeration,
      fieldType: FieldType.Checkbox,
      groupName: 'ai_calls',
      options: ['vip', 'callback', 'angry'].map((value, displayOrder) => ({
        label: value,
        value,
        displayOrder,
        hidden: false,
      })),
    });
  });

  it('upserts by a unique custom property and reports which inputs were created', async () => {
    const first = await harness.client.crm.contacts.batchApi.upsert({
      inputs: [
        {
          id: '+8617534989887',
          idProperty: 'ai_phone_e164',
          properties: { firstname: 'Li', phone: '+86 175-3498-9887' },
        },
        { id: '+14155550100', idProperty: 'ai_phone_e164', properties: { firstname: 'Ann' } },
      ],
    });
    expect(first.results.map((result) => [result.properties.ai_phone_e164, result._new])).toEqual([
      ['+8617534989887', true],
      ['+14155550100', true],
    ]);

    const second = await harness.client.crm.contacts.batchApi.upsert({
      inputs: [
        { id: '+8617534989887', idProperty: 'ai_phone_e164', properties: { lastname: 'Wei' } },
        { id: '+4930123456', idProperty: 'ai_phone_e164', properties: { firstname: 'Jonas' } },
      ],
    });
    const [updated, created] = second.results;
    expect(updated?._new).toBe(false);
    expect(updated?.id).toBe(first.results[0]?.id);
    expect(updated?.properties).toMatchObject({ firstname: 'Li', lastname: 'Wei' });
    expect(created?._new).toBe(true);
    expect(harness.emulator.state.contacts).toBe(3);
  });

  it('fails the whole upsert with 400 when the same id appears twice', async () => {
    const refused = await sdkError(
      harness.client.crm.contacts.batchApi.upsert({
        inputs: [
          { id: '+8617534989887', idProperty: 'ai_phone_e164', properties: { firstname: 'A' } },
          { id: '+8617534989887', idProperty: 'ai_phone_e164', properties: { firstname: 'B' } },
        ],
      }),
    );
    expect(refused.code).toBe(400);
    expect(refused.body.category).toBe('VALIDATION_ERROR');
    expect(String(refused.body.message)).toContain('Duplicate IDs found in batch input');
    expect(harness.emulator.state.contacts).toBe(0);
  });

  it('refuses an upsert keyed by a non-unique property such as phone', async () => {
    const refused = await sdkError(
      harness.client.crm.contacts.batchApi.upsert({
        inputs: [{ id: '+8617534989887', idProperty: 'phone', properties: { firstname: 'A' } }],
      }),
    );
    expect(refused.code).toBe(400);
    expect(String(refused.body.message)).toContain('non-unique property');
  });

  it('refuses more than 100 inputs in one batch', async () => {
    const inputs = Array.from({ length: 101 }, (_, index) => ({
      id: `+1415555${String(index).padStart(4, '0')}`,
      idProperty: 'ai_phone_e164',
      properties: {},
    }));
    const refused = await sdkError(harness.client.crm.contacts.batchApi.upsert({ inputs }));
    expect(refused.code).toBe(400);
    expect(harness.emulator.state.contacts).toBe(0);
  });

  it('answers 207 with INVALID_OPTION for one input while the others are written', async () => {
    const response = await harness.client.crm.contacts.batchApi.upsert({
      inputs: [
        {
          id: '+8610000000001',
          idProperty: 'ai_phone_e164',
          objectWriteTraceId: 'trace-1',
          properties: { ai_intention: 'A' },
        },
        {
          id: '+8610000000002',
          idProperty: 'ai_phone_e164',
          objectWriteTraceId: 'trace-2',
          properties: { ai_intention: 'Z' },
        },
        {
          id: '+8610000000003',
          idProperty: 'ai_phone_e164',
          objectWriteTraceId: 'trace-3',
          properties: { ai_intention: 'B' },
        },
      ],
    });
    expect(response.status).toBe('COMPLETE');
    expect(response.results.map((result) => result.properties.ai_phone_e164)).toEqual([
      '+8610000000001',
      '+8610000000003',
    ]);
    const failures = batchFailures(response);
    expect(failures.numErrors).toBe(1);
    const [error] = failures.errors;
    expect(error?.category).toBe('VALIDATION_ERROR');
    expect(error?.context.objectWriteTraceId).toEqual(['trace-2']);
    expect(error?.message).toContain('Property values were not valid');
    expect(error?.message).toContain('INVALID_OPTION');
    expect(error?.errors?.[0]).toMatchObject({ code: 'INVALID_OPTION', context: { propertyName: ['ai_intention'] } });
    expect(harness.emulator.state.contacts).toBe(2);
  });

  it('answers the raw 207 status for a partial failure', async () => {
    const response = await harness.request('/crm/v3/objects/contacts/batch/create', {
      method: 'POST',
      body: {
        inputs: [
          { properties: { email: 'ok@example.com' }, objectWriteTraceId: 'a' },
          { properties: { email: 'bad@example.com', ai_intention: 'nope' }, objectWriteTraceId: 'b' },
        ],
      },
    });
    expect(response.status).toBe(207);
    expect(response.body).toMatchObject({
      status: 'COMPLETE',
      numErrors: 1,
      errors: [{ status: 'error', context: { objectWriteTraceId: ['b'] } }],
    });
  });

  it('refuses an unknown property with HubSpot’s PROPERTY_DOESNT_EXIST message', async () => {
    const refused = await sdkError(
      harness.client.crm.contacts.basicApi.create({
        properties: { email: 'x@example.com', favourite_colour: 'blue' },
        associations: [],
      }),
    );
    expect(refused.code).toBe(400);
    expect(refused.body).toMatchObject({
      status: 'error',
      category: 'VALIDATION_ERROR',
      message:
        'Property values were not valid: [{"isValid":false,"message":"Property \\"favourite_colour\\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"favourite_colour"}]',
    });
  });

  it('refuses a non-number for a number property and writes to calculated properties', async () => {
    const calls = await sdkError(
      harness.client.crm.objects.calls.basicApi.create({
        properties: { hs_timestamp: '1700000000000', hs_call_duration: 'ten minutes' },
        associations: [],
      }),
    );
    expect(calls.code).toBe(400);
    expect(String(calls.body.message)).toContain('INVALID_INTEGER');

    const readOnly = await sdkError(
      harness.client.crm.contacts.basicApi.create({
        properties: { hs_searchable_calculated_phone_number: '123' },
        associations: [],
      }),
    );
    expect(readOnly.code).toBe(400);
    expect(String(readOnly.body.message)).toContain('READ_ONLY_VALUE');
  });

  it('answers 409 with the existing id when a single create collides on a unique value', async () => {
    const existing = await harness.client.crm.contacts.basicApi.create({
      properties: { email: 'Li@Example.com' },
      associations: [],
    });
    expect(existing.properties.email).toBe('li@example.com');
    const conflict = await sdkError(
      harness.client.crm.contacts.basicApi.create({ properties: { email: 'li@example.com' }, associations: [] }),
    );
    expect(conflict.code).toBe(409);
    expect(conflict.body).toMatchObject({
      category: 'CONFLICT',
      message: `Contact already exists. Existing ID: ${existing.id}`,
    });
  });

  it('appends multi-select values given with a leading semicolon', async () => {
    const contact = await harness.client.crm.contacts.basicApi.create({
      properties: { ai_tags: 'vip' },
      associations: [],
    });
    const appended = await harness.client.crm.contacts.basicApi.update(contact.id, {
      properties: { ai_tags: ';callback' },
    });
    expect(appended.properties.ai_tags).toBe('vip;callback');
    const replaced = await harness.client.crm.contacts.basicApi.update(contact.id, {
      properties: { ai_tags: 'angry' },
    });
    expect(replaced.properties.ai_tags).toBe('angry');
    const invalid = await sdkError(
      harness.client.crm.contacts.basicApi.update(contact.id, { properties: { ai_tags: ';vip;unknown' } }),
    );
    expect(String(invalid.body.message)).toContain('INVALID_OPTION');
  });

  it('derives the searchable phone numbers without the country code', async () => {
    const contact = await harness.client.crm.contacts.basicApi.create({
      properties: { phone: '+86 175-3498-9887', mobilephone: '+1 (415) 555-0100' },
      associations: [],
    });
    expect(contact.properties.hs_searchable_calculated_phone_number).toBe('17534989887');
    expect(contact.properties.hs_searchable_calculated_mobile_number).toBe('4155550100');
    const national = await harness.client.crm.contacts.basicApi.update(contact.id, {
      properties: { phone: '175 3498 9887' },
    });
    expect(national.properties.hs_searchable_calculated_phone_number).toBe('17534989887');
  });

  it('reads a contact by id or by a unique idProperty, with requested properties', async () => {
    const contact = await harness.client.crm.contacts.basicApi.create({
      properties: { email: 'ann@example.com', ai_phone_e164: '+14155550100', firstname: 'Ann' },
      associations: [],
    });
    const byId = await harness.client.crm.contacts.basicApi.getById(contact.id, ['firstname', 'city']);
    expect(byId.properties).toMatchObject({ firstname: 'Ann', city: null, hs_object_id: contact.id });
    const byKey = await harness.client.crm.contacts.basicApi.getById(
      '+14155550100',
      ['email'],
      undefined,
      undefined,
      false,
      'ai_phone_e164',
    );
    expect(byKey.id).toBe(contact.id);
    const missing = await sdkError(harness.client.crm.contacts.basicApi.getById('999999'));
    expect(missing.code).toBe(404);
    expect(missing.body.category).toBe('OBJECT_NOT_FOUND');
  });

  it('pages through contacts with limit and after', async () => {
    await harness.client.crm.contacts.batchApi.create({
      inputs: Array.from({ length: 5 }, (_, index) => ({
        properties: { email: `p${index}@example.com` },
        associations: [],
      })),
    });
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page += 1) {
      const response = await harness.client.crm.contacts.basicApi.getPage(2, after, ['email']);
      seen.push(...response.results.map((result) => result.properties.email ?? ''));
      after = response.paging?.next?.after;
      if (!after) break;
    }
    expect(seen).toEqual(['p0@example.com', 'p1@example.com', 'p2@example.com', 'p3@example.com', 'p4@example.com']);
  });

  it('reports missing ids of a batch read in one OBJECT_NOT_FOUND error', async () => {
    const contact = await harness.client.crm.contacts.basicApi.create({
      properties: { email: 'r@example.com' },
      associations: [],
    });
    const response = await harness.client.crm.contacts.batchApi.read({
      inputs: [{ id: contact.id }, { id: '424242' }],
      properties: ['email'],
      propertiesWithHistory: [],
    });
    expect(response.results.map((result) => result.id)).toEqual([contact.id]);
    expect(batchFailures(response).errors[0]).toMatchObject({
      category: 'OBJECT_NOT_FOUND',
      context: { ids: ['424242'] },
    });
  });
});
