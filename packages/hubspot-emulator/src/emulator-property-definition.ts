/** The shape of a property definition and the rules HubSpot applies to its type and field type. */

export type PropertyType = 'string' | 'number' | 'enumeration' | 'bool' | 'date' | 'datetime';

export const PROPERTY_TYPES: readonly PropertyType[] = ['string', 'number', 'enumeration', 'bool', 'date', 'datetime'];

/** Which fieldType each type accepts (hubspot.md, "Properties"). */
export const FIELD_TYPES_BY_TYPE: Readonly<Record<PropertyType, readonly string[]>> = {
  string: ['text', 'textarea', 'html', 'phonenumber'],
  number: ['number'],
  enumeration: ['select', 'radio', 'checkbox', 'booleancheckbox'],
  bool: ['booleancheckbox'],
  date: ['date'],
  datetime: ['date'],
};

export interface PropertyOption {
  label: string;
  value: string;
  description: string;
  displayOrder: number;
  hidden: boolean;
}

export interface PropertyDefinition {
  name: string;
  label: string;
  type: PropertyType;
  fieldType: string;
  groupName: string;
  description: string;
  options: PropertyOption[];
  displayOrder: number;
  hasUniqueValue: boolean;
  hidden: boolean;
  formField: boolean;
  calculated: boolean;
  /** Options come from elsewhere in HubSpot (owners); values are not checked against `options`. */
  externalOptions: boolean;
  hubspotDefined: boolean;
  readOnlyValue: boolean;
  readOnlyDefinition: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface PropertyGroupDefinition {
  name: string;
  label: string;
  displayOrder: number;
}

export const MAX_CUSTOM_UNIQUE_PROPERTIES = 10;
export const MAX_STRING_LENGTH = 65_536;
/**
 * HubSpot KB, property field types (https://knowledge.hubspot.com/properties/property-field-types-in-hubspot;
 * hubspot.md, "Hard limits"): a select or checkbox property "stores up to 5000 options" and "each option has a
 * maximum of 3,000 characters, including its label, value, and description".
 */
export const MAX_ENUMERATION_OPTIONS = 5_000;
export const MAX_OPTION_CHARACTERS = 3_000;

/** A property as `GET /crm/v3/properties/{objectType}/{name}` returns it. */
export function presentProperty(definition: PropertyDefinition): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: definition.name,
    label: definition.label,
    type: definition.type,
    fieldType: definition.fieldType,
    description: definition.description,
    groupName: definition.groupName,
    options: definition.options.map((option) => ({ ...option })),
    displayOrder: definition.displayOrder,
    calculated: definition.calculated,
    externalOptions: definition.externalOptions,
    hasUniqueValue: definition.hasUniqueValue,
    hidden: definition.hidden,
    modificationMetadata: {
      archivable: !definition.hubspotDefined,
      readOnlyDefinition: definition.readOnlyDefinition,
      readOnlyValue: definition.readOnlyValue,
    },
    formField: definition.formField,
    createdAt: definition.createdAt,
    updatedAt: definition.updatedAt,
    archived: false,
  };
  if (definition.hubspotDefined) body.hubspotDefined = true;
  return body;
}

export function presentGroup(group: PropertyGroupDefinition): Record<string, unknown> {
  return { name: group.name, label: group.label, displayOrder: group.displayOrder, archived: false };
}
