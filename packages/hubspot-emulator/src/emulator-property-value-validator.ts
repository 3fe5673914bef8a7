/**
 * Checks the property values of one object write the way HubSpot does and turns them into the strings it stores.
 * Every problem of a write is collected, because HubSpot reports them all in one "Property values were not valid".
 */
import { HubSpotApiError, type PropertyValueProblem } from './emulator-error.js';
import type { CrmObjectType } from './emulator-object-types.js';
import { ownValue } from './emulator-own-value.js';
import { MAX_STRING_LENGTH, type PropertyDefinition } from './emulator-property-definition.js';
import type { PropertyRegistry } from './emulator-property-registry.js';
import type { MarketableStatusWrites } from './emulator-rate-limiter.js';

/** `null` means: clear the property (HubSpot clears on an empty string). */
export type PropertyChanges = Map<string, string | null>;

export interface ValidatedPropertyWrite {
  changes: PropertyChanges;
  problems: PropertyValueProblem[];
}

const SIMPLE_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const NUMBER_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const EPOCH_MS_PATTERN = /^-?\d+$/;
const DATE_ONLY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const EDGE_WHITESPACE = /^[\s\u200B-\u200D\u2060]|[\s\u200B-\u200D\u2060]$/u;

export const MARKETABLE_STATUS_PROPERTY = 'hs_marketable_status';

export interface PropertyWritePolicy {
  /** See EmulatorLimits.marketableStatusWrites; default 'refuse'. */
  marketableStatusWrites?: MarketableStatusWrites;
}

export function validatePropertyValues(
  registry: PropertyRegistry,
  objectType: CrmObjectType,
  input: unknown,
  existing: Readonly<Record<string, string>> | undefined,
  policy: PropertyWritePolicy = {},
): ValidatedPropertyWrite {
  if (input === undefined || input === null) return { changes: new Map(), problems: [] };
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw HubSpotApiError.validation('Invalid input JSON: "properties" must be an object of property names to values.');
  }
  const changes: PropertyChanges = new Map();
  const problems: PropertyValueProblem[] = [];
  for (const [name, raw] of Object.entries(input as Record<string, unknown>)) {
    const definition = registry.get(objectType, name);
    if (!definition) {
      problems.push(problem(name, 'PROPERTY_DOESNT_EXIST', `Property "${name}" does not exist`));
      continue;
    }
    if (objectType === 'contacts' && name === MARKETABLE_STATUS_PROPERTY) {
      // HubSpot KB (marketing contacts for integrations; hubspot.md, "Hard limits"): the status cannot be modified
      // through the API. Refused or ignored is unconfirmed; EmulatorLimits.marketableStatusWrites picks the reading.
      if ((policy.marketableStatusWrites ?? 'refuse') === 'refuse') {
        problems.push(
          problem(
            name,
            'READ_ONLY_VALUE',
            `"${name}" cannot be modified through the API; a contact's marketing status is set in HubSpot.`,
          ),
        );
      }
      continue;
    }
    const outcome = normaliseValue(definition, raw, ownValue(existing, name));
    if (typeof outcome === 'object' && outcome !== null) problems.push(outcome);
    else changes.set(name, outcome);
  }
  return { changes, problems };
}

export function problem(name: string, error: string, message: string): PropertyValueProblem {
  return { isValid: false, message, error, name };
}

function normaliseValue(
  definition: PropertyDefinition,
  raw: unknown,
  existingValue: string | undefined,
): string | null | PropertyValueProblem {
  const { name } = definition;
  if (definition.readOnlyValue) {
    return problem(name, 'READ_ONLY_VALUE', `"${name}" is a read only property; its value cannot be set.`);
  }
  if (raw === null || raw === '') return null;
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
    return problem(name, 'INVALID_PROPERTY_VALUE', `${JSON.stringify(raw)} is not a valid value for ${name}.`);
  }
  const value = String(raw);
  // HubSpot (since 2025) refuses edge whitespace, visible or not, in every non-string value.
  if (definition.type !== 'string' && EDGE_WHITESPACE.test(value)) {
    return problem(name, 'LEADING_TRAILING_WHITESPACE', `"${value}" includes leading or trailing whitespace.`);
  }

  switch (definition.type) {
    case 'string':
      return normaliseString(definition, value);
    case 'number':
      return NUMBER_PATTERN.test(value) ? value : problem(name, 'INVALID_INTEGER', `${value} was not a valid number.`);
    case 'bool':
      return normaliseBoolean(name, value);
    case 'date':
      return normaliseDate(name, value);
    case 'datetime':
      return normaliseDateTime(name, value);
    case 'enumeration':
      return normaliseEnumeration(definition, value, existingValue);
  }
}

