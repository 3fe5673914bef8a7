import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { getCountries, getCountryCallingCode } from 'libphonenumber-js';
import { ownValue } from '../../src/common/own-value.js';
import { DEFAULT_OUTCOMES } from '../../src/mapping/hubspot-call-outcomes.js';
import {
  HubSpotAuthError,
  HubSpotDailyLimitError,
  HubSpotOutcomeUnknownError,
  HubSpotPermanentError,
  HubSpotRetryableError,
  NO_DETAILS,
  type HubSpotErrorDetails,
} from '../../src/hubspot/hubspot-errors.js';
import type {
  AccessReport,
  BatchOutcome,
  CallCreateInput,
  ContactUpsertInput,
  HubSpotObject,
  HubSpotObjectType,
  HubSpotPort,
  InputFailure,
  ObjectUpdateInput,
  PropertyDefinition,
  PropertyOption,
  FileUpload,
  StoredFile,
} from '../../src/hubspot/hubspot.port.js';

/**
 * A strict in-memory fake of `HubSpotPort` for unit tests: contacts, calls (with their contact), properties and
 * options, searches by phone and by call key. Every call is recorded (`calls`), and anything the test did not set up
 * throws `UnexpectedHubSpotCall` naming the method: a method the test did not `allow`, an id the fake never issued.
 * What HubSpot answers to a known situation (a deleted contact, a removed option, a deleted property) is answered as
 * HubSpot does, per input. Tests program failures of whole requests (`failNext`) and of single inputs (`refuseInputs`).
 *
 * The sync catches what the port throws (it becomes an interruption), so a test also checks `assertNoUnexpectedCalls()`.
 */

export type PortMethod = keyof HubSpotPort;

/** What each method was called with, as recorded (copies: later changes by the caller do not show). */
export interface PortInputs {
  listProperties: { objectType: HubSpotObjectType };
  ensurePropertyGroup: { objectType: HubSpotObjectType; name: string };
  createProperty: { objectType: HubSpotObjectType; name: string };
  updatePropertyOptions: { objectType: HubSpotObjectType; name: string; values: string[] };
  searchContactsByNationalNumber: { nationalNumbers: string[]; properties: string[] };
  contactSearchChunks: { nationalNumbers: string[]; properties: string[] };
  upsertContacts: { idProperty: string; inputs: ContactUpsertInput[] };
  updateContacts: { inputs: ObjectUpdateInput[] };
  createCalls: { keyProperty: string; inputs: CallCreateInput[] };
  updateCalls: { inputs: ObjectUpdateInput[] };
  searchCallsByKey: { keyProperty: string; keys: string[] };
  readObjects: { objectType: HubSpotObjectType; ids: string[]; properties: string[] };
  listAssociatedIds: { fromType: HubSpotObjectType; fromId: string; toType: HubSpotObjectType; limit: number };
  listCallDispositions: Record<string, never>;
  probe: Record<string, never>;
  checkAccess: { files: boolean };
  uploadFile: { folderPath: string; name: string; extension: string; access: string; bytes: number };
  findFile: { folderPath: string; name: string };
}

export type RecordedCall = { [M in PortMethod]: { method: M; input: PortInputs[M] } }[PortMethod];

/** The batch writes, whose inputs can be refused one by one. */
type BatchMethod = 'upsertContacts' | 'updateContacts' | 'createCalls' | 'updateCalls';
type BatchInput<M extends BatchMethod> = PortInputs[M]['inputs'][number];

/** Methods a sync pass uses to keep the portal ready for the mapping. */
export const PROVISIONING_METHODS: PortMethod[] = [
  'listProperties',
  'ensurePropertyGroup',
  'createProperty',
  'updatePropertyOptions',
  'listCallDispositions',
];
/** Methods contact resolution uses. */
export const CONTACT_METHODS: PortMethod[] = [
  'contactSearchChunks',
  'searchContactsByNationalNumber',
  'upsertContacts',
  'updateContacts',
  'readObjects',
];
/** Methods that write calls. (`searchCallsByKey`, the recovery lookup, is left for a test to allow on purpose.) */
export const CALL_WRITE_METHODS: PortMethod[] = ['createCalls', 'updateCalls'];

