import { afterEach, describe, expect, it } from 'vitest';
import {
  CALL_WRITE_METHODS,
  hubspotFailures,
  inputRefusal,
  PROVISIONING_METHODS,
} from '../../test/support/fake-hubspot-port.js';
import { chinaMobile, e164Of, yunfuBatch, yunfuCall } from '../../test/support/payload-factory.js';
import { closeChecked, syncFixture, type SyncFixture } from '../../test/support/sync-fixture.js';
import { contactPlan, type ContactPlan } from '../mapping/hubspot-write-plan.js';
import { nationalVariants } from './contact-matching.js';
import type { ResolveOptions } from './contact-resolver.js';

let f: SyncFixture | null = null;
afterEach(async () => {
  const done = f;
  f = null;
  await closeChecked(done);
});

/** Contact resolution alone: the portal provisioned, and only the contact methods of the port allowed. */
async function start(mappingYaml?: string): Promise<SyncFixture> {
  f = await syncFixture(mappingYaml === undefined ? {} : { mappingYaml });
  await f.provision();
  f.fake.forbid(...PROVISIONING_METHODS, ...CALL_WRITE_METHODS);
  return f;
}

/** The contact plans of one Yunfu call per number (E.164 or a Chinese mobile's national digits). */
function plansFor(
  fx: SyncFixture,
  numbers: string[],
  customer: Record<string, unknown> = {},
): Map<string, ContactPlan> {
  return new Map(
    numbers.map((number, index) => {
      const call = yunfuCall({ callid: `plan-${index}`, number });
      const [record] = fx.records(
        'yunfu',
        yunfuBatch([{ ...call, customer_data: { name: null, email: null, company: null, extra: null, ...customer } }]),
      );
      return [record!.customer.phone.e164!, contactPlan([record!], fx.settings, fx.names)];
    }),
  );
}

async function resolve(fx: SyncFixture, plans: Map<string, ContactPlan>, options: ResolveOptions = {}) {
  fx.fake.clearCalls();
  return fx.contacts.resolve(plans, fx.names, fx.settings.contact.create, options);
}

describe('ContactResolver: matching numbers', () => {
  it.each([
    ['phone', '175 3498 9887'],
    ['phone', '+86 175-3498-9887'],
    ['phone', '17534989887'],
    ['mobilephone', '+86-175-3498-9887'],
    ['mobilephone', '+8617534989887'],
  ])('adopts a contact whose %s holds the number as "%s"', async (property, value) => {
    const fx = await start();
    const existing = fx.fake.seedContact({ [property]: value });
    const resolution = await resolve(fx, plansFor(fx, ['17534989887']));
    expect(resolution.ids).toEqual(new Map([['+8617534989887', existing]]));
    expect(fx.fake.methods()).not.toContain('upsertContacts');
    expect(fx.fake.contact(existing)!.properties['ai_call_phone_e164']).toBe('+8617534989887');
    expect((await fx.ledger.contacts(['+8617534989887'])).get('+8617534989887')?.contactId).toBe(existing);
  });

  it('does not adopt a contact with the same national number in another country', async () => {
    const fx = await start();
    const american = fx.fake.seedContact({ phone: '+1 175 3498 9887' });
    const resolution = await resolve(fx, plansFor(fx, ['17534989887']));
    expect(resolution.ids.get('+8617534989887')).not.toBe(american);
    expect(fx.fake.inputsOf('upsertContacts').flatMap((call) => call.inputs.map((input) => input.id))).toEqual([
      '+8617534989887',
    ]);
    expect(fx.fake.listContacts()).toHaveLength(2);
  });

  it('searches a landline with and without its trunk 0, and a mobile or a +1 number once', async () => {
    expect(nationalVariants('+861012345678')).toEqual(['1012345678', '01012345678']);
    expect(nationalVariants('+8617534989887')).toEqual(['17534989887']);
    expect(nationalVariants('+16502530000')).toEqual(['6502530000']);
    expect(nationalVariants('not a number')).toEqual([]);

    const fx = await start();
    const landline = fx.fake.seedContact({ phone: '010 1234 5678' });
    const resolution = await resolve(fx, plansFor(fx, ['+861012345678', '17534989887']));
    expect(fx.fake.inputsOf('searchContactsByNationalNumber').map((call) => call.nationalNumbers)).toEqual([
      ['1012345678', '01012345678', '17534989887'],
    ]);
    expect(resolution.ids.get('+861012345678')).toBe(landline);
  });

  it("prefers, of several contacts holding the number, the one carrying the connector's key, else the oldest, and keys only that one", async () => {
    const fx = await start();
    const older = fx.fake.seedContact({ phone: '175 3498 9887' });
    const keyed = fx.fake.seedContact({ mobilephone: '+8617534989887', ai_call_phone_e164: '+8617534989887' });
    const first = fx.fake.seedContact({ phone: '138 0000 0001' });
    const second = fx.fake.seedContact({ phone: '+86 138 0000 0001' });
    const resolution = await resolve(fx, plansFor(fx, ['17534989887', chinaMobile(1)]));
    expect(resolution.ids).toEqual(
      new Map([
        ['+8617534989887', keyed],
        [e164Of(chinaMobile(1)), first],
      ]),
    );
    expect(fx.fake.contact(older)!.properties['ai_call_phone_e164']).toBeUndefined();
    expect(fx.fake.contact(first)!.properties['ai_call_phone_e164']).toBe(e164Of(chinaMobile(1)));
    expect(fx.fake.contact(second)!.properties['ai_call_phone_e164']).toBeUndefined();
    expect(fx.fake.listContacts()).toHaveLength(4);
  });

  it('leaves the key of a contact that holds another number in it (the key holds one number)', async () => {
    const fx = await start();
    const twoNumbers = fx.fake.seedContact({ phone: '175 3498 9887', ai_call_phone_e164: e164Of(chinaMobile(2)) });
    const resolution = await resolve(fx, plansFor(fx, ['17534989887']));
    expect(resolution.ids.get('+8617534989887')).toBe(twoNumbers);
    expect(fx.fake.contact(twoNumbers)!.properties['ai_call_phone_e164']).toBe(e164Of(chinaMobile(2)));
  });
});

