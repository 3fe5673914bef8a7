/** The CRM object types the emulator keeps, and the per-type facts HubSpot's answers depend on. */
import { HubSpotApiError } from './emulator-error.js';

export type CrmObjectType = 'contacts' | 'calls';

export const CRM_OBJECT_TYPES: readonly CrmObjectType[] = ['contacts', 'calls'];

export interface CrmObjectTypeInfo {
  readonly name: CrmObjectType;
  readonly objectTypeId: string;
  /** As HubSpot writes it in "Contact already exists" and "Could not get some CONTACT objects". */
  readonly singularLabel: string;
  readonly upperName: string;
  readonly createdDateProperty: string;
  readonly modifiedDateProperty: string;
  /** Returned when a read names no `properties`. */
  readonly defaultProperties: readonly string[];
  /** Always returned alongside requested properties. */
  readonly alwaysReturnedProperties: readonly string[];
  /** Must have a value after every write (set on create, never cleared). */
  readonly requiredProperties: readonly string[];
  /** What the free-text `query` of a search looks at. */
  readonly queryProperties: readonly string[];
}

const CONTACTS: CrmObjectTypeInfo = {
  name: 'contacts',
  objectTypeId: '0-1',
  singularLabel: 'Contact',
  upperName: 'CONTACT',
  createdDateProperty: 'createdate',
  modifiedDateProperty: 'lastmodifieddate',
  defaultProperties: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  alwaysReturnedProperties: ['createdate', 'hs_object_id', 'lastmodifieddate'],
  requiredProperties: [],
  queryProperties: ['firstname', 'lastname', 'email', 'phone', 'mobilephone', 'company'],
};

const CALLS: CrmObjectTypeInfo = {
  name: 'calls',
  objectTypeId: '0-48',
  singularLabel: 'Call',
  upperName: 'CALL',
  createdDateProperty: 'hs_createdate',
  modifiedDateProperty: 'hs_lastmodifieddate',
  defaultProperties: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  alwaysReturnedProperties: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  requiredProperties: ['hs_timestamp'],
  queryProperties: ['hs_call_title', 'hs_call_body'],
};

export const OBJECT_TYPE_INFO: Readonly<Record<CrmObjectType, CrmObjectTypeInfo>> = {
  contacts: CONTACTS,
  calls: CALLS,
};

const PATH_ALIASES: ReadonlyMap<string, CrmObjectType> = new Map([
  ['contacts', 'contacts'],
  ['contact', 'contacts'],
  ['0-1', 'contacts'],
  ['calls', 'calls'],
  ['call', 'calls'],
  ['0-48', 'calls'],
]);

/** Maps the `{objectType}` path segment (name, singular or type id, as HubSpot accepts) to a known type. */
export function resolveObjectType(segment: string): CrmObjectType | undefined {
  return PATH_ALIASES.get(segment.toLowerCase());
}

/** Like resolveObjectType, for a path parameter: an unknown type is HubSpot's 400. */
export function requireObjectType(segment: string | undefined): CrmObjectType {
  const objectType = segment === undefined ? undefined : resolveObjectType(segment);
  if (!objectType) throw HubSpotApiError.validation(`Unable to infer object type from: ${segment ?? ''}`);
  return objectType;
}

export interface AssociationDefinition {
  readonly from: CrmObjectType;
  readonly to: CrmObjectType;
  readonly typeId: number;
  /** The `type` HubSpot shows in v3 association results. */
  readonly label: string;
}

/** Only the HUBSPOT_DEFINED pair the connector uses; companies and deals are not emulated. */
export const ASSOCIATION_DEFINITIONS: readonly AssociationDefinition[] = [
  { from: 'calls', to: 'contacts', typeId: 194, label: 'call_to_contact' },
  { from: 'contacts', to: 'calls', typeId: 193, label: 'contact_to_call' },
];

export function associationByTypeId(from: CrmObjectType, typeId: number): AssociationDefinition | undefined {
  return ASSOCIATION_DEFINITIONS.find((definition) => definition.from === from && definition.typeId === typeId);
}

export function associationBetween(from: CrmObjectType, to: CrmObjectType): AssociationDefinition | undefined {
  return ASSOCIATION_DEFINITIONS.find((definition) => definition.from === from && definition.to === to);
}