/** The sync did something the test did not set up. */
export class UnexpectedHubSpotCall extends Error {
  constructor(
    readonly method: PortMethod,
    reason: string,
  ) {
    super(`unexpected HubSpot call ${method}: ${reason}`);
    this.name = 'UnexpectedHubSpotCall';
  }
}

export interface FakeObject {
  id: string;
  properties: Record<string, string>;
}

export interface FakeCall extends FakeObject {
  /** The contacts the call is associated with. */
  contactIds: string[];
}

interface ProgrammedFailure {
  method: PortMethod;
  error: (input: never) => Error | null;
  left: number;
  applyFirst: boolean;
}

interface ProgrammedRefusal {
  method: BatchMethod;
  refuse: (input: never) => InputFailure | null;
  left: number;
}

/** Errors of whole requests, as the adapter throws them (the real classes). */
export const hubspotFailures = {
  /** A 5xx or network failure that outlasted the adapter's retries, on a request that is safe to send again. */
  outage: (): HubSpotRetryableError =>
    new HubSpotRetryableError('HubSpot answered 503 (service unavailable)', 503, null, 'corr-outage'),
  /** A create HubSpot may or may not have applied (5xx, time-out, dropped connection after sending). */
  outcomeUnknown: (): HubSpotOutcomeUnknownError =>
    new HubSpotOutcomeUnknownError(
      'HubSpot may or may not have applied calls.create: HubSpot answered 502 (bad gateway)',
      502,
      null,
      'corr-unknown',
    ),
  dailyLimit: (): HubSpotDailyLimitError =>
    new HubSpotDailyLimitError(
      'HubSpot daily limit reached: the account used its daily requests',
      429,
      'RATE_LIMITS',
      'corr-daily',
    ),
  tokenRevoked: (): HubSpotAuthError =>
    new HubSpotAuthError(
      'HubSpot refused the token (401): the token was revoked',
      401,
      'INVALID_AUTHENTICATION',
      'corr-auth',
    ),
  /** A deterministic refusal of a whole request (a 4xx but 429). */
  refused: (
    message = 'HubSpot refused the request',
    details: Partial<HubSpotErrorDetails> = {},
  ): HubSpotPermanentError =>
    new HubSpotPermanentError(message, 400, 'VALIDATION_ERROR', 'corr-refused', { ...NO_DETAILS, ...details }),
};

/** HubSpot's refusal of one input of a batch, shaped as the adapter reports it. */
export function inputRefusal(options: {
  message?: string;
  retryable?: boolean;
  status?: number | null;
  category?: string | null;
  codes?: string[];
  properties?: string[];
  ids?: string[];
  unresolved?: boolean;
}): InputFailure {
  const properties = options.properties ?? [];
  const codes = options.codes ?? [];
  return {
    retryable: options.retryable ?? false,
    status: options.status === undefined ? 400 : options.status,
    category: options.category === undefined ? 'VALIDATION_ERROR' : options.category,
    message: options.message ?? 'HubSpot refused this input',
    correlationId: 'corr-input',
    details: {
      ...NO_DETAILS,
      properties,
      codes,
      ids: options.ids ?? [],
      problems: properties.flatMap((property) => codes.map((code) => ({ property, code }))),
    },
    ...(options.unresolved ? { unresolved: true } : {}),
  };
}

const text = (name: string, label = name): PropertyDefinition => ({ name, label, type: 'string', fieldType: 'text' });
const choice = (name: string, values: string[]): PropertyDefinition => ({
  name,
  label: name,
  type: 'enumeration',
  fieldType: 'select',
  options: values.map((value, displayOrder) => ({ label: value, value, displayOrder, hidden: false })),
});

