import {
  PropertyCreateFieldTypeEnum as FieldType,
  PropertyCreateTypeEnum as PropertyType,
} from '@hubspot/api-client/lib/codegen/crm/properties/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sdkError, sleep, startEmulator, withTimeout, type EmulatorHarness } from './emulator-harness.js';

describe('HubSpot emulator: injected faults', () => {
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

  it('answers 503 for the next N requests only, set through PUT /_emulator/faults', async () => {
    const set = await harness.request('/_emulator/faults', {
      method: 'PUT',
      body: { mode: 'status', status: 503, count: 2 },
      token: null,
    });
    expect(set.status).toBe(200);

    for (let index = 0; index < 2; index += 1) {
      const failed = await sdkError(harness.client.crm.contacts.basicApi.getPage(1));
      expect(failed.code).toBe(503);
      expect(failed.body).toMatchObject({ status: 'error', category: 'SERVICE_UNAVAILABLE' });
    }
    await expect(harness.client.crm.contacts.basicApi.getPage(1)).resolves.toMatchObject({ results: [] });
    expect(harness.emulator.counters.faultsApplied).toBe(2);
    expect(harness.emulator.counters.byStatus['503']).toBe(2);
  });

  it('applies a fault only to paths matching its regex, and only until its end time', async () => {
    harness.emulator.setFaults({ mode: 'status', status: 502, paths: '/search$', until: Date.now() + 300 });
    const search = await harness.request('/crm/v3/objects/contacts/search', { method: 'POST', body: {} });
    expect(search.status).toBe(502);
    expect((await harness.request('/crm/v3/objects/contacts')).status).toBe(200);

    await sleep(350);
    expect((await harness.request('/crm/v3/objects/contacts/search', { method: 'POST', body: {} })).status).toBe(200);
  });

  it('answers 423 Locked when asked to', async () => {
    harness.emulator.setFaults({ mode: 'status', status: 423, count: 1 });
    const locked = await harness.request('/crm/v3/objects/contacts/batch/upsert', {
      method: 'POST',
      body: { inputs: [] },
    });
    expect(locked.status).toBe(423);
    expect(locked.body).toMatchObject({ status: 'error', category: 'LOCKED' });
  });

  it('delays answers in latency mode', async () => {
    harness.emulator.setFaults({ mode: 'latency', latencyMs: 200, count: 1 });
    const started = Date.now();
    expect((await harness.request('/crm/v3/objects/contacts')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('hangs requests until the fault clears, so clients must time out on their own', async () => {
    harness.emulator.setFaults({ mode: 'hang' });
    const pending = harness.client.crm.contacts.basicApi.create({
      properties: { email: 'late@example.com' },
      associations: [],
    });
    await expect(withTimeout(pending, 300)).rejects.toThrow('timed out after 300 ms');
    expect(harness.emulator.hungRequestCount).toBe(1);
    expect(harness.emulator.state.contacts).toBe(0);

    harness.emulator.clearFaults();
    const created = await withTimeout(pending, 2_000);
    expect(created.properties.email).toBe('late@example.com');
    expect(harness.emulator.hungRequestCount).toBe(0);
  });

  it('ends hung connections when the emulator closes', async () => {
    const own = await startEmulator();
    own.emulator.setFaults({ mode: 'hang' });
    const hung = fetch(`${own.emulator.url}/crm/v3/objects/contacts`, { headers: { authorization: 'Bearer t' } });
    const settled = hung.then(
      () => 'answered',
      () => 'connection ended',
    );
    for (let attempt = 0; attempt < 50 && own.emulator.hungRequestCount === 0; attempt += 1) await sleep(10);
    expect(own.emulator.hungRequestCount).toBe(1);

    await withTimeout(own.emulator.close(), 2_000);
    expect(await withTimeout(settled, 2_000)).toBe('connection ended');
  });
});

describe('HubSpot emulator: authentication and scopes', () => {
  let harness: EmulatorHarness;

  beforeAll(async () => {
    harness = await startEmulator({ tokens: ['pat-good'] });
  });
  afterAll(async () => {
    await harness.emulator.close();
  });
  beforeEach(() => {
    harness.emulator.reset();
  });

  it('accepts only the configured tokens and answers 401 INVALID_AUTHENTICATION otherwise', async () => {
    await expect(harness.clientWith('pat-good').crm.contacts.basicApi.getPage(1)).resolves.toBeDefined();
    const wrong = await sdkError(harness.clientWith('pat-bad').crm.contacts.basicApi.getPage(1));
    expect(wrong.code).toBe(401);
    expect(wrong.body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
    expect(typeof wrong.body.correlationId).toBe('string');

    const missing = await harness.request('/crm/v3/objects/contacts', { token: null });
    expect(missing.status).toBe(401);
    // Unauthenticated requests do not use up the app's quota.
    expect(harness.emulator.limitsReport().usage.dailyUsed).toBe(1);
  });

  it('answers 401 for a revoked token until it is restored', async () => {
    const good = harness.clientWith('pat-good');
    const revoke = await harness.request('/_emulator/auth', { method: 'PUT', body: { revoked: true }, token: null });
    expect(revoke.status).toBe(200);
    const refused = await sdkError(good.crm.contacts.basicApi.getPage(1));
    expect(refused.code).toBe(401);
    expect(refused.body.category).toBe('INVALID_AUTHENTICATION');

    harness.emulator.setAuth({ revoked: false });
    await expect(good.crm.contacts.basicApi.getPage(1)).resolves.toBeDefined();
  });

  it('answers 403 MISSING_SCOPES when scopes are removed, for all calls or for named scopes', async () => {
    const good = harness.clientWith('pat-good');
    harness.emulator.setAuth({ missingScopes: true });
    const refused = await sdkError(good.crm.contacts.basicApi.getPage(1));
    expect(refused.code).toBe(403);
    expect(refused.body).toMatchObject({
      status: 'error',
      category: 'MISSING_SCOPES',
      errors: [{ context: { requiredGranularScopes: ['crm.objects.contacts.read'] } }],
    });

    harness.emulator.setAuth({ missingScopes: ['crm.schemas.contacts.write'] });
    await expect(good.crm.contacts.basicApi.getPage(1)).resolves.toBeDefined();
    const schema = await sdkError(
      good.crm.properties.coreApi.create('contacts', {
        name: 'ai_key',
        label: 'Key',
        type: PropertyType.String,
        fieldType: FieldType.Text,
        groupName: 'contactinformation',
      }),
    );
    expect(schema.code).toBe(403);
    expect(schema.body.category).toBe('MISSING_SCOPES');
  });
});
