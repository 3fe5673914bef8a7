/**
 * The CRM search engine: parses a `POST /crm/v3/objects/{type}/search` (or dated) body with HubSpot's limits and
 * runs it against the (lagged) search index. Filters in a group AND, groups OR.
 */
import { HubSpotApiError } from './emulator-error.js';
import type { CrmObjectType } from './emulator-object-types.js';
import { OBJECT_TYPE_INFO } from './emulator-object-types.js';
import { ownValue } from './emulator-own-value.js';
import type { PropertyType } from './emulator-property-definition.js';
import type { PropertyRegistry } from './emulator-property-registry.js';
import { parseInstant } from './emulator-property-value-validator.js';
import type { SearchIndex } from './emulator-search-index.js';

type Properties = Readonly<Record<string, string>>;

/*
 * HubSpot search guide, Limitations (https://developers.hubspot.com/docs/api-reference/2026-09/crm/search-the-crm;
 * hubspot.md, "Hard limits"): at most 5 filterGroups, 6 filters per group and 18 filters in all (a 2024
 * changelog said 5 / 10 / 25; the stricter documented reading is emulated), one sort rule, `limit` up to 200,
 * results pageable up to the first 10,000, and a request body of at most 3,000 characters.
 */
export const MAX_FILTER_GROUPS = 5;
export const MAX_FILTERS_PER_GROUP = 6;
export const MAX_FILTERS_TOTAL = 18;
export const MAX_SORTS = 1;
export const MAX_SEARCH_BODY_CHARS = 3_000;
const MAX_LIMIT = 200;
const DEFAULT_LIMIT = 10;
const MAX_RESULT_WINDOW = 10_000;
const AFTER_PATTERN = /^\d+$/;

/**
 * "If the body of your request exceeds 3,000 characters, a 400 error will be returned" (search guide). Checked on
 * the JSON text as sent, before it is parsed, so it comes before every other check of the body. Characters are
 * counted as UTF-16 code units (JavaScript's and Java's string length; the same as bytes for ASCII bodies).
 */
export function assertSearchBodySize(text: string): void {
  if (text.length > MAX_SEARCH_BODY_CHARS) {
    throw HubSpotApiError.validation(
      `The search request body is ${text.length} characters long; it may be at most ${MAX_SEARCH_BODY_CHARS} characters.`,
    );
  }
}

const OPERATORS = [
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
] as const;
type Operator = (typeof OPERATORS)[number];

interface CompiledFilter {
  test(properties: Properties): boolean;
  /** Set when the filter can pick its candidates from the equality index. */
  indexed?: { property: string; keys: string[] };
}

interface SortSpec {
  property: string;
  descending: boolean;
  type: PropertyType;
}

export interface SearchRequest {
  groups: CompiledFilter[][];
  sorts: SortSpec[];
  properties: string[] | undefined;
  limit: number;
  offset: number;
  query: string | undefined;
}

export interface SearchOutcome {
  total: number;
  page: { id: string; properties: Properties }[];
  nextAfter: string | undefined;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseSearchRequest(
  registry: PropertyRegistry,
  objectType: CrmObjectType,
  body: unknown,
): SearchRequest {
  if (body === undefined || body === null) body = {};
  if (!isObject(body)) throw HubSpotApiError.validation('Invalid input JSON: the search request must be an object.');

  const rawGroups = body.filterGroups ?? [];
  if (!Array.isArray(rawGroups)) throw HubSpotApiError.validation('Invalid input: "filterGroups" must be an array.');
  if (rawGroups.length > MAX_FILTER_GROUPS) {
    throw HubSpotApiError.validation(
      `Too many filter groups: ${rawGroups.length}. A search may have at most ${MAX_FILTER_GROUPS} filterGroups.`,
    );
  }
  const filterLists = rawGroups.map((group: unknown, groupIndex): unknown[] => {
    const filters = isObject(group) ? group.filters : undefined;
    if (!Array.isArray(filters)) {
      throw HubSpotApiError.validation(`Invalid input: filterGroups[${groupIndex}].filters must be an array.`);
    }
    if (filters.length > MAX_FILTERS_PER_GROUP) {
      throw HubSpotApiError.validation(
        `Too many filters in filterGroups[${groupIndex}]: ${filters.length}. A group may have at most ${MAX_FILTERS_PER_GROUP} filters.`,
      );
    }
    return filters;
  });
  const filterCount = filterLists.reduce((sum, filters) => sum + filters.length, 0);
  if (filterCount > MAX_FILTERS_TOTAL) {
    throw HubSpotApiError.validation(
      `Too many filters: ${filterCount}. A search may have at most ${MAX_FILTERS_TOTAL} filters across all filterGroups.`,
    );
  }
  const groups = filterLists.map((filters) => filters.map((filter) => compileFilter(registry, objectType, filter)));

  const limit = body.limit === undefined || body.limit === null ? DEFAULT_LIMIT : body.limit;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT) {
    throw HubSpotApiError.validation(`Invalid input: "limit" must be an integer between 0 and ${MAX_LIMIT}.`);
  }
  const offset = parseAfter(body.after);
  if (offset + limit > MAX_RESULT_WINDOW) {
    // Search guide, Limitations: a search can page through its first 10,000 results only; beyond is a 400.
    throw HubSpotApiError.validation(`Search results can only be paged up to ${MAX_RESULT_WINDOW} results.`);
  }

