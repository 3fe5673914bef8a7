import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHarness } from './emulator-harness.js';

interface LoggedRequest {
  method: string;
  path: string;
  endpoint: string;
  apiVersion: string;
  status: number;
}

describe('HubSpot emulator: dated API paths', () => {
  let harness: EmulatorHarness;

  beforeAll(async () => {
    harness = await startEmulator({ portalId: 48_151_623, limits: { searchPerSecond: 1000 } });
  });
  afterAll(async () => {
    await harness.emulator.close();
  });
  beforeEach(() => {
    harness.emulator.reset();
  });

  const lastLogged = () => harness.emulator.requestLog.at(-1) as LoggedRequest;

  for (const version of ['2026-03', '2026-09']) {
    it(`serves objects, batches, search and properties at the ${version} paths, sharing state with v3`, async () => {
      const created = await harness.request(`/crm/objects/${version}/contacts`, {
        method: 'POST',
        body: { properties: { email: `dated-${version}@example.com`, firstname: 'Dated' }, associations: [] },
      });
      expect(created.status).toBe(201);
      const id = (created.body as { id: string }).id;
      expect(lastLogged()).toMatchObject({ apiVersion: version, endpoint: `POST /crm/objects/${version}/contacts` });

      // One portal behind both path families.
      const viaV3 = await harness.client.crm.contacts.basicApi.getById(id, ['firstname']);
      expect(viaV3.properties.firstname).toBe('Dated');
      expect(lastLogged()).toMatchObject({ apiVersion: 'v3', endpoint: 'GET /crm/v3/objects/contacts/{id}' });

      const read = await harness.request(`/crm/objects/${version}/contacts/${id}?properties=email`);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ id, properties: { email: `dated-${version}@example.com` } });

      const patched = await harness.request(`/crm/objects/${version}/contacts/${id}`, {
        method: 'PATCH',
        body: { properties: { lastname: 'Path' } },
      });
      expect(patched.body).toMatchObject({ properties: { lastname: 'Path' } });

      const search = await harness.request(`/crm/objects/${version}/contacts/search`, {
        method: 'POST',
        body: { filterGroups: [{ filters: [{ propertyName: 'lastname', operator: 'EQ', value: 'Path' }] }] },
      });
      expect(search.body).toMatchObject({ total: 1, results: [{ id }] });
      expect(lastLogged()).toMatchObject({
        apiVersion: version,
        endpoint: `POST /crm/objects/${version}/contacts/search`,
      });

      const batch = await harness.request(`/crm/objects/${version}/contacts/batch/read`, {
        method: 'POST',
        body: { inputs: [{ id }], properties: ['lastname'] },
      });
      expect(batch.status).toBe(200);
      expect(batch.body).toMatchObject({ results: [{ id, properties: { lastname: 'Path' } }] });

      const group = await harness.request(`/crm/properties/${version}/contacts/groups`, {
        method: 'POST',
        body: { name: 'ai_calls', label: 'AI calls' },
      });
      expect(group.status).toBe(201);
      const property = await harness.request(`/crm/properties/${version}/contacts`, {
        method: 'POST',
        body: { name: 'ai_key', label: 'Key', type: 'string', fieldType: 'text', groupName: 'ai_calls' },
      });
      expect(property.status).toBe(201);
      expect(lastLogged()).toMatchObject({ apiVersion: version, endpoint: `POST /crm/properties/${version}/contacts` });
      const readProperty = await harness.request(`/crm/properties/${version}/contacts/ai_key`);
      expect(readProperty.body).toMatchObject({ name: 'ai_key', type: 'string' });
      expect(lastLogged().endpoint).toBe(`GET /crm/properties/${version}/contacts/{propertyName}`);
      const groups = await harness.request(`/crm/properties/${version}/contacts/groups`);
      expect((groups.body as { results: { name: string }[] }).results.map((entry) => entry.name)).toContain('ai_calls');

      const deleted = await harness.request(`/crm/objects/${version}/contacts/${id}`, { method: 'DELETE' });
      expect(deleted.status).toBe(204);
      expect(harness.emulator.state.contacts).toBe(0);
    });
  }

  it('gives list paging links in the form the client used', async () => {
    for (let index = 0; index < 3; index += 1) harness.emulator.seedObject('contacts', { firstname: `p${index}` });
    const page = await harness.request('/crm/objects/2026-09/contacts?limit=2');
    const link = (page.body as { paging: { next: { link: string; after: string } } }).paging.next.link;
    expect(new URL(link).pathname).toBe('/crm/objects/2026-09/contacts');
  });

  it('answers 404 in HubSpot’s error shape for a date that is not a HubSpot version', async () => {
    for (const path of [
      '/crm/objects/2025-09/contacts',
      '/crm/properties/2027-03/contacts',
      '/account-info/2025-09/details',
    ]) {
      const response = await harness.request(path);
      expect(response.status, path).toBe(404);
      expect(response.body).toMatchObject({
        status: 'error',
        category: 'OBJECT_NOT_FOUND',
        correlationId: expect.any(String),
      });
      expect(String((response.body as { message: string }).message)).toContain('API version');
    }
    expect(lastLogged()).toMatchObject({ endpoint: 'unrouted', apiVersion: '2025-09', status: 404 });
  });

  it('logs the API version of every path family', async () => {
    await harness.request('/calling/v1/dispositions');
    expect(lastLogged()).toMatchObject({ apiVersion: 'v1', endpoint: 'GET /calling/v1/dispositions' });
    const contact = harness.emulator.seedObject('contacts', { firstname: 'X' });
    await harness.request(`/crm/v4/objects/contacts/${String(contact.id)}/associations/calls`);
    expect(lastLogged()).toMatchObject({ apiVersion: 'v4' });
    await harness.request('/nothing-here');
    expect(lastLogged()).toMatchObject({ apiVersion: 'unversioned', endpoint: 'unrouted', status: 404 });

    const log = await harness.request('/_emulator/requests', { token: null });
    const entries = (log.body as { results: LoggedRequest[] }).results;
    expect(entries.map((entry) => entry.apiVersion)).toEqual(['v1', 'v4', 'unversioned']);
  });

  it('keeps /calling/v1/dispositions, which has no dated twin', async () => {
    expect((await harness.request('/calling/v1/dispositions')).status).toBe(200);
    expect((await harness.request('/calling/2026-09/dispositions')).status).toBe(404);
  });

  it('answers account details at v3 and dated paths with the configured portalId, for any valid token', async () => {
    const expected = {
      portalId: 48_151_623,
      accountType: 'STANDARD',
      timeZone: 'UTC',
      companyCurrency: 'USD',
      additionalCurrencies: [],
      utcOffset: '+00:00',
      utcOffsetMilliseconds: 0,
      uiDomain: 'app.hubspot.com',
      dataHostingLocation: 'na1',
    };
    // No CRM scope is needed: the account information API only asks for a valid token.
    harness.emulator.setAuth({ missingScopes: true });
    for (const path of ['/account-info/v3/details', '/account-info/2026-03/details', '/account-info/2026-09/details']) {
      const response = await harness.request(path);
      expect(response.status, path).toBe(200);
      expect(response.body).toEqual(expected);
    }
    expect(lastLogged()).toMatchObject({ apiVersion: '2026-09', endpoint: 'GET /account-info/2026-09/details' });
    const anonymous = await harness.request('/account-info/2026-09/details', { token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ category: 'INVALID_AUTHENTICATION' });
  });

  it('defaults the portalId to 12345678', async () => {
    const own = await startEmulator();
    try {
      expect((await own.request('/account-info/2026-09/details')).body).toMatchObject({ portalId: 12_345_678 });
    } finally {
      await own.emulator.close();
    }
  });

  it('reports custom property limits and usage per object type at v3 and dated paths', async () => {
    harness.emulator.setLimits({ customPropertiesPerObject: 40 });
    await harness.client.crm.properties.groupsApi.create('contacts', { name: 'ai_calls', label: 'AI calls' });
    for (const name of ['ai_one', 'ai_two']) {
      await harness.request('/crm/v3/properties/contacts', {
        method: 'POST',
        body: { name, label: name, type: 'string', fieldType: 'text', groupName: 'ai_calls' },
      });
    }
    for (const path of [
      '/crm/v3/limits/custom-properties',
      '/crm/limits/2026-03/custom-properties',
      '/crm/limits/2026-09/custom-properties',
    ]) {
      const response = await harness.request(path);
      expect(response.status, path).toBe(200);
      expect(response.body).toEqual({
        byObjectType: [
          {
            objectTypeId: '0-1',
            singularLabel: 'Contact',
            pluralLabel: 'Contacts',
            limit: 40,
            usage: 2,
            percentage: 5,
          },
          { objectTypeId: '0-48', singularLabel: 'Call', pluralLabel: 'Calls', limit: 40, usage: 0, percentage: 0 },
        ],
        overallLimit: 80,
        overallUsage: 2,
        overallPercentage: 2.5,
      });
    }
  });
});