/** HubSpot's own properties that the shipped mapping and the call write name. */
function builtInProperties(): Record<HubSpotObjectType, PropertyDefinition[]> {
  return {
    contacts: [
      ...['firstname', 'lastname', 'email', 'company', 'city', 'state', 'phone', 'mobilephone', 'jobtitle'].map(
        (name) => text(name),
      ),
      choice('lifecyclestage', [
        'subscriber',
        'lead',
        'marketingqualifiedlead',
        'salesqualifiedlead',
        'opportunity',
        'customer',
        'evangelist',
        'other',
      ]),
      choice('hs_marketable_status', ['true', 'false']),
    ],
    calls: [
      { name: 'hs_timestamp', label: 'Activity date', type: 'datetime', fieldType: 'date' },
      ...[
        'hs_call_title',
        'hs_call_body',
        'hs_call_disposition',
        'hs_call_from_number',
        'hs_call_to_number',
        'hs_call_recording_url',
      ].map((name) => text(name)),
      { name: 'hs_call_duration', label: 'Call duration (ms)', type: 'number', fieldType: 'number' },
      choice('hs_call_direction', ['INBOUND', 'OUTBOUND']),
      choice('hs_call_status', [
        'COMPLETED',
        'NO_ANSWER',
        'BUSY',
        'FAILED',
        'CANCELED',
        'CONNECTING',
        'IN_PROGRESS',
        'QUEUED',
        'RINGING',
      ]),
    ],
  };
}

const CALLING_CODES: ReadonlySet<string> = new Set(
  getCountries().map((country) => String(getCountryCallingCode(country))),
);

/** HubSpot's calculated searchable number: the digits, without the country code when written with `+`. */
export function searchableNumber(raw: string): string | undefined {
  const digits = raw.replace(/\D/g, '');
  if (digits === '') return undefined;
  if (!raw.trimStart().startsWith('+')) return digits;
  for (let length = 1; length <= 3 && length < digits.length; length++)
    if (CALLING_CODES.has(digits.slice(0, length))) return digits.slice(length);
  return digits;
}

export class FakeHubSpotPort implements HubSpotPort {
  /** Every call, in order, with a copy of its input (also the calls that threw). */
  readonly calls: RecordedCall[] = [];
  /** Calls the test did not set up, in order (each was also thrown). */
  readonly unexpected: UnexpectedHubSpotCall[] = [];
  /** How many national numbers one search holds (`contactSearchChunks`): HubSpot's body limit, simplified. */
  searchChunkSize = 100;
  /** Scopes `checkAccess` reports missing. */
  missingScopes: string[] = [];
  dispositions: Array<{ id: string; label: string }> = Object.entries(DEFAULT_OUTCOMES).map(([label, id]) => ({
    id,
    label: label.replace(/-/g, ' '),
  }));

  private readonly allowed = new Set<PortMethod>();
  private readonly failures: ProgrammedFailure[] = [];
  private readonly refusals: ProgrammedRefusal[] = [];
  private readonly portal: Record<HubSpotObjectType, Map<string, PropertyDefinition>> = {
    contacts: new Map(),
    calls: new Map(),
  };
  private readonly groups = new Set<string>();
  private readonly contactStore = new Map<string, FakeObject>();
  private readonly callStore = new Map<string, FakeCall>();
  /** Ids HubSpot had and no longer has (deleted, or merged into another). */
  private readonly gone: Record<HubSpotObjectType, Set<string>> = { contacts: new Set(), calls: new Set() };
  /** Objects written while search lags, not yet visible to searches. */
  private readonly unindexed = new Set<string>();
  private searchLagging = false;
  private nextContactId = 1001;
  private nextCallId = 5001;

  constructor() {
    for (const [objectType, definitions] of Object.entries(builtInProperties()) as Array<
      [HubSpotObjectType, PropertyDefinition[]]
    >) {
      for (const definition of definitions) this.portal[objectType].set(definition.name, definition);
    }
  }

  // ---- Setting up -------------------------------------------------------------------------------------------

  /** Lets the code under test call these methods; any other throws `UnexpectedHubSpotCall`. */
  allow(...methods: PortMethod[]): this {
    for (const method of methods) this.allowed.add(method);
    return this;
  }

  forbid(...methods: PortMethod[]): this {
    for (const method of methods) this.allowed.delete(method);
    return this;
  }