  let properties: string[] | undefined;
  if (body.properties !== undefined && body.properties !== null) {
    if (!Array.isArray(body.properties) || body.properties.some((name) => typeof name !== 'string')) {
      throw HubSpotApiError.validation('Invalid input: "properties" must be an array of property names.');
    }
    properties = body.properties as string[];
  }

  const rawSorts = body.sorts ?? [];
  if (!Array.isArray(rawSorts)) throw HubSpotApiError.validation('Invalid input: "sorts" must be an array.');
  if (rawSorts.length > MAX_SORTS) {
    throw HubSpotApiError.validation(
      `Too many sorts: ${rawSorts.length}. A search may have at most ${MAX_SORTS} sort rule.`,
    );
  }
  const sorts = rawSorts.map((sort: unknown) => parseSort(registry, objectType, sort));

  const query =
    typeof body.query === 'string' && body.query.trim() !== '' ? body.query.trim().toLowerCase() : undefined;
  return { groups, sorts, properties, limit, offset, query };
}

export function runSearch(index: SearchIndex, objectType: CrmObjectType, request: SearchRequest): SearchOutcome {
  let matched: string[];
  if (request.groups.length === 0) {
    matched = [...index.ids()];
  } else {
    const hits = new Set<string>();
    for (const filters of request.groups) {
      for (const id of candidatesFor(index, filters)) {
        if (hits.has(id)) continue;
        const properties = index.get(id);
        if (properties && filters.every((filter) => filter.test(properties))) hits.add(id);
      }
    }
    matched = [...hits];
  }
  if (request.query !== undefined) {
    const query = request.query;
    const fields = OBJECT_TYPE_INFO[objectType].queryProperties;
    matched = matched.filter((id) => {
      const properties = index.get(id);
      return (
        properties !== undefined && fields.some((field) => ownValue(properties, field)?.toLowerCase().includes(query))
      );
    });
  }
  sortIds(matched, index, request.sorts);

  const pageIds = matched.slice(request.offset, request.offset + request.limit);
  const end = request.offset + pageIds.length;
  return {
    total: matched.length,
    page: pageIds.map((id) => ({ id, properties: index.get(id) ?? {} })),
    nextAfter: end < matched.length && request.limit > 0 ? String(end) : undefined,
  };
}

function candidatesFor(index: SearchIndex, filters: CompiledFilter[]): Iterable<string> {
  for (const filter of filters) {
    if (!filter.indexed) continue;
    const { property, keys } = filter.indexed;
    const found = new Set<string>();
    let usable = true;
    for (const key of keys) {
      const ids = index.lookup(property, key);
      if (ids === undefined) {
        usable = false;
        break;
      }
      for (const id of ids) found.add(id);
    }
    if (usable) return found;
  }
  return index.ids();
}

