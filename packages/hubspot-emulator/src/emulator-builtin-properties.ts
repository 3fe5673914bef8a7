/**
 * The HubSpot-defined properties and groups a fresh portal has, limited to what the connector reads or writes,
 * plus the portal's default call outcomes (dispositions).
 */
import type {
  PropertyDefinition,
  PropertyGroupDefinition,
  PropertyOption,
  PropertyType,
} from './emulator-property-definition.js';
import type { CrmObjectType } from './emulator-object-types.js';

interface BuiltInPropertySpec {
  name: string;
  label: string;
  type: PropertyType;
  fieldType: string;
  groupName: string;
  options?: readonly (readonly [value: string, label: string])[];
  hasUniqueValue?: boolean;
  calculated?: boolean;
  readOnlyValue?: boolean;
  readOnlyDefinition?: boolean;
  externalOptions?: boolean;
}

/** HubSpot's default call outcomes (hubspot.md, "Calls"). */
export const DEFAULT_CALL_DISPOSITIONS: readonly { id: string; label: string }[] = [
  { id: '9d9162e7-6cf3-4944-bf63-4dff82258764', label: 'Busy' },
  { id: 'f240bbac-87c9-4f6e-bf70-924b57d47db7', label: 'Connected' },
  { id: 'a4c4c377-d246-4b32-a13b-75a56a4cd0ff', label: 'Left live message' },
  { id: 'b2cf5968-551e-4856-9783-52b3da59a7d0', label: 'Left voicemail' },
  { id: '73a0d17f-1163-4015-bdd5-ec830791da20', label: 'No answer' },
  { id: '17b47fee-58de-441e-a44c-c6300d46f273', label: 'Wrong number' },
];

export const CALL_STATUS_VALUES = [
  'BUSY',
  'CALLING_CRM_USER',
  'CANCELED',
  'COMPLETED',
  'CONNECTING',
  'FAILED',
  'IN_PROGRESS',
  'NO_ANSWER',
  'QUEUED',
  'RINGING',
] as const;

const LIFECYCLE_STAGES = [
  ['subscriber', 'Subscriber'],
  ['lead', 'Lead'],
  ['marketingqualifiedlead', 'Marketing Qualified Lead'],
  ['salesqualifiedlead', 'Sales Qualified Lead'],
  ['opportunity', 'Opportunity'],
  ['customer', 'Customer'],
  ['evangelist', 'Evangelist'],
  ['other', 'Other'],
] as const;

const LEAD_STATUSES = [
  ['NEW', 'New'],
  ['OPEN', 'Open'],
  ['IN_PROGRESS', 'In Progress'],
  ['OPEN_DEAL', 'Open Deal'],
  ['UNQUALIFIED', 'Unqualified'],
  ['ATTEMPTED_TO_CONTACT', 'Attempted to Contact'],
  ['CONNECTED', 'Connected'],
  ['BAD_TIMING', 'Bad Timing'],
] as const;

const SYSTEM = { readOnlyValue: true, readOnlyDefinition: true } as const;

