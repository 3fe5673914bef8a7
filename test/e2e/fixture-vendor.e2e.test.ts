import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerVendor, vendorIds } from '../../src/vendors/vendors.js';
import { acmeVendor } from '../fixtures/acme/acme.vendor.js';
import { postJson, REPO_DIR, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * A vendor lives in one folder: "Acme Voice" is defined only in test code (`test/fixtures/acme/`) and registered
 * through the vendor map, and the connector receives, authenticates, validates, stores, maps and syncs its webhook
 * with no line of `src/` naming it. (vitest loads each test file's modules on their own, so the registration does
 * not reach other files.)
 */
registerVendor(acmeVendor);

const SECRET = 'acme-test-secret-0123456789';
const mappingYaml = readFileSync(join(REPO_DIR, 'config', 'mapping.yaml'), 'utf8').replace(
  /^vendors:\n/m,
  'vendors:\n  acme:\n    intentions:\n      hot: A\n',
);

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { ACME_WEBHOOK_SECRET: SECRET }, mappingYaml });
});
afterAll(async () => {
  await t.close();
});

const post = (body: unknown, secret: string | null = SECRET) =>
  postJson(`${t.url}/webhooks/acme`, body, secret === null ? {} : { 'x-webhook-secret': secret });
const ended = {
  type: 'call.ended',
  call_id: 'acme-1',
  to: '+1 650 253 0001',
  direction: 'outbound',
  seconds: 95,
  verdict: 'hot',
  ended_at: '2026-11-30T09:00:00Z',
};

describe('a vendor defined only in test code, registered through the vendor map', () => {
  it('is one of the vendors, beside the built-in ones', () => {
    expect(vendorIds()).toEqual(['voicefox', 'yunfu', 'retell', 'vapi', 'elevenlabs', 'acme']);
  });

  it('takes its secret from the setting its definition names, only where its definition allows it', async () => {
    expect((await post(ended, null)).status).toBe(401);
    // Only where its definition says: a secret in Authorization is not looked at.
    expect((await postJson(`${t.url}/webhooks/acme`, ended, { authorization: `Bearer ${SECRET}` })).status).toBe(401);
    expect((await post(ended, 'wrong-secret-0123456789')).status).toBe(401);
    // Its definition does not allow the secret in the path: that route is not one of its endpoints.
    expect((await postJson(`${t.url}/webhooks/acme/${SECRET}`, ended)).status).toBe(404);
    expect(await t.inbox.countByStatus()).toMatchObject({ pending: 0, processing: 0, synced: 0 });
  });

  it('validates the webhook against its own payload schema: a clear 400 naming the field, nothing stored', async () => {
    const answer = await post({ ...ended, call_id: 'acme-bad', direction: 'sideways' });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('direction');
    expect((await t.inbox.list({ vendor: 'acme' })).map((event) => event.event_key)).not.toContain('acme-bad');
  });

  it('stores, maps and syncs a call: its reply, its name in the title, its intention table from mapping.yaml', async () => {
    const answer = await post(ended);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ ok: true, stored: 1 });
    expect((await post(ended)).body).toEqual({ ok: true, stored: 0 });
    await t.settled();

    const contacts = t.emulator
      .listObjects('contacts')
      .filter((contact) => contact.properties['ai_call_phone_e164'] === '+16502530001');
    expect(contacts).toHaveLength(1);
    const calls = t.emulator.listObjects('calls').filter((call) => call.properties['ai_call_key'] === 'acme:acme-1');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.associations.contacts).toEqual([contacts[0]!.id]);
    expect(calls[0]!.properties).toMatchObject({
      hs_call_direction: 'OUTBOUND',
      hs_call_duration: '95000',
      ai_call_vendor: 'Acme Voice',
      ai_call_intention: 'A',
    });
    expect(calls[0]!.properties['hs_call_title']).toContain('Acme Voice');
  });
});