  /**
   * The next call(s) of `method` throw `error`. A function decides per call (null: this call goes through, and is not
   * counted). `applyFirst`: HubSpot applies the request, then the answer is lost (the error is thrown after).
   */
  failNext<M extends PortMethod>(
    method: M,
    error: Error | ((input: PortInputs[M]) => Error | null),
    options: { times?: number; applyFirst?: boolean } = {},
  ): this {
    this.failures.push({
      method,
      error: typeof error === 'function' ? error : () => error,
      left: options.times ?? 1,
      applyFirst: options.applyFirst ?? false,
    });
    return this;
  }

  /** HubSpot refuses the inputs of a batch write that `refuse` answers a failure for (by default, every time). */
  refuseInputs<M extends BatchMethod>(
    method: M,
    refuse: (input: BatchInput<M>) => InputFailure | null,
    options: { times?: number } = {},
  ): this {
    this.refusals.push({ method, refuse: refuse, left: options.times ?? Number.POSITIVE_INFINITY });
    return this;
  }

  /** Searches stop seeing new objects (HubSpot's search index lags its writes) until `catchUpSearch()`. */
  lagSearch(): this {
    this.searchLagging = true;
    return this;
  }

  catchUpSearch(): this {
    this.searchLagging = false;
    this.unindexed.clear();
    return this;
  }

  defineProperty(objectType: HubSpotObjectType, definition: PropertyDefinition): this {
    this.portal[objectType].set(definition.name, structuredClone(definition));
    return this;
  }

  /** An admin deletes (archives) a property. */
  deleteProperty(objectType: HubSpotObjectType, name: string): this {
    this.portal[objectType].delete(name);
    return this;
  }

  /** An admin replaces a property's options. */
  setOptions(objectType: HubSpotObjectType, name: string, values: string[]): this {
    const definition = this.property(objectType, name);
    definition.options = values.map((value, displayOrder) => ({ label: value, value, displayOrder, hidden: false }));
    return this;
  }

  property(objectType: HubSpotObjectType, name: string): PropertyDefinition {
    const definition = this.portal[objectType].get(name);
    if (!definition) throw new Error(`the fake portal has no ${objectType} property ${name}`);
    return definition;
  }

  hasProperty(objectType: HubSpotObjectType, name: string): boolean {
    return this.portal[objectType].has(name);
  }

  /** A contact created in HubSpot by someone else (visible to search at once). */
  seedContact(properties: Record<string, string>): string {
    const id = String(this.nextContactId++);
    this.contactStore.set(id, { id, properties: { ...properties } });
    return id;
  }

  /** A call created in HubSpot before (visible to search at once). */
  seedCall(properties: Record<string, string>, contactId: string | null = null): string {
    const id = String(this.nextCallId++);
    this.callStore.set(id, { id, properties: { ...properties }, contactIds: contactId ? [contactId] : [] });
    return id;
  }

  /** Sales delete a contact: its id no longer reads; its calls lose the association. */
  deleteContact(id: string): this {
    if (!this.contactStore.delete(id)) throw new Error(`the fake has no contact ${id}`);
    this.gone.contacts.add(id);
    for (const call of this.callStore.values())
      call.contactIds = call.contactIds.filter((contactId) => contactId !== id);
    return this;
  }

  /**
   * Sales merge `mergedId` into `primaryId`: the merged contact's id no longer reads, the primary keeps its values and
   * takes the merged one's where it has none (its unique key too), and the calls move to the primary.
   */
  mergeContacts(primaryId: string, mergedId: string): this {
    const primary = this.contactStore.get(primaryId);
    const merged = this.contactStore.get(mergedId);
    if (!primary || !merged || primary === merged) throw new Error('merge needs two different live contacts');
    for (const [name, value] of Object.entries(merged.properties))
      if (!ownValue(primary.properties, name)) primary.properties[name] = value;
    this.contactStore.delete(mergedId);
    this.gone.contacts.add(mergedId);
    for (const call of this.callStore.values())
      call.contactIds = [
        ...new Set(call.contactIds.map((contactId) => (contactId === mergedId ? primaryId : contactId))),
      ];
    return this;
  }

