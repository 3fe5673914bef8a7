import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssociationSpecAssociationCategoryEnum as Category } from '@hubspot/api-client/lib/codegen/crm/objects/calls/index.js';
import { FilterOperatorEnum as Operator } from '@hubspot/api-client/lib/codegen/crm/contacts/index.js';
import {
  PropertyCreateFieldTypeEnum as FieldType,
  PropertyCreateTypeEnum as PropertyType,
} from '@hubspot/api-client/lib/codegen/crm/properties/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHarness } from './emulator-harness.js';

describe('HubSpot emulator: state file', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'hubspot-emulator-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('keeps properties, contacts, calls and associations across a restart', async () => {
    const stateFile = join(directory, 'nested', 'sandbox.json');
    const first = await startEmulator({ stateFile });
    await first.client.crm.properties.groupsApi.create('contacts', { name: 'ai_calls', label: 'AI calls' });
    await first.client.crm.properties.coreApi.create('contacts', {
      name: 'ai_phone_e164',
      label: 'Phone (E.164)',
      type: PropertyType.String,
      fieldType: FieldType.Text,
      groupName: 'ai_calls',
      hasUniqueValue: true,
    });
    const upserted = await first.client.crm.contacts.batchApi.upsert({
      inputs: [{ id: '+8617534989887', idProperty: 'ai_phone_e164', properties: { phone: '+86 175 3498 9887' } }],
    });
    const contactId = upserted.results[0]?.id ?? '';
    const call = await first.client.crm.objects.calls.basicApi.create({
      properties: { hs_timestamp: '1700000000000' },
      associations: [
        { to: { id: contactId }, types: [{ associationCategory: Category.HubspotDefined, associationTypeId: 194 }] },
      ],
    });
    await first.emulator.close();
    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { version: number };
    expect(saved.version).toBe(1);

    const second = await startEmulator({ stateFile });
    try {
      const again = await second.client.crm.contacts.batchApi.upsert({
        inputs: [{ id: '+8617534989887', idProperty: 'ai_phone_e164', properties: { firstname: 'Li' } }],
      });
      expect(again.results[0]).toMatchObject({ id: contactId, _new: false });
      const read = await second.client.crm.objects.calls.basicApi.getById(call.id, undefined, undefined, ['contacts']);
      expect(read.associations?.contacts?.results[0]?.id).toBe(contactId);
      const found = await second.client.crm.contacts.searchApi.doSearch({
        filterGroups: [
          {
            filters: [
              { propertyName: 'hs_searchable_calculated_phone_number', operator: Operator.Eq, value: '17534989887' },
            ],
          },
        ],
      });
      expect(found.results.map((result) => result.id)).toEqual([contactId]);
      const created = await second.client.crm.contacts.basicApi.create({
        properties: { email: 'new@example.com' },
        associations: [],
      });
      expect(Number(created.id)).toBeGreaterThan(Number(call.id));
    } finally {
      await second.emulator.close();
    }
  });

  it('saves in the background shortly after a write, without waiting for close', async () => {
    const stateFile = join(directory, 'sandbox.json');
    const harness = await startEmulator({ stateFile, saveDebounceMs: 20 });
    try {
      await harness.client.crm.contacts.basicApi.create({ properties: { email: 'bg@example.com' }, associations: [] });
      let text = '';
      for (let attempt = 0; attempt < 100 && !text.includes('bg@example.com'); attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        text = await readFile(stateFile, 'utf8').catch(() => '');
      }
      expect(text).toContain('bg@example.com');
    } finally {
      await harness.emulator.close();
    }
  });
});

describe('HubSpot emulator: /_emulator controls', () => {
  let harness: EmulatorHarness;

  beforeEach(async () => {
    harness = await startEmulator({ requestLogCapacity: 3 });
  });
  afterEach(async () => {
    await harness.emulator.close();
  });

  it('reports counts, objects and per-endpoint counters in GET /_emulator/state', async () => {
    await harness.client.crm.contacts.basicApi.create({ properties: { email: 'a@example.com' }, associations: [] });
    await harness.request('/crm/v3/objects/contacts/999');
    const state = await harness.request('/_emulator/state', { token: null });
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({
      contacts: 1,
      calls: 0,
      objects: { contacts: [{ properties: { email: 'a@example.com' } }], calls: [] },
      requests: {
        total: 2,
        byStatus: { '201': 1, '404': 1 },
        byEndpoint: {
          'POST /crm/v3/objects/contacts': { total: 1 },
          'GET /crm/v3/objects/contacts/{id}': { total: 1, byStatus: { '404': 1 } },
        },
      },
    });
    const lean = await harness.request('/_emulator/state?objects=false', { token: null });
    expect((lean.body as Record<string, unknown>).objects).toBeUndefined();
  });

  it('keeps only the most recent requests in the log', async () => {
    for (let index = 0; index < 5; index += 1) await harness.request(`/crm/v3/objects/contacts?limit=${index + 1}`);
    await harness.request('/crm/v3/objects/calls');
    const log = await harness.request('/_emulator/requests', { token: null });
    const results = (log.body as { results: { method: string; path: string; status: number; time: number }[] }).results;
    expect(results).toHaveLength(3);
    expect(results.at(-1)).toMatchObject({ method: 'GET', path: '/crm/v3/objects/calls', status: 200 });
    expect(harness.emulator.counters.total).toBe(6);
  });

  it('resets objects, counters, faults and custom properties', async () => {
    await harness.client.crm.properties.groupsApi.create('contacts', { name: 'ai_calls', label: 'AI calls' });
    harness.emulator.seedObject('contacts', { email: 'seeded@example.com' });
    harness.emulator.setFaults({ mode: 'status', status: 500 });
    const reset = await harness.request('/_emulator/reset', { method: 'POST', token: null });
    expect(reset.status).toBe(200);
    const state = harness.emulator.state;
    expect(state).toMatchObject({
      contacts: 0,
      calls: 0,
      requests: { total: 0 },
      faults: { config: { mode: 'none' } },
    });
    const groups = await harness.client.crm.properties.groupsApi.getAll('contacts');
    expect(groups.results.map((group) => group.name)).not.toContain('ai_calls');
  });

  it('seeds objects that search sees at once, whatever the lag', async () => {
    harness.emulator.setLimits({ searchLagMs: 60_000 });
    const seeded = await harness.request('/_emulator/objects/contacts', {
      method: 'POST',
      body: { properties: { phone: '(415) 555-0100' } },
      token: null,
    });
    expect(seeded.status).toBe(201);
    const found = await harness.client.crm.contacts.searchApi.doSearch({
      filterGroups: [
        {
          filters: [
            { propertyName: 'hs_searchable_calculated_phone_number', operator: Operator.Eq, value: '4155550100' },
          ],
        },
      ],
    });
    expect(found.total).toBe(1);
  });

  it('answers 400 with a reason for a bad control body', async () => {
    const bad = await harness.request('/_emulator/faults', { method: 'PUT', body: { mode: 'explode' }, token: null });
    expect(bad.status).toBe(400);
    expect((bad.body as { error: string }).error).toContain('faults.mode');
  });
});
