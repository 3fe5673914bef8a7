/** One test (or more) per row of hubspot.md's "Hard limits" table that the other suites do not already cover. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { batchFailures, sdkError, startEmulator, type EmulatorHarness, type RawResponse } from './emulator-harness.js';

type ErrorBody = { status: string; category: string; message: string; correlationId: string };

const options = (count: number, withDisplayOrder = true) =>
  Array.from({ length: count }, (_, index) => ({
    label: `Option ${index}`,
    value: `o${index}`,
    ...(withDisplayOrder ? { displayOrder: index } : {}),
  }));

const enumeration = (name: string, optionList: unknown[]) => ({
  name,
  label: name,
  type: 'enumeration',
  fieldType: 'select',
  groupName: 'ai_calls',
  options: optionList,
});

function expectValidationError(response: RawResponse, ...fragments: string[]): void {
  expect(response.status).toBe(400);
  const body = response.body as ErrorBody;
  expect(body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR', correlationId: expect.any(String) });
  for (const fragment of fragments) expect(body.message).toContain(fragment);
}

describe('HubSpot emulator: hard limits', () => {
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
  });

  const createProperty = (body: unknown, prefix = '/crm/v3/properties') =>
    harness.request(`${prefix}/contacts`, { method: 'POST', body });
  const patchProperty = (name: string, body: unknown, prefix = '/crm/v3/properties') =>
    harness.request(`${prefix}/contacts/${name}`, { method: 'PATCH', body });

  it('allows 5,000 enumeration options and refuses 5,001, on create and on PATCH', async () => {
    expect((await createProperty(enumeration('ai_many', options(5_000)))).status).toBe(201);
    expectValidationError(
      await createProperty(enumeration('ai_too_many', options(5_001))),
      'ai_too_many',
      '5001 options',
      'at most 5000',
    );
    expectValidationError(await patchProperty('ai_many', { options: options(5_001) }), 'ai_many', 'at most 5000');
    const kept = await harness.client.crm.properties.coreApi.getByName('contacts', 'ai_many');
    expect(kept.options).toHaveLength(5_000);
  });

  it('allows 3,000 characters per option (label, value and description together) and refuses more', async () => {
    const option = (label: number, value: number, description: number) => ({
      label: 'L'.repeat(label),
      value: 'v'.repeat(value),
      description: 'd'.repeat(description),
      displayOrder: 0,
    });
    expect((await createProperty(enumeration('ai_long', [option(1_000, 1_000, 1_000)]))).status).toBe(201);
    expectValidationError(
      await createProperty(enumeration('ai_label', [option(3_001, 1, 0)])),
      'ai_label',
      '3002 characters',
      'at most 3000',
    );
    // Each part alone is within 3,000; together they are not (the stricter reading of "including its label, value,
    // and description").
    expectValidationError(
      await createProperty(enumeration('ai_sum', [option(1_500, 1_000, 501)])),
      'ai_sum',
      'at most 3000',
    );
    expectValidationError(
      await patchProperty('ai_long', { options: [option(10, 10, 2_981)] }),
      'ai_long',
      'at most 3000',
    );
  });

  it('requires displayOrder on every option on 2026-09 property paths, and defaults it on v3 and 2026-03', async () => {
    const missing = [
      { label: 'Hot', value: 'hot', displayOrder: 0 },
      { label: 'Cold', value: 'cold' },
    ];
    expectValidationError(
      await createProperty(enumeration('ai_temp', missing), '/crm/properties/2026-09'),
      '"cold"',
      'ai_temp',
      'displayOrder',
    );
    expect((await createProperty(enumeration('ai_temp', options(2)), '/crm/properties/2026-09')).status).toBe(201);
    expectValidationError(
      await patchProperty('ai_temp', { options: missing }, '/crm/properties/2026-09'),
      '"cold"',
      'displayOrder',
    );

    for (const prefix of ['/crm/v3/properties', '/crm/properties/2026-03']) {
      const name = prefix.includes('v3') ? 'ai_v3' : 'ai_march';
      const created = await createProperty(
        enumeration(name, [
          { label: 'A', value: 'a' },
          { label: 'B', value: 'b' },
        ]),
        prefix,
      );
      expect(created.status, prefix).toBe(201);
      expect(
        (created.body as { options: { displayOrder: number }[] }).options.map((entry) => entry.displayOrder),
      ).toEqual([0, 1]);
      const patched = await patchProperty(name, { options: [{ label: 'C', value: 'c' }] }, prefix);
      expect(patched.status, prefix).toBe(200);
    }
  });

  it('caps custom properties per object (customPropertiesPerObject) and reports the cap and usage', async () => {
    harness.emulator.setLimits({ customPropertiesPerObject: 3 });
    const text = (name: string) => ({ name, label: name, type: 'string', fieldType: 'text', groupName: 'ai_calls' });
    for (const name of ['ai_a', 'ai_b', 'ai_c']) expect((await createProperty(text(name))).status).toBe(201);
    const refused = await createProperty(text('ai_d'));
    expectValidationError(refused, 'ai_d', 'limit of 3 custom properties');
    expectValidationError(
      await createProperty(text('ai_e'), '/crm/properties/2026-09'),
      'limit of 3 custom properties',
    );

    // Per object: calls have their own allowance.
    await harness.client.crm.properties.groupsApi.create('calls', { name: 'ai_calls', label: 'AI calls' });
    const call = await harness.request('/crm/v3/properties/calls', { method: 'POST', body: text('ai_call_key') });
    expect(call.status).toBe(201);

    const limits = await harness.request('/crm/limits/2026-09/custom-properties');
    expect(limits.body).toMatchObject({
      byObjectType: [
        { objectTypeId: '0-1', limit: 3, usage: 3, percentage: 100 },
        { objectTypeId: '0-48', limit: 3, usage: 1, percentage: 33.33 },
      ],
      overallLimit: 6,
      overallUsage: 4,
      overallPercentage: 66.67,
    });

    // Set through the control endpoint like the other limits; HubSpot-defined properties never count.
    const raised = await harness.request('/_emulator/limits', {
      method: 'PUT',
      body: { customPropertiesPerObject: 4 },
      token: null,
    });
    expect(raised.body).toMatchObject({ customPropertiesPerObject: 4 });
    expect((await createProperty(text('ai_d'))).status).toBe(201);
    const bad = await harness.request('/_emulator/limits', {
      method: 'PUT',
      body: { customPropertiesPerObject: 2.5 },
      token: null,
    });
    expect(bad.status).toBe(400);
  });

  it('takes customPropertiesPerObject as a start option and defaults it to 1000', async () => {
    expect(harness.emulator.limits.customPropertiesPerObject).toBe(1000);
    const own = await startEmulator({ limits: { customPropertiesPerObject: 0 } });
    try {
      await own.client.crm.properties.groupsApi.create('contacts', { name: 'ai_calls', label: 'AI calls' });
      const refused = await own.request('/crm/v3/properties/contacts', {
        method: 'POST',
        body: { name: 'ai_a', label: 'A', type: 'string', fieldType: 'text', groupName: 'ai_calls' },
      });
      expect(refused.status).toBe(400);
    } finally {
      await own.emulator.close();
    }
  });

  it('allows string values of 65,536 characters and refuses longer ones', async () => {
    const ok = await harness.client.crm.contacts.basicApi.create({
      properties: { jobtitle: 'x'.repeat(65_536) },
      associations: [],
    });
    expect(ok.properties.jobtitle).toHaveLength(65_536);
    const refused = await sdkError(
      harness.client.crm.contacts.basicApi.create({ properties: { jobtitle: 'x'.repeat(65_537) }, associations: [] }),
    );
    expect(refused.code).toBe(400);
    expect(String(refused.body.message)).toContain('INVALID_STRING_LENGTH');
  });

  it('refuses more than 100 inputs in any batch, and duplicate ids in update and read batches', async () => {
    const created = await harness.request('/crm/v3/objects/contacts/batch/create', {
      method: 'POST',
      body: { inputs: Array.from({ length: 101 }, () => ({ properties: {}, associations: [] })) },
    });
    expectValidationError(created, 'at most 100 inputs');
    const hundred = await harness.request('/crm/objects/2026-09/contacts/batch/create', {
      method: 'POST',
      body: { inputs: Array.from({ length: 100 }, () => ({ properties: {}, associations: [] })) },
    });
    expect(hundred.status).toBe(201);

    const id = String(harness.emulator.listObjects('contacts')[0]?.id);
    const update = await harness.request('/crm/v3/objects/contacts/batch/update', {
      method: 'POST',
      body: {
        inputs: [
          { id, properties: { firstname: 'A' } },
          { id, properties: { firstname: 'B' } },
        ],
      },
    });
    expectValidationError(update, 'Duplicate IDs found in batch input');
    expect(harness.emulator.getObject('contacts', id)?.properties.firstname).toBeUndefined();
    const read = await harness.request('/crm/v3/objects/contacts/batch/read', {
      method: 'POST',
      body: { inputs: [{ id }, { id }] },
    });
    expectValidationError(read, 'Duplicate IDs found in batch input');
  });
});

describe('HubSpot emulator: hs_marketable_status writes', () => {
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

  it('refuses a write that sets it by default, like any other invalid property value', async () => {
    expect(harness.emulator.limits.marketableStatusWrites).toBe('refuse');
    const refused = await sdkError(
      harness.client.crm.contacts.basicApi.create({
        properties: { email: 'm@example.com', hs_marketable_status: 'true' },
        associations: [],
      }),
    );
    expect(refused.code).toBe(400);
    expect(refused.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    expect(String(refused.body.message)).toContain('Property values were not valid');
    expect(String(refused.body.message)).toContain('"name":"hs_marketable_status"');
    expect(String(refused.body.message)).toContain('READ_ONLY_VALUE');
    expect(harness.emulator.state.contacts).toBe(0);

    const contact = harness.emulator.seedObject('contacts', { email: 'seeded@example.com' });
    const update = await harness.request(`/crm/objects/2026-09/contacts/${String(contact.id)}`, {
      method: 'PATCH',
      body: { properties: { hs_marketable_status: 'false' } },
    });
    expect(update.status).toBe(400);
  });

  it('fails only the inputs that set it in a batch', async () => {
    const response = await harness.client.crm.contacts.batchApi.upsert({
      inputs: [
        { id: 'a@example.com', idProperty: 'email', objectWriteTraceId: 'a', properties: { firstname: 'A' } },
        {
          id: 'b@example.com',
          idProperty: 'email',
          objectWriteTraceId: 'b',
          properties: { hs_marketable_status: 'false' },
        },
      ],
    });
    expect(response.results.map((result) => result.properties.email)).toEqual(['a@example.com']);
    const [error] = batchFailures(response).errors;
    expect(error).toMatchObject({ category: 'VALIDATION_ERROR', context: { objectWriteTraceId: ['b'] } });
    expect(error?.errors?.[0]).toMatchObject({
      code: 'READ_ONLY_VALUE',
      context: { propertyName: ['hs_marketable_status'] },
    });
  });

  it('accepts the write and does not store the value when set to ignore', async () => {
    const set = await harness.request('/_emulator/limits', {
      method: 'PUT',
      body: { marketableStatusWrites: 'ignore' },
      token: null,
    });
    expect(set.body).toMatchObject({ marketableStatusWrites: 'ignore' });
    const created = await harness.client.crm.contacts.basicApi.create({
      properties: { email: 'm@example.com', hs_marketable_status: 'true' },
      associations: [],
    });
    expect(created.properties.email).toBe('m@example.com');
    expect(created.properties.hs_marketable_status).toBeUndefined();
    expect(harness.emulator.getObject('contacts', created.id)?.properties.hs_marketable_status).toBeUndefined();

    const batch = await harness.request('/crm/v3/objects/contacts/batch/update', {
      method: 'POST',
      body: { inputs: [{ id: created.id, properties: { hs_marketable_status: 'false', firstname: 'M' } }] },
    });
    expect(batch.status).toBe(200);
    expect(harness.emulator.getObject('contacts', created.id)?.properties).toMatchObject({ firstname: 'M' });
    expect(harness.emulator.getObject('contacts', created.id)?.properties.hs_marketable_status).toBeUndefined();

    const typo = await harness.request('/_emulator/limits', {
      method: 'PUT',
      body: { marketableStatusWrites: 'drop' },
      token: null,
    });
    expect(typo.status).toBe(400);
  });

  it('shows the property as read-only in its definition', async () => {
    const definition = await harness.client.crm.properties.coreApi.getByName('contacts', 'hs_marketable_status');
    expect(definition.modificationMetadata?.readOnlyValue).toBe(true);
  });
});