  deleteCall(id: string): this {
    if (!this.callStore.delete(id)) throw new Error(`the fake has no call ${id}`);
    this.gone.calls.add(id);
    return this;
  }

  // ---- Reading what happened --------------------------------------------------------------------------------

  contact(id: string): FakeObject | undefined {
    return this.contactStore.get(id);
  }

  listContacts(): FakeObject[] {
    return [...this.contactStore.values()];
  }

  listCalls(): FakeCall[] {
    return [...this.callStore.values()];
  }

  /** The method names called, in order. */
  methods(): PortMethod[] {
    return this.calls.map((call) => call.method);
  }

  /** The inputs `method` was called with, in order. */
  inputsOf<M extends PortMethod>(method: M): Array<PortInputs[M]> {
    return this.calls
      .filter((call): call is Extract<RecordedCall, { method: M }> => call.method === method)
      .map((call) => call.input as PortInputs[M]);
  }

  clearCalls(): this {
    this.calls.length = 0;
    return this;
  }

  /** Throws the first call the test did not set up, if any (the code under test may have caught it). */
  assertNoUnexpectedCalls(): void {
    const [first] = this.unexpected;
    if (first) throw new Error(`${this.unexpected.length} unexpected HubSpot call(s); the first: ${first.message}`);
  }

  // ---- The port ---------------------------------------------------------------------------------------------

  listProperties(objectType: HubSpotObjectType): Promise<PropertyDefinition[]> {
    return this.run('listProperties', { objectType }, () =>
      [...this.portal[objectType].values()].map((definition) => structuredClone(definition)),
    );
  }

  ensurePropertyGroup(objectType: HubSpotObjectType, name: string, _label: string): Promise<void> {
    return this.run('ensurePropertyGroup', { objectType, name }, () => {
      this.groups.add(`${objectType}.${name}`);
    });
  }

  createProperty(objectType: HubSpotObjectType, definition: PropertyDefinition): Promise<void> {
    return this.run('createProperty', { objectType, name: definition.name }, () => {
      // A property that exists is a 409, which the adapter takes for success.
      if (!this.portal[objectType].has(definition.name))
        this.portal[objectType].set(definition.name, structuredClone(definition));
    });
  }

  updatePropertyOptions(objectType: HubSpotObjectType, name: string, options: PropertyOption[]): Promise<void> {
    return this.run(
      'updatePropertyOptions',
      { objectType, name, values: options.map((option) => option.value) },
      () => {
        const definition = this.portal[objectType].get(name);
        if (!definition)
          throw this.unexpectedCall('updatePropertyOptions', `the portal has no ${objectType} property ${name}`);
        definition.options = structuredClone(options);
      },
    );
  }

  contactSearchChunks(nationalNumbers: string[], properties: string[]): string[][] {
    this.record('contactSearchChunks', { nationalNumbers, properties });
    this.check('contactSearchChunks');
    const unique = [...new Set(nationalNumbers)];
    return Array.from({ length: Math.ceil(unique.length / this.searchChunkSize) }, (_, index) =>
      unique.slice(index * this.searchChunkSize, (index + 1) * this.searchChunkSize),
    );
  }

  searchContactsByNationalNumber(nationalNumbers: string[], properties: string[]): Promise<HubSpotObject[]> {
    return this.run('searchContactsByNationalNumber', { nationalNumbers, properties }, () => {
      const wanted = new Set(nationalNumbers);
      return this.listContacts()
        .filter((contact) => !this.unindexed.has(`contacts.${contact.id}`))
        .filter((contact) =>
          ['phone', 'mobilephone'].some((name) =>
            wanted.has(searchableNumber(ownValue(contact.properties, name) ?? '') ?? ''),
          ),
        )
        .map((contact) => ({
          id: contact.id,
          properties: Object.fromEntries(properties.map((name) => [name, ownValue(contact.properties, name) ?? null])),
        }));
    });
  }

