/** Renders stored objects the way HubSpot's CRM endpoints return them. */
import type { AssociationGraph } from './emulator-association-graph.js';
import { HubSpotApiError } from './emulator-error.js';
import {
  OBJECT_TYPE_INFO,
  associationBetween,
  resolveObjectType,
  type CrmObjectType,
} from './emulator-object-types.js';
import { ownValue } from './emulator-own-value.js';

type Properties = Readonly<Record<string, string>>;

/**
 * - `'all'`: every stored property (what HubSpot returns from writes);
 * - a list: those properties (null when unset) plus the always-returned system ones;
 * - `undefined`: the type's default properties (a read that named none).
 */
export type PropertySelection = 'all' | readonly string[] | undefined;

export function presentObject(
  objectType: CrmObjectType,
  id: string,
  properties: Properties,
  selection: PropertySelection,
  extras: { associations?: Record<string, unknown>; objectWriteTraceId?: string } = {},
): Record<string, unknown> {
  const info = OBJECT_TYPE_INFO[objectType];
  const body: Record<string, unknown> = {
    id,
    properties: selectProperties(objectType, properties, selection),
    createdAt: ownValue(properties, info.createdDateProperty) ?? null,
    updatedAt: ownValue(properties, info.modifiedDateProperty) ?? null,
    archived: false,
  };
  if (extras.associations && Object.keys(extras.associations).length > 0) body.associations = extras.associations;
  if (extras.objectWriteTraceId !== undefined) body.objectWriteTraceId = extras.objectWriteTraceId;
  return body;
}

function selectProperties(
  objectType: CrmObjectType,
  properties: Properties,
  selection: PropertySelection,
): Record<string, string | null> {
  if (selection === 'all') return { ...properties };
  const info = OBJECT_TYPE_INFO[objectType];
  const names = selection === undefined ? info.defaultProperties : [...info.alwaysReturnedProperties, ...selection];
  const selected: Record<string, string | null> = {};
  for (const name of names) selected[name] = ownValue(properties, name) ?? null;
  return selected;
}

/** v3 `associations` of one object for the requested target types; types without links are left out, as in HubSpot. */
export function presentAssociations(
  graph: AssociationGraph,
  objectType: CrmObjectType,
  id: string,
  requested: readonly string[] | undefined,
): Record<string, unknown> | undefined {
  if (!requested || requested.length === 0) return undefined;
  const result: Record<string, unknown> = {};
  for (const name of requested) {
    const toType = resolveObjectType(name);
    if (!toType) throw HubSpotApiError.validation(`Unable to infer object type from: ${name}`);
    const definition = associationBetween(objectType, toType);
    if (!definition) continue;
    const ids = graph.targets(objectType, id, toType);
    if (ids.length === 0) continue;
    result[toType] = { results: ids.map((targetId) => ({ id: targetId, type: definition.label })) };
  }
  return result;
}

/** `properties=a,b&properties=c` → ['a','b','c']; undefined when the parameter is absent. */
export function listQueryParameter(query: URLSearchParams, name: string): string[] | undefined {
  const values = query.getAll(name);
  if (values.length === 0) return undefined;
  return values
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
}
