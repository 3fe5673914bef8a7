/** The portal's property definitions and groups per object type, with HubSpot's rules for changing them. */
import { builtInPropertyDefinitions, builtInPropertyGroups } from './emulator-builtin-properties.js';
import { HubSpotApiError } from './emulator-error.js';
import { CRM_OBJECT_TYPES, type CrmObjectType } from './emulator-object-types.js';
import { ownValue } from './emulator-own-value.js';
import {
  FIELD_TYPES_BY_TYPE,
  MAX_CUSTOM_UNIQUE_PROPERTIES,
  MAX_ENUMERATION_OPTIONS,
  MAX_OPTION_CHARACTERS,
  PROPERTY_TYPES,
  type PropertyDefinition,
  type PropertyGroupDefinition,
  type PropertyOption,
  type PropertyType,
} from './emulator-property-definition.js';

export interface SavedPropertyRegistry {
  properties: Record<string, PropertyDefinition[]>;
  groups: Record<string, PropertyGroupDefinition[]>;
}

/** How a property write is checked beyond the rules that hold on every path. */
export interface PropertyWriteOptions {
  /**
   * Refuse options without `displayOrder`: required in the 2026-09 properties spec (hubspot.md, "Versions and
   * auth"); v3 and 2026-03 default it to the option's position.
   */
  requireOptionDisplayOrder?: boolean;
  /** The portal's cap on custom properties per object (EmulatorLimits.customPropertiesPerObject); none when absent. */
  maxCustomProperties?: number;
}