function compileFilter(registry: PropertyRegistry, objectType: CrmObjectType, raw: unknown): CompiledFilter {
  if (!isObject(raw)) throw HubSpotApiError.validation('Invalid input: every filter must be an object.');
  const { propertyName, operator } = raw;
  if (typeof propertyName !== 'string' || propertyName === '') {
    throw HubSpotApiError.validation('Invalid input: a filter is missing "propertyName".');
  }
  if (typeof operator !== 'string' || !(OPERATORS as readonly string[]).includes(operator)) {
    throw HubSpotApiError.validation(
      `Invalid input: filter operator ${JSON.stringify(operator)} is not one of ${OPERATORS.join(', ')}.`,
    );
  }
  // Assumption: HubSpot rejects filters on unknown properties (rather than matching nothing); a typo fails loudly.
  const type = registry.typeOf(objectType, propertyName);
  if (type === undefined)
    throw HubSpotApiError.validation(`Property "${propertyName}" does not exist on ${objectType}.`);
  const name = propertyName;
  const op = operator as Operator;

  switch (op) {
    case 'HAS_PROPERTY':
      return { test: (properties) => hasValue(ownValue(properties, name)) };
    case 'NOT_HAS_PROPERTY':
      return { test: (properties) => !hasValue(ownValue(properties, name)) };
    case 'EQ':
    case 'NEQ': {
      const wanted = requireValue(raw, 'value', name, op);
      const equals = equalityTest(name, type, wanted);
      if (op === 'NEQ') return { test: (properties) => !equals(properties) };
      return isTextual(type)
        ? { test: equals, indexed: { property: name, keys: [wanted.toLowerCase()] } }
        : { test: equals };
    }
    case 'IN':
    case 'NOT_IN': {
      const values = requireValues(raw, name, op);
      // hubspot.md: IN on string properties matches only lowercase values (HubSpot indexes strings lowercased and
      // does not lowercase the filter's values); enumeration option values compare case-insensitively here.
      const keys = type === 'string' ? values : values.map((value) => value.toLowerCase());
      const tests = keys.map((key) => equalityTest(name, type, key, type === 'string'));
      const inSet = (properties: Properties): boolean => tests.some((test) => test(properties));
      if (op === 'NOT_IN') return { test: (properties) => !inSet(properties) };
      return isTextual(type) ? { test: inSet, indexed: { property: name, keys } } : { test: inSet };
    }
    case 'LT':
    case 'LTE':
    case 'GT':
    case 'GTE': {
      const bound = comparable(requireValue(raw, 'value', name, op), type);
      return {
        test: (properties) => {
          const value = ownValue(properties, name);
          if (value === undefined || bound === undefined) return false;
          const current = comparable(value, type);
          if (current === undefined) return false;
          if (op === 'LT') return current < bound;
          if (op === 'LTE') return current <= bound;
          if (op === 'GT') return current > bound;
          return current >= bound;
        },
      };
    }
    case 'BETWEEN': {
      const low = comparable(requireValue(raw, 'value', name, op), type);
      const high = comparable(requireValue(raw, 'highValue', name, op), type);
      return {
        test: (properties) => {
          const value = ownValue(properties, name);
          if (value === undefined || low === undefined || high === undefined) return false;
          const current = comparable(value, type);
          return current !== undefined && current >= low && current <= high;
        },
      };
    }
    case 'CONTAINS_TOKEN':
    case 'NOT_CONTAINS_TOKEN': {
      const matches = tokenMatcher(requireValue(raw, 'value', name, op));
      const contains = (properties: Properties): boolean => {
        const value = ownValue(properties, name);
        return value !== undefined && matches(value);
      };
      return op === 'CONTAINS_TOKEN' ? { test: contains } : { test: (properties) => !contains(properties) };
    }
  }
}

function hasValue(value: string | undefined): boolean {
  return value !== undefined && value !== '';
}

function isTextual(type: PropertyType): boolean {
  return type === 'string' || type === 'enumeration' || type === 'bool';
}

/** Textual equality ignores case (HubSpot lowercases what it indexes); numbers and dates compare by value. */
function equalityTest(
  name: string,
  type: PropertyType,
  wanted: string,
  wantedIsExact = false,
): (properties: Properties) => boolean {
  if (isTextual(type)) {
    const key = wantedIsExact ? wanted : wanted.toLowerCase();
    return (properties) => ownValue(properties, name)?.toLowerCase() === key;
  }
  const target = comparable(wanted, type);
  return (properties) => {
    const value = ownValue(properties, name);
    return value !== undefined && target !== undefined && comparable(value, type) === target;
  };
}

