import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHarness } from './emulator-harness.js';

const RULES = { contacts: { required: ['lead_source'] }, calls: { required: ['hs_call_title'] } };

describe('HubSpot emulator: portal validation rules (enforced from 2026-09)', () => {
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
    await harness.request('/crm/v3/properties/contacts', {
      method: 'POST',
      body: { name: 'lead_source', label: 'Lead source', type: 'string', fieldType: 'text', groupName: 'ai_calls' },
    });
    const set = await harness.request('/_emulator/validation-rules', { method: 'PUT', body: RULES, token: null });
    expect(set.status).toBe(200);
  });

  it('reads the rules back, and reset clears them', async () => {
    expect((await harness.request('/_emulator/validation-rules', { token: null })).body).toEqual(RULES);
    expect(harness.emulator.validationRules()).toEqual(RULES);
    harness.emulator.reset({ keepProperties: true });
    expect(harness.emulator.validationRules()).toEqual({ contacts: { required: [] }, calls: { required: [] } });
  });

  it('refuses rules naming unknown properties or object types, or of the wrong shape', async () => {
    for (const body of [
      { contacts: { required: ['no_such_property'] } },
      { deals: { required: ['dealname'] } },
      { contacts: { required: 'lead_source' } },
      { contacts: { optional: ['lead_source'] } },
      ['lead_source'],
    ]) {
      const refused = await harness.request('/_emulator/validation-rules', { method: 'PUT', body, token: null });
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect((refused.body as { error: string }).error).toContain('validation-rules');
    }
    expect(() => harness.emulator.setValidationRules({ contacts: { required: ['nope'] } })).toThrow('does not exist');
    // A refused update leaves the rules as they were.
    expect(harness.emulator.validationRules()).toEqual(RULES);
  });

  it('refuses a 2026-09 single create that lacks a required property, naming it', async () => {
    const refused = await harness.request('/crm/objects/2026-09/contacts', {
      method: 'POST',
      body: { properties: { email: 'a@example.com' }, associations: [] },
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      status: 'error',
      category: 'VALIDATION_ERROR',
      correlationId: expect.any(String),
      context: { propertyName: ['lead_source'] },
    });
    const message = (refused.body as { message: string }).message;
    expect(message).toContain('Property values were not valid');
    expect(message).toContain('"error":"REQUIRED_PROPERTY","name":"lead_source"');
    expect(harness.emulator.state.contacts).toBe(0);

    const ok = await harness.request('/crm/objects/2026-09/contacts', {
      method: 'POST',
      body: { properties: { email: 'a@example.com', lead_source: 'AI call' }, associations: [] },
    });
    expect(ok.status).toBe(201);
  });

  it('does not check v3 or 2026-03 creates, nor 2026-09 updates', async () => {
    for (const path of ['/crm/v3/objects/contacts', '/crm/objects/2026-03/contacts']) {
      const created = await harness.request(path, {
        method: 'POST',
        body: { properties: { firstname: path }, associations: [] },
      });
      expect(created.status, path).toBe(201);
    }
    const calls = await harness.request('/crm/v3/objects/calls', {
      method: 'POST',
      body: { properties: { hs_timestamp: '1700000000000' }, associations: [] },
    });
    expect(calls.status).toBe(201);
    const batch = await harness.request('/crm/objects/2026-03/calls/batch/create', {
      method: 'POST',
      body: { inputs: [{ properties: { hs_timestamp: '1700000000000' }, associations: [] }] },
    });
    expect(batch.status).toBe(201);
    expect(batch.body).not.toHaveProperty('errors');

    const id = harness.emulator.listObjects('contacts')[0]?.id ?? '';
    const patched = await harness.request(`/crm/objects/2026-09/contacts/${id}`, {
      method: 'PATCH',
      body: { properties: { lastname: 'X' } },
    });
    expect(patched.status).toBe(200);
    const batchUpdate = await harness.request('/crm/objects/2026-09/contacts/batch/update', {
      method: 'POST',
      body: { inputs: [{ id, properties: { lastname: 'Y' } }] },
    });
    expect(batchUpdate.status).toBe(200);
    expect(batchUpdate.body).not.toHaveProperty('errors');
  });

  it('fails only the creating inputs without the property in 2026-09 batches, with their trace ids', async () => {
    const created = await harness.request('/crm/objects/2026-09/calls/batch/create', {
      method: 'POST',
      body: {
        inputs: [
          {
            properties: { hs_timestamp: '1700000000000', hs_call_title: 'ok' },
            associations: [],
            objectWriteTraceId: 't1',
          },
          { properties: { hs_timestamp: '1700000000000' }, associations: [], objectWriteTraceId: 't2' },
        ],
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      results: [{ objectWriteTraceId: 't1' }],
      numErrors: 1,
      errors: [
        {
          status: 'error',
          category: 'VALIDATION_ERROR',
          context: { propertyName: ['hs_call_title'], objectWriteTraceId: ['t2'] },
          errors: [{ code: 'REQUIRED_PROPERTY', context: { propertyName: ['hs_call_title'] } }],
        },
      ],
    });

    harness.emulator.seedObject('contacts', { email: 'known@example.com' });
    const upserted = await harness.request('/crm/objects/2026-09/contacts/batch/upsert', {
      method: 'POST',
      body: {
        inputs: [
          // Updates an existing contact: not a create, so not checked.
          { id: 'known@example.com', idProperty: 'email', properties: { firstname: 'K' }, objectWriteTraceId: 'u1' },
          // Would create without lead_source: refused.
          { id: 'new@example.com', idProperty: 'email', properties: { firstname: 'N' }, objectWriteTraceId: 'u2' },
          { id: 'fine@example.com', idProperty: 'email', properties: { lead_source: 'AI' }, objectWriteTraceId: 'u3' },
        ],
      },
    });
    expect(upserted.status).toBe(200);
    expect(upserted.body).toMatchObject({
      results: [
        { objectWriteTraceId: 'u1', new: false },
        { objectWriteTraceId: 'u3', new: true },
      ],
      numErrors: 1,
      errors: [{ context: { propertyName: ['lead_source'], objectWriteTraceId: ['u2'], ids: ['new@example.com'] } }],
    });
    expect(harness.emulator.state.contacts).toBe(2);
  });
});