const NAME_PATTERN = /^[a-z][a-z0-9_]*$/;
const MAX_NAME_LENGTH = 100;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class PropertyRegistry {
  private definitions = new Map<CrmObjectType, Map<string, PropertyDefinition>>();
  private groups = new Map<CrmObjectType, Map<string, PropertyGroupDefinition>>();
  /** Cached per type because every object write consults it. */
  private uniqueNamesCache = new Map<CrmObjectType, readonly string[]>();

  constructor(private readonly clock: () => number = Date.now) {
    this.resetToBuiltIns();
  }

  resetToBuiltIns(): void {
    const seededAt = new Date(this.clock()).toISOString();
    for (const objectType of CRM_OBJECT_TYPES) {
      this.definitions.set(
        objectType,
        new Map(builtInPropertyDefinitions(objectType, seededAt).map((definition) => [definition.name, definition])),
      );
      this.groups.set(objectType, new Map(builtInPropertyGroups(objectType).map((group) => [group.name, group])));
    }
    this.uniqueNamesCache.clear();
  }

  get(objectType: CrmObjectType, name: string): PropertyDefinition | undefined {
    return this.definitionsOf(objectType).get(name);
  }

  typeOf(objectType: CrmObjectType, name: string): PropertyType | undefined {
    return this.definitionsOf(objectType).get(name)?.type;
  }

  list(objectType: CrmObjectType): PropertyDefinition[] {
    return [...this.definitionsOf(objectType).values()];
  }

  /** Names of all unique-valued properties (email plus custom ones), the keys upsert and conflicts use. */
  uniqueNames(objectType: CrmObjectType): readonly string[] {
    let names = this.uniqueNamesCache.get(objectType);
    if (!names) {
      names = this.list(objectType)
        .filter((definition) => definition.hasUniqueValue)
        .map((definition) => definition.name);
      this.uniqueNamesCache.set(objectType, names);
    }
    return names;
  }

  /**
   * Adds a call outcome, as an admin does in HubSpot's calling settings (the API cannot change the HubSpot-defined
   * `hs_call_disposition`); the outcome becomes one of its options and is listed by `/calling/v1/dispositions`.
   */
  addCallDisposition(label: string, id: string): void {
    const definition = this.definitionsOf('calls').get('hs_call_disposition');
    if (!definition) throw new Error('hs_call_disposition is missing');
    if (definition.options.some((option) => option.value === id)) return;
    definition.options.push({
      label,
      value: id,
      description: '',
      displayOrder: definition.options.length,
      hidden: false,
    });
  }

  create(objectType: CrmObjectType, input: unknown, options: PropertyWriteOptions = {}): PropertyDefinition {
    if (!isObject(input))
      throw HubSpotApiError.validation('Invalid input JSON: expected a property definition object.');
    const name = requireString(input, 'name');
    const label = requireString(input, 'label');
    const groupName = requireString(input, 'groupName');
    const type = parseType(input.type);
    const fieldType = requireString(input, 'fieldType');
    assertFieldTypeFits(type, fieldType);

    if (name.length > MAX_NAME_LENGTH || !NAME_PATTERN.test(name)) {
      throw HubSpotApiError.validation(
        `Property name "${name}" is invalid: use lowercase letters, digits and underscores, starting with a letter.`,
      );
    }
    // HubSpot reserves the hs_ prefix for its own properties.
    if (name.startsWith('hs_')) {
      throw HubSpotApiError.validation(`Property name "${name}" is invalid: the "hs_" prefix is reserved by HubSpot.`);
    }
    const definitions = this.definitionsOf(objectType);
    if (definitions.has(name)) throw HubSpotApiError.conflict(`Property named '${name}' already exists.`);
    this.assertGroupExists(objectType, groupName);

    const hasUniqueValue = optionalBoolean(input, 'hasUniqueValue') ?? false;
    if (hasUniqueValue) this.assertUniqueAllowed(objectType, type, fieldType);
    const parsedOptions = parseOptions(input.options, type, fieldType, name, options);
    if (options.maxCustomProperties !== undefined) {
      this.assertCustomPropertyRoom(objectType, name, options.maxCustomProperties);
    }

    const now = new Date(this.clock()).toISOString();
    const definition: PropertyDefinition = {
      name,
      label,
      type,
      fieldType,
      groupName,
      description: optionalString(input, 'description') ?? '',
      options: parsedOptions,
      displayOrder: optionalNumber(input, 'displayOrder') ?? -1,
      hasUniqueValue,
      hidden: optionalBoolean(input, 'hidden') ?? false,
      formField: optionalBoolean(input, 'formField') ?? false,
      calculated: false,
      externalOptions: false,
      hubspotDefined: false,
      readOnlyValue: false,
      readOnlyDefinition: false,
      createdAt: now,
      updatedAt: now,
    };
    definitions.set(name, definition);
    this.uniqueNamesCache.delete(objectType);
    return definition;
  }

  update(
    objectType: CrmObjectType,
    name: string,
    input: unknown,
    options: PropertyWriteOptions = {},
  ): PropertyDefinition {
    if (!isObject(input)) throw HubSpotApiError.validation('Invalid input JSON: expected a property update object.');
    const current = this.get(objectType, name);
    if (!current) throw HubSpotApiError.notFound(`Unable to find property ${name}`);
    if (current.readOnlyDefinition) {
      throw HubSpotApiError.validation(
        `Property ${name} is a HubSpot-defined property whose definition cannot be changed.`,
      );
    }
    if (input.hasUniqueValue !== undefined && input.hasUniqueValue !== current.hasUniqueValue) {
      throw HubSpotApiError.validation(
        `hasUniqueValue cannot be changed after a property is created (property ${name}).`,
      );
    }
    const type = input.type === undefined ? current.type : parseType(input.type);
    const fieldType = optionalString(input, 'fieldType') ?? current.fieldType;
    assertFieldTypeFits(type, fieldType);
    const groupName = optionalString(input, 'groupName') ?? current.groupName;
    this.assertGroupExists(objectType, groupName);

    const updated: PropertyDefinition = {
      ...current,
      label: optionalString(input, 'label') ?? current.label,
      description: optionalString(input, 'description') ?? current.description,
      type,
      fieldType,
      groupName,
      // HubSpot replaces the option list as a whole on PATCH.
      options:
        input.options === undefined ? current.options : parseOptions(input.options, type, fieldType, name, options),
      displayOrder: optionalNumber(input, 'displayOrder') ?? current.displayOrder,
      hidden: optionalBoolean(input, 'hidden') ?? current.hidden,
      formField: optionalBoolean(input, 'formField') ?? current.formField,
      updatedAt: new Date(this.clock()).toISOString(),
    };
    this.definitionsOf(objectType).set(name, updated);
    return updated;
  }

  /**
   * `DELETE /crm/v3/properties/{objectType}/{propertyName}` archives a custom property (properties guide); HubSpot's
   * own properties cannot be archived. Afterwards writes naming it fail with PROPERTY_DOESNT_EXIST.
   */
  archive(objectType: CrmObjectType, name: string): void {
    const current = this.get(objectType, name);
    if (!current) throw HubSpotApiError.notFound(`Unable to find property ${name}`);
    if (current.hubspotDefined)
      throw HubSpotApiError.validation(`Property ${name} is a HubSpot-defined property and cannot be archived.`);
    this.definitionsOf(objectType).delete(name);
    this.uniqueNamesCache.delete(objectType);
  }

  listGroups(objectType: CrmObjectType): PropertyGroupDefinition[] {
    return [...this.groupsOf(objectType).values()];
  }

  getGroup(objectType: CrmObjectType, name: string): PropertyGroupDefinition | undefined {
    return this.groupsOf(objectType).get(name);
  }

  /** `PATCH …/groups/{groupName}`: label and display order; an empty update changes nothing and answers the group. */
  updateGroup(objectType: CrmObjectType, name: string, input: unknown): PropertyGroupDefinition {
    if (!isObject(input))
      throw HubSpotApiError.validation('Invalid input JSON: expected a property group update object.');
    const current = this.getGroup(objectType, name);
    if (!current) throw HubSpotApiError.notFound(`Unable to find property group ${name}`);
    const updated: PropertyGroupDefinition = {
      ...current,
      label: optionalString(input, 'label') ?? current.label,
      displayOrder: optionalNumber(input, 'displayOrder') ?? current.displayOrder,
    };
    this.groupsOf(objectType).set(name, updated);
    return updated;
  }

  createGroup(objectType: CrmObjectType, input: unknown): PropertyGroupDefinition {
    if (!isObject(input)) throw HubSpotApiError.validation('Invalid input JSON: expected a property group object.');
    const name = requireString(input, 'name');
    const label = requireString(input, 'label');
    if (!NAME_PATTERN.test(name)) {
      throw HubSpotApiError.validation(
        `Property group name "${name}" is invalid: use lowercase letters, digits and underscores, starting with a letter.`,
      );
    }
    const groups = this.groupsOf(objectType);
    if (groups.has(name)) throw HubSpotApiError.conflict(`Property group named '${name}' already exists.`);
    const group: PropertyGroupDefinition = { name, label, displayOrder: optionalNumber(input, 'displayOrder') ?? -1 };
    groups.set(name, group);
    return group;
  }

  exportState(): SavedPropertyRegistry {
    const saved: SavedPropertyRegistry = { properties: {}, groups: {} };
    for (const objectType of CRM_OBJECT_TYPES) {
      saved.properties[objectType] = this.list(objectType);
      saved.groups[objectType] = this.listGroups(objectType);
    }
    return saved;
  }

  /** Built-ins are seeded first so that a state file from an older emulator still gets newer built-ins. */
  importState(saved: SavedPropertyRegistry): void {
    this.resetToBuiltIns();
    for (const objectType of CRM_OBJECT_TYPES) {
      for (const group of saved.groups[objectType] ?? []) this.groupsOf(objectType).set(group.name, group);
      for (const definition of saved.properties[objectType] ?? []) {
        this.definitionsOf(objectType).set(definition.name, definition);
      }
    }
    this.uniqueNamesCache.clear();
  }

  private assertGroupExists(objectType: CrmObjectType, groupName: string): void {
    if (!this.groupsOf(objectType).has(groupName)) {
      throw HubSpotApiError.validation(`Property group ${groupName} does not exist for ${objectType}.`);
    }
  }

  /** Custom (non-HubSpot-defined) properties of an object type, as the limits-tracking API counts them. */
  customPropertyCount(objectType: CrmObjectType): number {
    return this.list(objectType).filter((definition) => !definition.hubspotDefined).length;
  }

  /**
   * Limits-tracking guide (hubspot.md, "Hard limits";
   * https://developers.hubspot.com/docs/api-reference/2026-03/crm/limits-tracking/get-custom-properties): custom
   * properties are capped per object, by subscription. HubSpot's wording of the refusal is not documented.
   */
  private assertCustomPropertyRoom(objectType: CrmObjectType, name: string, limit: number): void {
    const usage = this.customPropertyCount(objectType);
    if (usage >= limit) {
      throw HubSpotApiError.validation(
        `Unable to create property ${name}: ${objectType} has reached its limit of ${limit} custom properties (${usage} in use).`,
      );
    }
  }

  private assertUniqueAllowed(objectType: CrmObjectType, type: PropertyType, fieldType: string): void {
    // hubspot.md: unique custom call properties are unconfirmed; refusing them keeps the connector off that path.
    if (objectType !== 'contacts') {
      throw HubSpotApiError.validation(`Unique value properties are not supported on ${objectType} by this emulator.`);
    }
    const uniqueCapable = (type === 'string' && fieldType === 'text') || type === 'number';
    if (!uniqueCapable) {
      throw HubSpotApiError.validation(
        `hasUniqueValue is only allowed on single-line text and number properties (got ${type}/${fieldType}).`,
      );
    }
    const customUnique = this.list(objectType).filter(
      (definition) => definition.hasUniqueValue && !definition.hubspotDefined,
    ).length;
    if (customUnique >= MAX_CUSTOM_UNIQUE_PROPERTIES) {
      throw HubSpotApiError.validation(
        `Can't create more than ${MAX_CUSTOM_UNIQUE_PROPERTIES} properties with unique values for ${objectType}.`,
      );
    }
  }

  private definitionsOf(objectType: CrmObjectType): Map<string, PropertyDefinition> {
    const definitions = this.definitions.get(objectType);
    if (!definitions) throw new Error(`No property definitions for ${objectType}`);
    return definitions;
  }

  private groupsOf(objectType: CrmObjectType): Map<string, PropertyGroupDefinition> {
    const groups = this.groups.get(objectType);
    if (!groups) throw new Error(`No property groups for ${objectType}`);
    return groups;
  }
}