  upsertContacts(
    idProperty: string,
    inputs: ContactUpsertInput[],
  ): Promise<BatchOutcome<{ id: string; created: boolean }>> {
    return this.run('upsertContacts', { idProperty, inputs }, () => {
      const ids = inputs.map((input) => input.id);
      if (new Set(ids).size < ids.length)
        throw this.unexpectedCall('upsertContacts', 'the same id twice in one batch (the port wants distinct ids)');
      const outcome = emptyOutcome<{ id: string; created: boolean }>();
      for (const input of inputs) {
        const failure =
          this.refusalFor('upsertContacts', input) ??
          this.invalid('contacts', { ...input.properties, [idProperty]: input.id });
        if (failure) {
          outcome.failed.set(input.key, failure);
          continue;
        }
        const existing = this.listContacts().find((contact) => ownValue(contact.properties, idProperty) === input.id);
        if (existing) {
          Object.assign(existing.properties, input.properties);
          outcome.succeeded.set(input.key, { id: existing.id, created: false });
        } else {
          const id = this.create('contacts', { ...input.properties, [idProperty]: input.id });
          outcome.succeeded.set(input.key, { id, created: true });
        }
      }
      return outcome;
    });
  }

  updateContacts(inputs: ObjectUpdateInput[]): Promise<BatchOutcome<{ id: string }>> {
    return this.run('updateContacts', { inputs }, () => this.update('updateContacts', 'contacts', inputs));
  }

  createCalls(keyProperty: string, inputs: CallCreateInput[]): Promise<BatchOutcome<{ id: string }>> {
    return this.run('createCalls', { keyProperty, inputs }, () => {
      const outcome = emptyOutcome<{ id: string }>();
      for (const input of inputs) {
        const properties = { ...input.properties, [keyProperty]: input.key };
        const failure =
          this.refusalFor('createCalls', input) ??
          this.invalidAssociation(input.contactId) ??
          this.invalid('calls', properties);
        if (failure) outcome.failed.set(input.key, failure);
        else outcome.succeeded.set(input.key, { id: this.create('calls', properties, input.contactId) });
      }
      return outcome;
    });
  }

  updateCalls(inputs: ObjectUpdateInput[]): Promise<BatchOutcome<{ id: string }>> {
    return this.run('updateCalls', { inputs }, () => this.update('updateCalls', 'calls', inputs));
  }

  searchCallsByKey(keyProperty: string, keys: string[]): Promise<Map<string, string>> {
    return this.run('searchCallsByKey', { keyProperty, keys }, () => {
      const wanted = new Set(keys.map((key) => key.toLowerCase()));
      const found = new Map<string, string>();
      // Oldest first, as the adapter sorts: the first call holding a key wins.
      for (const call of this.listCalls().sort((a, b) => Number(a.id) - Number(b.id))) {
        const key = ownValue(call.properties, keyProperty)?.toLowerCase();
        if (key && wanted.has(key) && !found.has(key) && !this.unindexed.has(`calls.${call.id}`))
          found.set(key, call.id);
      }
      return found;
    });
  }

  readObjects(
    objectType: HubSpotObjectType,
    ids: string[],
    properties: string[],
  ): Promise<Map<string, Record<string, string | null>>> {
    return this.run('readObjects', { objectType, ids, properties }, () => {
      const found = new Map<string, Record<string, string | null>>();
      for (const id of ids) {
        const object = this.stored(objectType).get(id);
        if (!object) {
          if (this.gone[objectType].has(id)) continue;
          throw this.unexpectedCall('readObjects', `${objectType} ${id} was never created or seeded`);
        }
        found.set(
          id,
          Object.fromEntries(
            properties.map((name) => [
              name,
              name === 'hs_object_id' ? id : (ownValue(object.properties, name) ?? null),
            ]),
          ),
        );
      }
      return found;
    });
  }