describe('ContactResolver: requests', () => {
  it('resolves 40 new numbers with one search, one upsert and one update', async () => {
    const fx = await start();
    const numbers = Array.from({ length: 40 }, (_, index) => chinaMobile(1_000 + index));
    const resolution = await resolve(fx, plansFor(fx, numbers));
    expect(resolution.ids.size).toBe(40);
    expect(fx.fake.methods().filter((method) => method !== 'contactSearchChunks')).toEqual([
      'searchContactsByNationalNumber',
      'upsertContacts',
      'updateContacts',
    ]);
    expect(fx.fake.inputsOf('searchContactsByNationalNumber')[0]!.nationalNumbers).toHaveLength(40);
    expect(fx.fake.inputsOf('upsertContacts')[0]!.inputs).toHaveLength(40);
    expect(fx.fake.listContacts()).toHaveLength(40);
  });

  it('asks HubSpot nothing for numbers the ledger knows, and nothing more when their mapped values are known to be filled', async () => {
    const fx = await start();
    const known = fx.fake.seedContact({
      phone: '+8617534989887',
      ai_call_phone_e164: '+8617534989887',
      city: '太原',
      state: '山西',
    });
    await fx.ledger.saveContacts(
      [{ e164: '+8617534989887', contactId: known, origin: 'created', filled: new Set(['city', 'state']) }],
      fx.clock.now(),
    );
    const resolution = await resolve(fx, plansFor(fx, ['17534989887']));
    expect(resolution.ids.get('+8617534989887')).toBe(known);
    expect(fx.fake.calls).toEqual([]);
  });

  it("leaves the numbers of a burst's last, less than half full search for the next batch", async () => {
    const fx = await start();
    fx.fake.searchChunkSize = 10;
    const numbers = Array.from({ length: 25 }, (_, index) => chinaMobile(2_000 + index));
    const resolution = await resolve(fx, plansFor(fx, numbers), { packSearches: true });
    expect([...resolution.deferred]).toEqual(numbers.slice(20).map(e164Of));
    expect(fx.fake.inputsOf('searchContactsByNationalNumber')[0]!.nationalNumbers).toEqual(numbers.slice(0, 20));
    expect([...resolution.ids.keys()].sort()).toEqual(numbers.slice(0, 20).map(e164Of).sort());

    // More than half full: searched now.
    const more = Array.from({ length: 26 }, (_, index) => chinaMobile(3_000 + index));
    expect((await resolve(fx, plansFor(fx, more), { packSearches: true })).deferred.size).toBe(0);
  });

  it('splits a search HubSpot refuses until the refused number stands alone: that number fails, the others resolve', async () => {
    const fx = await start();
    const numbers = [chinaMobile(11), chinaMobile(12), chinaMobile(13), chinaMobile(14)];
    fx.fake.failNext(
      'searchContactsByNationalNumber',
      (input) =>
        input.nationalNumbers.includes(chinaMobile(12)) ? hubspotFailures.refused('the search was refused') : null,
      { times: Number.POSITIVE_INFINITY },
    );
    const resolution = await resolve(fx, plansFor(fx, numbers));
    expect([...resolution.failures.keys()]).toEqual([e164Of(chinaMobile(12))]);
    expect(resolution.failures.get(e164Of(chinaMobile(12)))).toMatchObject({
      retryable: true,
      message: 'the contact search was refused: the search was refused',
    });
    expect([...resolution.ids.keys()].sort()).toEqual([11, 13, 14].map((index) => e164Of(chinaMobile(index))));
    expect(fx.fake.inputsOf('searchContactsByNationalNumber').map((call) => call.nationalNumbers.length)).toEqual([
      4, 2, 1, 1, 2,
    ]);
  });

  it('throws an outage of the search to the caller, creating nothing', async () => {
    const fx = await start();
    const outage = hubspotFailures.outage();
    fx.fake.failNext('searchContactsByNationalNumber', outage);
    await expect(resolve(fx, plansFor(fx, [chinaMobile(15)]))).rejects.toBe(outage);
    expect(fx.fake.methods()).not.toContain('upsertContacts');
  });
});