const CONTACT_PROPERTIES: readonly BuiltInPropertySpec[] = [
  {
    name: 'email',
    label: 'Email',
    type: 'string',
    fieldType: 'text',
    groupName: 'contactinformation',
    hasUniqueValue: true,
  },
  { name: 'firstname', label: 'First Name', type: 'string', fieldType: 'text', groupName: 'contactinformation' },
  { name: 'lastname', label: 'Last Name', type: 'string', fieldType: 'text', groupName: 'contactinformation' },
  { name: 'phone', label: 'Phone Number', type: 'string', fieldType: 'phonenumber', groupName: 'contactinformation' },
  {
    name: 'mobilephone',
    label: 'Mobile Phone Number',
    type: 'string',
    fieldType: 'phonenumber',
    groupName: 'contactinformation',
  },
  { name: 'company', label: 'Company Name', type: 'string', fieldType: 'text', groupName: 'contactinformation' },
  { name: 'jobtitle', label: 'Job Title', type: 'string', fieldType: 'text', groupName: 'contactinformation' },
  { name: 'address', label: 'Street Address', type: 'string', fieldType: 'text', groupName: 'contactinformation' },
  { name: 'city', label: 'City', type: 'string', fieldType: 'text', groupName: 'contactinformation' },
  { name: 'state', label: 'State/Region', type: 'string', fieldType: 'text', groupName: 'contactinformation' },
  { name: 'zip', label: 'Postal Code', type: 'string', fieldType: 'text', groupName: 'contactinformation' },
  { name: 'country', label: 'Country/Region', type: 'string', fieldType: 'text', groupName: 'contactinformation' },
  { name: 'website', label: 'Website URL', type: 'string', fieldType: 'text', groupName: 'contactinformation' },
  {
    name: 'lifecyclestage',
    label: 'Lifecycle Stage',
    type: 'enumeration',
    fieldType: 'radio',
    groupName: 'contactinformation',
    options: LIFECYCLE_STAGES,
  },
  {
    // Marketing contacts are billed. HubSpot KB: the status cannot be modified through the API (hubspot.md, "Hard
    // limits"); what a write of it gets is EmulatorLimits.marketableStatusWrites (see the value validator).
    name: 'hs_marketable_status',
    label: 'Marketing contact status',
    type: 'enumeration',
    fieldType: 'booleancheckbox',
    groupName: 'contactinformation',
    options: [
      ['true', 'Marketing contact'],
      ['false', 'Non-marketing contact'],
    ],
    readOnlyValue: true,
  },
  {
    name: 'hs_lead_status',
    label: 'Lead Status',
    type: 'enumeration',
    fieldType: 'radio',
    groupName: 'contactinformation',
    options: LEAD_STATUSES,
  },
  {
    name: 'hubspot_owner_id',
    label: 'Contact owner',
    type: 'enumeration',
    fieldType: 'select',
    groupName: 'contactinformation',
    externalOptions: true,
  },
  {
    name: 'hs_searchable_calculated_phone_number',
    label: 'Phone Number (searchable)',
    type: 'string',
    fieldType: 'phonenumber',
    groupName: 'contactinformation',
    calculated: true,
    ...SYSTEM,
  },
  {
    name: 'hs_searchable_calculated_mobile_number',
    label: 'Mobile Phone Number (searchable)',
    type: 'string',
    fieldType: 'phonenumber',
    groupName: 'contactinformation',
    calculated: true,
    ...SYSTEM,
  },
  {
    // hubspot.md, "When the portal changes under the connector": a merge leaves the merged-away ids here,
    // `;`-separated. HubSpot shows it as a multi-select; the emulator keeps the text (CONTAINS_TOKEN finds one id).
    name: 'hs_merged_object_ids',
    label: 'Merged record IDs',
    type: 'string',
    fieldType: 'text',
    groupName: 'contactinformation',
    calculated: true,
    ...SYSTEM,
  },
  {
    name: 'createdate',
    label: 'Create Date',
    type: 'datetime',
    fieldType: 'date',
    groupName: 'contactinformation',
    ...SYSTEM,
  },
  {
    name: 'lastmodifieddate',
    label: 'Last Modified Date',
    type: 'datetime',
    fieldType: 'date',
    groupName: 'contactinformation',
    ...SYSTEM,
  },
  {
    name: 'hs_object_id',
    label: 'Record ID',
    type: 'number',
    fieldType: 'number',
    groupName: 'contactinformation',
    ...SYSTEM,
  },
];

