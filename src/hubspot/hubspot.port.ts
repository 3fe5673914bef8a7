/**
 * Everything the connector asks of HubSpot. Only the SDK adapter implements it (and only it imports
 * `@hubspot/api-client`); the sync logic and its unit tests see nothing but this interface.
 */
import { Inject } from '@nestjs/common';
import type { HubSpotErrorDetails } from './hubspot-errors.js';

export const HUBSPOT_PORT = Symbol('HUBSPOT_PORT');

/** Injects the HubSpot port (`@InjectHubSpot() hubspot: HubSpotPort`): the adapter in the application, a fake in unit tests. */
export const InjectHubSpot = (): PropertyDecorator & ParameterDecorator => Inject(HUBSPOT_PORT);

export type HubSpotObjectType = 'contacts' | 'calls';

export interface PropertyOption {
  label: string;
  value: string;
  displayOrder?: number;
  hidden?: boolean;
}

export interface PropertyDefinition {
  name: string;
  label: string;
  type: 'string' | 'number' | 'enumeration' | 'datetime' | 'date' | 'bool';
  fieldType:
    | 'text'
    | 'textarea'
    | 'html'
    | 'phonenumber'
    | 'number'
    | 'select'
    | 'radio'
    | 'checkbox'
    | 'booleancheckbox'
    | 'date';
  groupName?: string;
  description?: string;
  hasUniqueValue?: boolean;
  options?: PropertyOption[];
}

export type Properties = Record<string, string>;

export interface HubSpotObject {
  id: string;
  /** Values of the properties asked for (null: empty). A property the search could not ask for is absent. */
  properties: Record<string, string | null>;
}

/** Why one input of a batch failed. `retryable` failures are tried again later; the rest are dead-lettered. */
export interface InputFailure {
  retryable: boolean;
  status: number | null;
  category: string | null;
  message: string;
  correlationId: string | null;
  /** What HubSpot's answer names (properties, codes, ids), for healing a stale cache and for messages. */
  details: HubSpotErrorDetails;
  /**
   * HubSpot refused the batch as a whole and this input's part in it was not found out (the isolation budget ran
   * out): it is sent again later, without counting an attempt.
   */
  unresolved?: boolean;
}

/** What the token may do in the portal (see `HubSpotPort.checkAccess`). */
export interface AccessReport {
  portalId: string | null;
  timeZone: string | null;
  /** Scopes the connector needs that HubSpot says the token lacks. */
  missingScopes: string[];
}

/** Per-input outcome of a batch write, keyed by the caller's key for each input. */
export interface BatchOutcome<T> {
  succeeded: Map<string, T>;
  failed: Map<string, InputFailure>;
}

export interface ContactUpsertInput {
  /** The caller's key for this input (the E.164 number). */
  key: string;
  /** The unique property's value: the contact's identity. */
  id: string;
  properties: Properties;
}

export interface ObjectUpdateInput {
  key: string;
  id: string;
  properties: Properties;
}

export interface CallCreateInput {
  /** The vendor call key; also written to the call's key property so results can be matched and found later. */
  key: string;
  properties: Properties;
  contactId: string | null;
}

/** HubSpot File Manager access levels the connector uses (HubSpot files guide: `options.access`). */
export type FileAccess = 'PRIVATE' | 'PUBLIC_NOT_INDEXABLE';

/** A file to put in HubSpot's File Manager. Its bytes are streamed from `path` (or sent from `bytes`). */
export interface FileUpload {
  /** The folder, created as needed (`/ai-calls/2026-11`). */
  folderPath: string;
  /** The name without extension (`voicefox-1234`): what a lost upload is looked up by. */
  name: string;
  extension: string;
  contentType: string;
  access: FileAccess;
  content: { path: string } | { bytes: Buffer };
}

/** A file in HubSpot's File Manager. `url`: its address (for a private file, one that needs a signed URL). */
export interface StoredFile {
  id: string;
  url: string | null;
  size: number | null;
}