describe('HubSpot emulator: batch answer forms per version', () => {
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

  const partialCreate = (prefix: string) =>
    harness.request(`${prefix}/calls/batch/create`, {
      method: 'POST',
      body: {
        inputs: [
          { properties: { hs_timestamp: '1700000000000' }, associations: [], objectWriteTraceId: 'ok' },
          { properties: { hs_call_status: 'DONE' }, associations: [], objectWriteTraceId: 'bad' },
        ],
      },
    });

  it('answers 207 for a partial failure on v3 and 2026-03', async () => {
    for (const prefix of ['/crm/v3/objects', '/crm/objects/2026-03']) {
      const response = await partialCreate(prefix);
      expect(response.status, prefix).toBe(207);
      expect(response.body).toMatchObject({
        status: 'COMPLETE',
        results: [{ objectWriteTraceId: 'ok' }],
        numErrors: 1,
        errors: [{ status: 'error', category: 'VALIDATION_ERROR', context: { objectWriteTraceId: ['bad'] } }],
      });
    }
  });

  it('folds errors and numErrors into the normal 201/200 answer on 2026-09', async () => {
    const created = await partialCreate('/crm/objects/2026-09');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'COMPLETE',
      results: [{ objectWriteTraceId: 'ok' }],
      numErrors: 1,
      errors: [{ category: 'VALIDATION_ERROR', context: { objectWriteTraceId: ['bad'] } }],
    });
    const callId = (created.body as { results: { id: string }[] }).results[0]?.id ?? '';

    const updated = await harness.request('/crm/objects/2026-09/calls/batch/update', {
      method: 'POST',
      body: {
        inputs: [
          { id: callId, properties: { hs_call_title: 'x' } },
          { id: '999999', properties: { hs_call_title: 'y' } },
        ],
      },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      numErrors: 1,
      errors: [{ category: 'OBJECT_NOT_FOUND', context: { ids: ['999999'] } }],
    });

    const read = await harness.request('/crm/objects/2026-09/calls/batch/read', {
      method: 'POST',
      body: { inputs: [{ id: callId }, { id: '999999' }] },
    });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ numErrors: 1, errors: [{ category: 'OBJECT_NOT_FOUND' }] });

    const upserted = await harness.request('/crm/objects/2026-09/contacts/batch/upsert', {
      method: 'POST',
      body: {
        inputs: [
          { id: 'a@example.com', idProperty: 'email', properties: { firstname: 'A' } },
          { id: 'b@example.com', idProperty: 'email', properties: { lifecyclestage: 'nope' } },
        ],
      },
    });
    expect(upserted.status).toBe(200);
    expect(upserted.body).toMatchObject({ numErrors: 1, results: [{ new: true }] });

    // A batch without failures has neither field, on every version.
    const clean = await harness.request('/crm/objects/2026-09/calls/batch/read', {
      method: 'POST',
      body: { inputs: [{ id: callId }] },
    });
    expect(clean.status).toBe(200);
    expect(clean.body).not.toHaveProperty('errors');
    expect(clean.body).not.toHaveProperty('numErrors');
  });

  it('still fails the whole request with 400 on 2026-09 for whole-request problems', async () => {
    const duplicate = await harness.request('/crm/objects/2026-09/contacts/batch/upsert', {
      method: 'POST',
      body: {
        inputs: [
          { id: 'a@example.com', idProperty: 'email', properties: {} },
          { id: 'A@example.com', idProperty: 'email', properties: {} },
        ],
      },
    });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body).toMatchObject({
      category: 'VALIDATION_ERROR',
      message: expect.stringContaining('Duplicate IDs found in batch input'),
    });
  });
});