const CALL_PROPERTIES: readonly BuiltInPropertySpec[] = [
  { name: 'hs_timestamp', label: 'Activity date', type: 'datetime', fieldType: 'date', groupName: 'callinformation' },
  { name: 'hs_call_title', label: 'Call Title', type: 'string', fieldType: 'text', groupName: 'callinformation' },
  { name: 'hs_call_body', label: 'Call notes', type: 'string', fieldType: 'html', groupName: 'callinformation' },
  {
    name: 'hs_call_direction',
    label: 'Call direction',
    type: 'enumeration',
    fieldType: 'select',
    groupName: 'callinformation',
    options: [
      ['INBOUND', 'Inbound'],
      ['OUTBOUND', 'Outbound'],
    ],
    readOnlyDefinition: true,
  },
  {
    name: 'hs_call_status',
    label: 'Call status',
    type: 'enumeration',
    fieldType: 'select',
    groupName: 'callinformation',
    options: CALL_STATUS_VALUES.map(
      (value) => [value, value.charAt(0) + value.slice(1).toLowerCase().replaceAll('_', ' ')] as const,
    ),
    readOnlyDefinition: true,
  },
  {
    // Assumption: validated against the portal's outcomes, so a label sent instead of a GUID fails loudly.
    name: 'hs_call_disposition',
    label: 'Call outcome',
    type: 'enumeration',
    fieldType: 'select',
    groupName: 'callinformation',
    options: DEFAULT_CALL_DISPOSITIONS.map(({ id, label }) => [id, label] as const),
    readOnlyDefinition: true,
  },
  {
    name: 'hs_call_duration',
    label: 'Call duration (ms)',
    type: 'number',
    fieldType: 'number',
    groupName: 'callinformation',
  },
  {
    name: 'hs_call_from_number',
    label: 'From number',
    type: 'string',
    fieldType: 'text',
    groupName: 'callinformation',
  },
  { name: 'hs_call_to_number', label: 'To number', type: 'string', fieldType: 'text', groupName: 'callinformation' },
  {
    name: 'hs_call_recording_url',
    label: 'Recording URL',
    type: 'string',
    fieldType: 'text',
    groupName: 'callinformation',
  },
  {
    name: 'hs_attachment_ids',
    label: 'Attached file IDs',
    type: 'string',
    fieldType: 'text',
    groupName: 'callinformation',
  },
  {
    name: 'hubspot_owner_id',
    label: 'Activity assigned to',
    type: 'enumeration',
    fieldType: 'select',
    groupName: 'callinformation',
    externalOptions: true,
  },
  {
    name: 'hs_createdate',
    label: 'Created at',
    type: 'datetime',
    fieldType: 'date',
    groupName: 'callinformation',
    ...SYSTEM,
  },
  {
    name: 'hs_lastmodifieddate',
    label: 'Last modified date',
    type: 'datetime',
    fieldType: 'date',
    groupName: 'callinformation',
    ...SYSTEM,
  },
  {
    name: 'hs_object_id',
    label: 'Record ID',
    type: 'number',
    fieldType: 'number',
    groupName: 'callinformation',
    ...SYSTEM,
  },
];

const BUILT_IN_PROPERTIES: Readonly<Record<CrmObjectType, readonly BuiltInPropertySpec[]>> = {
  contacts: CONTACT_PROPERTIES,
  calls: CALL_PROPERTIES,
};

const BUILT_IN_GROUPS: Readonly<Record<CrmObjectType, readonly PropertyGroupDefinition[]>> = {
  contacts: [{ name: 'contactinformation', label: 'Contact information', displayOrder: 0 }],
  calls: [{ name: 'callinformation', label: 'Call information', displayOrder: 0 }],
};

/** Fresh copies, so that edits to a portal's definitions never leak into the next reset. */
export function builtInPropertyDefinitions(objectType: CrmObjectType, createdAt: string): PropertyDefinition[] {
  return BUILT_IN_PROPERTIES[objectType].map((spec, index) => ({
    name: spec.name,
    label: spec.label,
    type: spec.type,
    fieldType: spec.fieldType,
    groupName: spec.groupName,
    description: '',
    options: (spec.options ?? []).map(([value, label], displayOrder): PropertyOption => ({
      label,
      value,
      description: '',
      displayOrder,
      hidden: false,
    })),
    displayOrder: index,
    hasUniqueValue: spec.hasUniqueValue ?? false,
    hidden: false,
    formField: !spec.readOnlyValue,
    calculated: spec.calculated ?? false,
    externalOptions: spec.externalOptions ?? false,
    hubspotDefined: true,
    readOnlyValue: spec.readOnlyValue ?? false,
    readOnlyDefinition: spec.readOnlyDefinition ?? false,
    createdAt,
    updatedAt: createdAt,
  }));
}

export function builtInPropertyGroups(objectType: CrmObjectType): PropertyGroupDefinition[] {
  return BUILT_IN_GROUPS[objectType].map((group) => ({ ...group }));
}