export interface HubSpotPort {
  listProperties(objectType: HubSpotObjectType): Promise<PropertyDefinition[]>;
  /** Creates the group; an existing one is fine. */
  ensurePropertyGroup(objectType: HubSpotObjectType, name: string, label: string): Promise<void>;
  createProperty(objectType: HubSpotObjectType, definition: PropertyDefinition): Promise<void>;
  /** Replaces the options of an enumeration property (HubSpot replaces the list as a whole). */
  updatePropertyOptions(objectType: HubSpotObjectType, name: string, options: PropertyOption[]): Promise<void>;

  /**
   * Contacts whose calculated phone or mobile number equals one of the national numbers (digits, no country code).
   * `properties` in order of need: when a search body would not fit HubSpot's size limit with all of them, the last
   * ones are left out (absent from the results), never the numbers.
   */
  searchContactsByNationalNumber(nationalNumbers: string[], properties: string[]): Promise<HubSpotObject[]>;
  /** How `searchContactsByNationalNumber` would split these values into searches (no request is sent). */
  contactSearchChunks(nationalNumbers: string[], properties: string[]): string[][];
  /** Batch upsert (≤ 100 inputs, distinct ids) on a unique property. Result per input: the contact id and whether it is new. */
  upsertContacts(
    idProperty: string,
    inputs: ContactUpsertInput[],
  ): Promise<BatchOutcome<{ id: string; created: boolean }>>;
  updateContacts(inputs: ObjectUpdateInput[]): Promise<BatchOutcome<{ id: string }>>;

  /**
   * Batch create (≤ 100), each associated to its contact. Not idempotent: a failure that leaves HubSpot's outcome
   * unknown (5xx, time-out, dropped connection) is thrown as `HubSpotOutcomeUnknownError`, never sent again here.
   */
  createCalls(keyProperty: string, inputs: CallCreateInput[]): Promise<BatchOutcome<{ id: string }>>;
  updateCalls(inputs: ObjectUpdateInput[]): Promise<BatchOutcome<{ id: string }>>;
  /**
   * Calls whose key property holds one of `keys` (recovery after a crash between HubSpot's answer and the ledger).
   * The answer is keyed by the lowercased key: HubSpot compares strings without case.
   */
  searchCallsByKey(keyProperty: string, keys: string[]): Promise<Map<string, string>>;

  /** Current values of some properties of contacts or calls, by id (batch read, ≤ 100 per request). */
  readObjects(
    objectType: HubSpotObjectType,
    ids: string[],
    properties: string[],
  ): Promise<Map<string, Record<string, string | null>>>;
  /**
   * Uploads a file. Not idempotent: an answer that never came (5xx, time-out) is thrown as
   * `HubSpotOutcomeUnknownError` and never sent again here (the caller looks the file up by name first).
   */
  uploadFile(upload: FileUpload): Promise<StoredFile>;
  /** The file named `name` (without extension) in the folder, if HubSpot has it (the newest, if several). */
  findFile(folderPath: string, name: string): Promise<StoredFile | null>;

  /**
   * The ids of the objects of `toType` associated with one object (a contact's calls), at most `limit` of them (the
   * newest by id first, where HubSpot holds more). An object that does not exist has none.
   */
  listAssociatedIds(
    fromType: HubSpotObjectType,
    fromId: string,
    toType: HubSpotObjectType,
    limit: number,
  ): Promise<string[]>;

  /** The portal's call outcomes (`hs_call_disposition` values): GUID and label. */
  listCallDispositions(): Promise<Array<{ id: string; label: string }>>;

  /** A cheap authenticated request: tells whether HubSpot takes requests again (token fixed, day reset). */
  probe(): Promise<void>;
  /**
   * The token's portal, and which of the scopes the connector needs it lacks (one cheap request per scope);
   * `files` among them only when asked (recordings are kept in HubSpot).
   */
  checkAccess(options?: { files?: boolean }): Promise<AccessReport>;
}
