import { describe, expect, it } from 'vitest';
import { HubSpotOutcomeUnknownError, HubSpotRetryableError } from '../../src/hubspot/hubspot-errors.js';
import { FakeHubSpotPort, hubspotFailures, inputRefusal, UnexpectedHubSpotCall } from './fake-hubspot-port.js';

/** A fake whose portal holds the connector's key properties (as provisioning leaves it). */
const provisioned = (): FakeHubSpotPort =>
  new FakeHubSpotPort()
    .defineProperty('calls', { name: 'ai_call_key', label: 'AI call key', type: 'string', fieldType: 'text' })
    .defineProperty('contacts', {
      name: 'ai_call_phone_e164',
      label: 'E.164',
      type: 'string',
      fieldType: 'text',
      hasUniqueValue: true,
    });

describe('FakeHubSpotPort', () => {
  it('throws UnexpectedHubSpotCall naming a method the test did not allow, records the call, and keeps it for assertNoUnexpectedCalls', async () => {
    const fake = new FakeHubSpotPort().allow('listProperties');
    await expect(
      fake.createCalls('ai_call_key', [{ key: 'yunfu:1', properties: {}, contactId: null }]),
    ).rejects.toThrow(UnexpectedHubSpotCall);
    await expect(fake.probe()).rejects.toMatchObject({ name: 'UnexpectedHubSpotCall', method: 'probe' });
    expect(() => fake.contactSearchChunks(['13800000001'], [])).toThrow(/contactSearchChunks/);
    expect(fake.methods()).toEqual(['createCalls', 'probe', 'contactSearchChunks']);
    expect(fake.inputsOf('createCalls')).toEqual([
      { keyProperty: 'ai_call_key', inputs: [{ key: 'yunfu:1', properties: {}, contactId: null }] },
    ]);
    expect(() => fake.assertNoUnexpectedCalls()).toThrow(
      /3 unexpected HubSpot call\(s\); the first: unexpected HubSpot call createCalls/,
    );
    // An allowed method answers.
    expect((await fake.listProperties('contacts')).map((property) => property.name)).toContain('phone');
  });

  it("throws UnexpectedHubSpotCall for an id it never issued, and answers HubSpot's own refusal for one that was deleted", async () => {
    const fake = provisioned().allow('updateContacts', 'createCalls', 'readObjects', 'upsertContacts');
    const kept = fake.seedContact({ phone: '+86 138 0000 0001' });
    const deleted = fake.seedContact({ phone: '+86 138 0000 0002' });
    fake.deleteContact(deleted);

    await expect(fake.updateContacts([{ key: 'k', id: '999999', properties: { firstname: 'x' } }])).rejects.toThrow(
      /contacts 999999 was never created or seeded/,
    );
    await expect(
      fake.createCalls('ai_call_key', [{ key: 'yunfu:1', properties: {}, contactId: '999999' }]),
    ).rejects.toThrow(UnexpectedHubSpotCall);
    await expect(fake.readObjects('contacts', ['999999'], [])).rejects.toThrow(UnexpectedHubSpotCall);
    const twice = { key: '+8613800000003', id: '+8613800000003', properties: {} };
    await expect(fake.upsertContacts('ai_call_phone_e164', [twice, { ...twice, key: 'other' }])).rejects.toThrow(
      /the same id twice in one batch/,
    );

    const update = await fake.updateContacts([{ key: 'gone', id: deleted, properties: { firstname: 'x' } }]);
    expect(update.failed.get('gone')).toMatchObject({ status: 404, category: 'OBJECT_NOT_FOUND', retryable: false });
    const create = await fake.createCalls('ai_call_key', [
      { key: 'yunfu:2', properties: {}, contactId: deleted },
      { key: 'yunfu:3', properties: {}, contactId: kept },
    ]);
    expect(create.failed.get('yunfu:2')).toMatchObject({ category: 'VALIDATION_ERROR', details: { ids: [deleted] } });
    expect(create.succeeded.has('yunfu:3')).toBe(true);
    expect([...(await fake.readObjects('contacts', [kept, deleted], ['hs_object_id'])).keys()]).toEqual([kept]);
    expect(fake.unexpected.map((error) => error.method)).toEqual([
      'updateContacts',
      'createCalls',
      'readObjects',
      'upsertContacts',
    ]);
  });

  it('fails the next calls of a method as programmed, applied first or not, and per input', async () => {
    const fake = provisioned().allow('createCalls');
    fake.failNext('createCalls', hubspotFailures.outage());
    fake.failNext('createCalls', hubspotFailures.outcomeUnknown(), { applyFirst: true });
    fake.refuseInputs('createCalls', (input) => (input.key === 'yunfu:bad' ? inputRefusal({ message: 'no' }) : null), {
      times: 1,
    });
    const send = () =>
      fake.createCalls('ai_call_key', [
        { key: 'yunfu:good', properties: {}, contactId: null },
        { key: 'yunfu:bad', properties: {}, contactId: null },
      ]);

    await expect(send()).rejects.toBeInstanceOf(HubSpotRetryableError);
    expect(fake.listCalls()).toHaveLength(0);
    await expect(send()).rejects.toBeInstanceOf(HubSpotOutcomeUnknownError);
    // Applied, then the answer lost: HubSpot holds the calls (the refusal was used up on that request).
    expect(fake.listCalls().map((call) => call.properties['ai_call_key'])).toEqual(['yunfu:good']);
    const third = await send();
    expect([...third.succeeded.keys()]).toEqual(['yunfu:good', 'yunfu:bad']);
    expect(fake.methods()).toEqual(['createCalls', 'createCalls', 'createCalls']);
  });

  it("refuses, per input, a property the portal lacks and a value that is not one of an enumeration's options", async () => {
    const fake = provisioned().allow('createCalls');
    const outcome = await fake.createCalls('ai_call_key', [
      { key: 'yunfu:1', properties: { hs_call_direction: 'SIDEWAYS' }, contactId: null },
      { key: 'yunfu:2', properties: { no_such_property: 'x' }, contactId: null },
      { key: 'yunfu:3', properties: { hs_call_direction: 'INBOUND' }, contactId: null },
    ]);
    expect(outcome.failed.get('yunfu:1')).toMatchObject({
      message: expect.stringContaining('SIDEWAYS was not one of the allowed options'),
      details: { codes: ['INVALID_OPTION'], properties: ['hs_call_direction'] },
    });
    expect(outcome.failed.get('yunfu:2')).toMatchObject({
      details: { codes: ['PROPERTY_DOESNT_EXIST'], properties: ['no_such_property'] },
    });
    expect([...outcome.succeeded.keys()]).toEqual(['yunfu:3']);
  });

  it('finds contacts by the national number of phone or mobile, whatever the format, and hides new objects while search lags', async () => {
    const fake = provisioned().allow(
      'searchContactsByNationalNumber',
      'upsertContacts',
      'searchCallsByKey',
      'createCalls',
    );
    const spaced = fake.seedContact({ phone: '175 3498 9887' });
    const mobile = fake.seedContact({ mobilephone: '+86-175-3498-9887' });
    fake.seedContact({ phone: '+1 650 253 0000' });
    const found = await fake.searchContactsByNationalNumber(['17534989887'], ['phone', 'mobilephone']);
    expect(found.map((contact) => contact.id)).toEqual([spaced, mobile]);
    expect(found[0]!.properties).toEqual({ phone: '175 3498 9887', mobilephone: null });

    fake.lagSearch();
    await fake.upsertContacts('ai_call_phone_e164', [
      { key: '+8613800000009', id: '+8613800000009', properties: { phone: '+8613800000009' } },
    ]);
    await fake.createCalls('ai_call_key', [{ key: 'Yunfu:Lagging', properties: {}, contactId: null }]);
    expect(await fake.searchContactsByNationalNumber(['13800000009'], [])).toEqual([]);
    expect(await fake.searchCallsByKey('ai_call_key', ['yunfu:lagging'])).toEqual(new Map());
    fake.catchUpSearch();
    expect(await fake.searchContactsByNationalNumber(['13800000009'], [])).toHaveLength(1);
    expect(await fake.searchCallsByKey('ai_call_key', ['YUNFU:LAGGING'])).toEqual(
      new Map([['yunfu:lagging', fake.listCalls()[0]!.id]]),
    );
  });
  it("lists a contact's calls, highest id first up to the limit, none for a deleted contact, and refuses an id it never issued", async () => {
    const fake = new FakeHubSpotPort().allow('listAssociatedIds');
    const contact = fake.seedContact({ phone: '+8617534989887' });
    const calls = [fake.seedCall({ hs_call_title: 'a' }, contact), fake.seedCall({ hs_call_title: 'b' }, contact)];
    fake.seedCall({ hs_call_title: 'someone else' });
    expect(await fake.listAssociatedIds('contacts', contact, 'calls', 10)).toEqual([...calls].reverse());
    expect(await fake.listAssociatedIds('contacts', contact, 'calls', 1)).toEqual([calls[1]]);
    expect(await fake.listAssociatedIds('calls', calls[0]!, 'contacts', 10)).toEqual([contact]);
    fake.deleteContact(contact);
    expect(await fake.listAssociatedIds('contacts', contact, 'calls', 10)).toEqual([]);
    await expect(fake.listAssociatedIds('contacts', '42', 'calls', 10)).rejects.toThrow(UnexpectedHubSpotCall);
  });
});