function normaliseString(definition: PropertyDefinition, value: string): string | PropertyValueProblem {
  const { name } = definition;
  if (value.length > MAX_STRING_LENGTH) {
    return problem(name, 'INVALID_STRING_LENGTH', `Value for ${name} is longer than ${MAX_STRING_LENGTH} characters.`);
  }
  if (name === 'email') {
    // HubSpot stores emails lowercased and refuses malformed ones.
    const email = value.trim().toLowerCase();
    return SIMPLE_EMAIL.test(email) ? email : problem(name, 'INVALID_EMAIL', `Email address ${value} is invalid`);
  }
  if (name === 'hs_call_recording_url' && !value.startsWith('https://')) {
    // hubspot.md: HubSpot only plays recordings from HTTPS URLs. The error code is an assumption.
    return problem(name, 'INVALID_URL', `${value} is not a valid recording URL: hs_call_recording_url must use https.`);
  }
  return value;
}

function normaliseBoolean(name: string, value: string): string | PropertyValueProblem {
  const lowered = value.toLowerCase();
  return lowered === 'true' || lowered === 'false'
    ? lowered
    : problem(name, 'INVALID_BOOLEAN', `${value} was not a valid boolean (use "true" or "false").`);
}

function normaliseDateTime(name: string, value: string): string | PropertyValueProblem {
  const epochMs = parseInstant(value);
  return epochMs === undefined
    ? problem(
        name,
        'INVALID_DATETIME',
        `${value} is not a valid datetime: use epoch milliseconds or an ISO 8601 UTC time.`,
      )
    : new Date(epochMs).toISOString();
}

/** HubSpot date properties hold a day: midnight UTC as epoch ms, or YYYY-MM-DD. */
function normaliseDate(name: string, value: string): string | PropertyValueProblem {
  if (DATE_ONLY_PATTERN.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))) return value;
  const epochMs = parseInstant(value);
  if (epochMs === undefined || epochMs % 86_400_000 !== 0) {
    return problem(
      name,
      'INVALID_DATE',
      `${value} is not a valid date: use midnight UTC in epoch milliseconds or YYYY-MM-DD.`,
    );
  }
  return new Date(epochMs).toISOString().slice(0, 10);
}

function normaliseEnumeration(
  definition: PropertyDefinition,
  value: string,
  existingValue: string | undefined,
): string | null | PropertyValueProblem {
  const { name } = definition;
  if (definition.externalOptions) {
    // Owner ids are the only external options emulated; HubSpot owner ids are numeric.
    return /^\d+$/.test(value) ? value : problem(name, 'INVALID_OPTION', `${value} was not a valid owner id.`);
  }
  const allowed = new Set(definition.options.map((option) => option.value));
  const invalid = (candidate: string): PropertyValueProblem =>
    problem(
      name,
      'INVALID_OPTION',
      `${candidate} was not one of the allowed options: [${definition.options.map((option) => option.value).join(', ')}]`,
    );

  if (definition.fieldType !== 'checkbox') return allowed.has(value) ? value : invalid(value);

  // Multi-select: ';'-separated; a leading ';' appends to what is already there.
  const appending = value.startsWith(';');
  const requested = value.split(';').filter((part) => part !== '');
  const bad = requested.find((part) => !allowed.has(part));
  if (bad !== undefined) return invalid(bad);
  const base = appending && existingValue ? existingValue.split(';').filter((part) => part !== '') : [];
  const merged = [...new Set([...base, ...requested])];
  return merged.length === 0 ? null : merged.join(';');
}

/** Epoch milliseconds or an ISO 8601 string, as HubSpot accepts for datetime values. */
export function parseInstant(value: string): number | undefined {
  const trimmed = value.trim();
  if (EPOCH_MS_PATTERN.test(trimmed)) {
    const epochMs = Number(trimmed);
    return Number.isSafeInteger(epochMs) ? epochMs : undefined;
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(trimmed)) return undefined;
  const parsed = Date.parse(trimmed);
  return Number.isNaN(parsed) ? undefined : parsed;
}