function requireString(input: JsonObject, key: string): string {
  const value = ownValue(input, key);
  if (typeof value !== 'string' || value.trim() === '') {
    throw HubSpotApiError.validation(`Invalid input: "${key}" is required and must be a non-empty string.`);
  }
  return value;
}

function optionalString(input: JsonObject, key: string): string | undefined {
  const value = ownValue(input, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw HubSpotApiError.validation(`Invalid input: "${key}" must be a string.`);
  return value;
}

function optionalBoolean(input: JsonObject, key: string): boolean | undefined {
  const value = ownValue(input, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw HubSpotApiError.validation(`Invalid input: "${key}" must be a boolean.`);
  return value;
}

function optionalNumber(input: JsonObject, key: string): number | undefined {
  const value = ownValue(input, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw HubSpotApiError.validation(`Invalid input: "${key}" must be a number.`);
  }
  return value;
}

function parseType(value: unknown): PropertyType {
  if (typeof value === 'string' && (PROPERTY_TYPES as readonly string[]).includes(value)) return value as PropertyType;
  throw HubSpotApiError.validation(
    `Invalid input: "type" must be one of ${PROPERTY_TYPES.join(', ')} (got ${JSON.stringify(value)}).`,
  );
}

function assertFieldTypeFits(type: PropertyType, fieldType: string): void {
  if (!FIELD_TYPES_BY_TYPE[type].includes(fieldType)) {
    throw HubSpotApiError.validation(
      `Property type ${type} does not support fieldType ${fieldType}; allowed: ${FIELD_TYPES_BY_TYPE[type].join(', ')}.`,
    );
  }
}

function parseOptions(
  raw: unknown,
  type: PropertyType,
  fieldType: string,
  propertyName: string,
  writeOptions: PropertyWriteOptions,
): PropertyOption[] {
  const isBoolean = type === 'bool' || fieldType === 'booleancheckbox';
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0 && isBoolean)) {
    return isBoolean ? booleanOptions() : [];
  }
  if (type !== 'enumeration' && type !== 'bool') {
    if (Array.isArray(raw) && raw.length === 0) return [];
    throw HubSpotApiError.validation(`Options are only allowed on enumeration properties (type is ${type}).`);
  }
  if (!Array.isArray(raw)) throw HubSpotApiError.validation('Invalid input: "options" must be an array.');
  // KB, property field types: at most 5,000 options (see MAX_ENUMERATION_OPTIONS).
  if (raw.length > MAX_ENUMERATION_OPTIONS) {
    throw HubSpotApiError.validation(
      `Property ${propertyName} has ${raw.length} options; an enumeration property may have at most ${MAX_ENUMERATION_OPTIONS} options.`,
    );
  }
  const seen = new Set<string>();
  return raw.map((option: unknown, index): PropertyOption => {
    if (!isObject(option) || typeof option.label !== 'string' || typeof option.value !== 'string') {
      throw HubSpotApiError.validation(`Invalid option at index ${index}: "label" and "value" must be strings.`);
    }
    if (option.value === '' || option.label === '') {
      throw HubSpotApiError.validation(`Invalid option at index ${index}: "label" and "value" must not be empty.`);
    }
    // ';' separates multi-select values, so it cannot be part of one.
    if (option.value.includes(';')) {
      throw HubSpotApiError.validation(`Invalid option value "${option.value}": ";" is not allowed in option values.`);
    }
    if (seen.has(option.value)) throw HubSpotApiError.validation(`Duplicate option value "${option.value}".`);
    seen.add(option.value);
    const description = typeof option.description === 'string' ? option.description : '';
    // KB: "each option has a maximum of 3,000 characters, including its label, value, and description". The
    // emulator reads that as the three together (the stricter reading, which also caps each one).
    const characters = option.label.length + option.value.length + description.length;
    if (characters > MAX_OPTION_CHARACTERS) {
      throw HubSpotApiError.validation(
        `Option "${option.value}" (index ${index}) of property ${propertyName} has ${characters} characters in its label, value and description; an option may have at most ${MAX_OPTION_CHARACTERS}.`,
      );
    }
    if (writeOptions.requireOptionDisplayOrder && typeof option.displayOrder !== 'number') {
      throw HubSpotApiError.validation(
        `Option "${option.value}" (index ${index}) of property ${propertyName} has no displayOrder; it is required on every option.`,
      );
    }
    return {
      label: option.label,
      value: option.value,
      description,
      displayOrder: typeof option.displayOrder === 'number' ? option.displayOrder : index,
      hidden: option.hidden === true,
    };
  });
}

function booleanOptions(): PropertyOption[] {
  return [
    { label: 'Yes', value: 'true', description: '', displayOrder: 0, hidden: false },
    { label: 'No', value: 'false', description: '', displayOrder: 1, hidden: false },
  ];
}