  /** A contact's calls (or a call's contacts), the highest ids first; none for an object that is gone. */
  listAssociatedIds(
    fromType: HubSpotObjectType,
    fromId: string,
    toType: HubSpotObjectType,
    limit: number,
  ): Promise<string[]> {
    return this.run('listAssociatedIds', { fromType, fromId, toType, limit }, () => {
      if (!this.stored(fromType).has(fromId)) {
        if (this.gone[fromType].has(fromId)) return [];
        throw this.unexpectedCall('listAssociatedIds', `${fromType} ${fromId} was never created or seeded`);
      }
      if (fromType === toType) return [];
      const ids =
        fromType === 'contacts'
          ? [...this.callStore.values()].filter((call) => call.contactIds.includes(fromId)).map((call) => call.id)
          : [...this.callStore.get(fromId)!.contactIds];
      return ids.sort((a, b) => Number(b) - Number(a)).slice(0, limit);
    });
  }

  listCallDispositions(): Promise<Array<{ id: string; label: string }>> {
    return this.run('listCallDispositions', {}, () => structuredClone(this.dispositions));
  }

  probe(): Promise<void> {
    return this.run('probe', {}, () => undefined);
  }

  /** Files uploaded, by id: where, under which name, and the bytes' size and SHA-256. */
  readonly files = new Map<
    string,
    { folderPath: string; name: string; extension: string; access: string; bytes: number; sha256: string }
  >();

  async uploadFile(upload: FileUpload): Promise<StoredFile> {
    const bytes = 'path' in upload.content ? await readFile(upload.content.path) : upload.content.bytes;
    const { folderPath, name, extension, access } = upload;
    return this.run('uploadFile', { folderPath, name, extension, access, bytes: bytes.length }, () => {
      const id = String(900_000 + this.files.size + 1);
      this.files.set(id, {
        folderPath,
        name,
        extension,
        access,
        bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      });
      return { id, url: `https://files.fake.test/hubfs${folderPath}/${name}.${extension}`, size: bytes.length };
    });
  }

  findFile(folderPath: string, name: string): Promise<StoredFile | null> {
    return this.run('findFile', { folderPath, name }, () => {
      const found = [...this.files].find(([, file]) => file.folderPath === folderPath && file.name === name);
      return found
        ? {
            id: found[0],
            url: `https://files.fake.test/hubfs${folderPath}/${name}.${found[1].extension}`,
            size: found[1].bytes,
          }
        : null;
    });
  }

  checkAccess(options: { files?: boolean } = {}): Promise<AccessReport> {
    return this.run('checkAccess', { files: options.files ?? false }, () => ({
      portalId: '12345678',
      timeZone: 'Asia/Shanghai',
      missingScopes: [...this.missingScopes],
    }));
  }

  // ---- Inside -----------------------------------------------------------------------------------------------

  private record<M extends PortMethod>(method: M, input: PortInputs[M]): void {
    this.calls.push({ method, input: structuredClone(input) } as RecordedCall);
  }

  private check(method: PortMethod): void {
    if (!this.allowed.has(method)) throw this.unexpectedCall(method, 'the test did not allow this method');
  }

  private unexpectedCall(method: PortMethod, reason: string): UnexpectedHubSpotCall {
    const error = new UnexpectedHubSpotCall(method, reason);
    this.unexpected.push(error);
    return error;
  }

  /** Records, checks, then answers or fails as programmed. Async like the adapter: nothing throws synchronously. */
  // eslint-disable-next-line @typescript-eslint/require-await -- async so that a programmed failure rejects, as the adapter's do
  private async run<M extends PortMethod, T>(method: M, input: PortInputs[M], answer: () => T): Promise<T> {
    this.record(method, input);
    this.check(method);
    const failure = this.takeFailure(method, input);
    if (failure && !failure.applyFirst) throw failure.error;
    const result = answer();
    if (failure) throw failure.error;
    return result;
  }

  private takeFailure<M extends PortMethod>(
    method: M,
    input: PortInputs[M],
  ): { error: Error; applyFirst: boolean } | null {
    for (const failure of this.failures) {
      if (failure.method !== method || failure.left <= 0) continue;
      const error = (failure.error as (input: PortInputs[M]) => Error | null)(structuredClone(input));
      if (!error) continue;
      failure.left--;
      return { error, applyFirst: failure.applyFirst };
    }
    return null;
  }