function comparable(value: string, type: PropertyType): number | string | undefined {
  switch (type) {
    case 'number': {
      const parsed = Number(value);
      return Number.isNaN(parsed) ? undefined : parsed;
    }
    case 'datetime':
      return parseInstant(value);
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : parseInstant(value);
    default:
      return value.toLowerCase();
  }
}

/**
 * Approximation of HubSpot's tokenised matching: the value is split on anything that is not a letter or digit;
 * `*` is a wildcard, matched against each token and against the whole value.
 */
function tokenMatcher(wanted: string): (value: string) => boolean {
  const needle = wanted.toLowerCase();
  if (needle.includes('*')) {
    const pattern = new RegExp(`^${needle.split('*').map(escapeRegExp).join('.*')}$`, 'u');
    return (value) => {
      const lowered = value.toLowerCase();
      return pattern.test(lowered) || tokens(lowered).some((token) => pattern.test(token));
    };
  }
  return (value) => {
    const lowered = value.toLowerCase();
    return lowered === needle || tokens(lowered).includes(needle);
  };
}

function tokens(value: string): string[] {
  return value.split(/[^\p{L}\p{N}]+/u).filter((token) => token !== '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function requireValue(raw: JsonObject, key: 'value' | 'highValue', name: string, op: string): string {
  const value = raw[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw HubSpotApiError.validation(`Invalid input: the ${op} filter on ${name} needs "${key}".`);
}

function requireValues(raw: JsonObject, name: string, op: string): string[] {
  const { values } = raw;
  if (!Array.isArray(values) || values.length === 0) {
    throw HubSpotApiError.validation(`Invalid input: the ${op} filter on ${name} needs a non-empty "values" array.`);
  }
  return values.map((value) => String(value));
}

/** `after` is the integer string a previous page returned (search guide); a JSON number is taken as its string. */
function parseAfter(after: unknown): number {
  if (after === undefined || after === null || after === '') return 0;
  const text = typeof after === 'number' ? String(after) : after;
  if (typeof text !== 'string' || !AFTER_PATTERN.test(text) || !Number.isSafeInteger(Number(text))) {
    throw HubSpotApiError.validation(
      `Invalid input: "after" ${JSON.stringify(after)} is not valid; it must be an integer string.`,
    );
  }
  return Number(text);
}

function parseSort(registry: PropertyRegistry, objectType: CrmObjectType, raw: unknown): SortSpec {
  let property: string;
  let descending: boolean;
  if (typeof raw === 'string') {
    // The SDK types sorts as strings; "-name" sorts descending.
    descending = raw.startsWith('-');
    property = descending ? raw.slice(1) : raw;
  } else if (isObject(raw) && typeof raw.propertyName === 'string') {
    property = raw.propertyName;
    descending = raw.direction === 'DESCENDING';
  } else {
    throw HubSpotApiError.validation('Invalid input: a sort must be a property name or {propertyName, direction}.');
  }
  const type = registry.typeOf(objectType, property);
  if (type === undefined) throw HubSpotApiError.validation(`Cannot sort by unknown property "${property}".`);
  return { property, descending, type };
}

function sortIds(ids: string[], index: SearchIndex, sorts: SortSpec[]): void {
  if (sorts.length === 0) {
    ids.sort((a, b) => Number(a) - Number(b));
    return;
  }
  const keyed = ids.map((id) => {
    const properties = index.get(id) ?? {};
    return { id, keys: sorts.map((sort) => sortKey(ownValue(properties, sort.property), sort.type)) };
  });
  keyed.sort((a, b) => {
    for (let position = 0; position < sorts.length; position += 1) {
      const left = a.keys[position];
      const right = b.keys[position];
      if (left === right) continue;
      // Objects without the property go last, whatever the direction.
      if (left === undefined) return 1;
      if (right === undefined) return -1;
      const order = left < right ? -1 : 1;
      return sorts[position]?.descending ? -order : order;
    }
    return Number(a.id) - Number(b.id);
  });
  keyed.forEach((entry, position) => {
    ids[position] = entry.id;
  });
}

function sortKey(value: string | undefined, type: PropertyType): number | string | undefined {
  if (value === undefined) return undefined;
  return comparable(value, type);
}