describe('ContactResolver: what HubSpot refuses or no longer has', () => {
  it('writes the rest of a contact when HubSpot refuses one of its values, and says which in a warning', async () => {
    const fx = await start();
    fx.fake.refuseInputs(
      'updateContacts',
      (input) =>
        input.properties['email']
          ? inputRefusal({
              message: 'A contact with this email already exists',
              properties: ['email'],
              codes: ['CONFLICT'],
            })
          : null,
      { times: 1 },
    );
    const resolution = await resolve(fx, plansFor(fx, [chinaMobile(20)], { email: 'li.wei@example.com' }));
    const e164 = e164Of(chinaMobile(20));
    const contact = fx.fake.contact(resolution.ids.get(e164)!)!;
    expect(contact.properties).toMatchObject({ phone: e164, city: '晋中', state: '山西' });
    expect(contact.properties['email']).toBeUndefined();
    expect(resolution.warnings.get(e164)).toBe(
      "HubSpot refused some of the contact's values: A contact with this email already exists (VALIDATION_ERROR, status 400, correlation id corr-input)",
    );
    expect(resolution.failures.size).toBe(0);
  });

  it('stops sending a property HubSpot says the API cannot write, from the next write on', async () => {
    const fx = await start();
    fx.fake.refuseInputs('updateContacts', (input) =>
      input.properties['hs_marketable_status'] === undefined
        ? null
        : inputRefusal({
            message: 'hs_marketable_status is read-only',
            properties: ['hs_marketable_status'],
            codes: ['READ_ONLY_VALUE'],
          }),
    );
    const first = await resolve(fx, plansFor(fx, [chinaMobile(21)]));
    expect(first.warnings.get(e164Of(chinaMobile(21)))).toMatch(/hs_marketable_status is read-only/);
    expect(fx.fake.contact(first.ids.get(e164Of(chinaMobile(21)))!)!.properties).toMatchObject({
      phone: e164Of(chinaMobile(21)),
      city: '晋中',
    });

    const second = await resolve(fx, plansFor(fx, [chinaMobile(22)]));
    expect(second.warnings.size).toBe(0);
    expect(
      fx.fake.inputsOf('updateContacts').flatMap((call) => call.inputs.map((input) => Object.keys(input.properties))),
    ).toEqual([['phone', 'city', 'state']]);
  });

  it('meets a portal rule requiring a value on new contacts with the creation values, and else names the setting that gives it', async () => {
    const fx = await start();
    const required = inputRefusal({
      message: 'lead_source is required',
      properties: ['lead_source'],
      codes: ['REQUIRED_PROPERTY'],
    });
    fx.fake.refuseInputs('upsertContacts', (input) => (input.properties['lead_source'] ? null : required));
    const resolution = await resolve(fx, plansFor(fx, [chinaMobile(23)]));
    const e164 = e164Of(chinaMobile(23));
    // Sent as planned, then with the creation values (phone, city, …): still refused, so the call's contact fails.
    expect(fx.fake.inputsOf('upsertContacts').map((call) => Object.keys(call.inputs[0]!.properties).sort())).toEqual([
      ['ai_call_phone_e164'],
      ['ai_call_phone_e164', 'city', 'hs_marketable_status', 'phone', 'state'],
    ]);
    expect(resolution.failures.get(e164)).toMatchObject({
      retryable: false,
      message: expect.stringMatching(
        /^HubSpot requires lead_source on new contacts \(a validation rule of the portal\): give it a value in config\/mapping\.yaml, e\.g\. contact\.properties: - \{ template: "AI call", property: lead_source, mode: fill-if-empty \}/,
      ),
    });
    expect(fx.fake.listContacts()).toEqual([]);
  });

  it('forgets a known contact HubSpot no longer has and resolves its number again', async () => {
    const fx = await start();
    const e164 = e164Of(chinaMobile(24));
    const stale = fx.fake.seedContact({ phone: e164, ai_call_phone_e164: e164 });
    await fx.ledger.saveContacts([{ e164, contactId: stale, origin: 'created', filled: new Set() }], fx.clock.now());
    fx.fake.deleteContact(stale);
    const resolution = await resolve(fx, plansFor(fx, [chinaMobile(24)]));
    const fresh = resolution.ids.get(e164);
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(stale);
    expect(fx.fake.listContacts().map((contact) => contact.id)).toEqual([fresh]);
    expect((await fx.ledger.contacts([e164])).get(e164)?.contactId).toBe(fresh);
  });
});