  private refusalFor<M extends BatchMethod>(method: M, input: BatchInput<M>): InputFailure | null {
    for (const refusal of this.refusals) {
      if (refusal.method !== method || refusal.left <= 0) continue;
      const failure = (refusal.refuse as (input: BatchInput<M>) => InputFailure | null)(structuredClone(input));
      if (!failure) continue;
      refusal.left--;
      return failure;
    }
    return null;
  }

  private stored(objectType: HubSpotObjectType): Map<string, FakeObject> {
    return objectType === 'contacts' ? this.contactStore : this.callStore;
  }

  private create(
    objectType: HubSpotObjectType,
    properties: Record<string, string>,
    contactId: string | null = null,
  ): string {
    const id = objectType === 'contacts' ? String(this.nextContactId++) : String(this.nextCallId++);
    if (objectType === 'contacts') this.contactStore.set(id, { id, properties: { ...properties } });
    else this.callStore.set(id, { id, properties: { ...properties }, contactIds: contactId ? [contactId] : [] });
    if (this.searchLagging) this.unindexed.add(`${objectType}.${id}`);
    return id;
  }

  private update(
    method: 'updateContacts' | 'updateCalls',
    objectType: HubSpotObjectType,
    inputs: ObjectUpdateInput[],
  ): BatchOutcome<{ id: string }> {
    const outcome = emptyOutcome<{ id: string }>();
    for (const input of inputs) {
      const object = this.stored(objectType).get(input.id);
      if (!object && !this.gone[objectType].has(input.id))
        throw this.unexpectedCall(method, `${objectType} ${input.id} was never created or seeded`);
      const failure = object
        ? (this.refusalFor(method, input) ?? this.invalid(objectType, input.properties))
        : inputRefusal({
            status: 404,
            category: 'OBJECT_NOT_FOUND',
            codes: ['OBJECT_NOT_FOUND'],
            ids: [input.id],
            message: `resource not found: ${objectType} ${input.id}`,
          });
      if (failure || !object) {
        outcome.failed.set(input.key, failure!);
        continue;
      }
      Object.assign(object.properties, input.properties);
      outcome.succeeded.set(input.key, { id: input.id });
    }
    return outcome;
  }

  /** As HubSpot's emulator answers an association to a contact that no longer exists: 400, naming the id. */
  private invalidAssociation(contactId: string | null): InputFailure | null {
    if (contactId === null || this.contactStore.has(contactId)) return null;
    if (!this.gone.contacts.has(contactId))
      throw this.unexpectedCall('createCalls', `contact ${contactId} was never created or seeded`);
    return inputRefusal({
      message: `One or more associations are invalid: contact ${contactId} does not exist.`,
      ids: [contactId],
    });
  }

  /** Values HubSpot refuses: a property the portal lacks, a value that is not one of an enumeration's options. */
  private invalid(objectType: HubSpotObjectType, properties: Record<string, string>): InputFailure | null {
    const problems: Array<{ property: string; code: string; message: string }> = [];
    for (const [name, value] of Object.entries(properties)) {
      const definition = this.portal[objectType].get(name);
      if (!definition) {
        problems.push({ property: name, code: 'PROPERTY_DOESNT_EXIST', message: `Property "${name}" does not exist` });
        continue;
      }
      if (definition.type !== 'enumeration' || value === '') continue;
      const options = new Set((definition.options ?? []).map((option) => option.value));
      const values = definition.fieldType === 'checkbox' ? value.split(';') : [value];
      for (const refused of values.filter((candidate) => !options.has(candidate))) {
        problems.push({
          property: name,
          code: 'INVALID_OPTION',
          message: `${refused} was not one of the allowed options for ${name}`,
        });
      }
    }
    if (problems.length === 0) return null;
    return {
      ...inputRefusal({
        message: `Property values were not valid: ${problems.map((problem) => problem.message).join('; ')}`,
      }),
      details: {
        ...NO_DETAILS,
        properties: [...new Set(problems.map((problem) => problem.property))],
        codes: [...new Set(problems.map((problem) => problem.code))],
        problems: problems.map(({ property, code }) => ({ property, code })),
      },
    };
  }
}

function emptyOutcome<T>(): BatchOutcome<T> {
  return { succeeded: new Map(), failed: new Map() };
}
