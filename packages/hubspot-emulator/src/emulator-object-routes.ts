/**
 * `/crm/v3/objects/{objectType}` single-object endpoints and search (also served at
 * `/crm/objects/{version}/{objectType}`).
 */
import { HubSpotApiError } from './emulator-error.js';
import type { ObjectStore } from './emulator-object-store.js';
import { requireObjectType } from './emulator-object-types.js';
import { listQueryParameter, presentAssociations, presentObject } from './emulator-object-presenter.js';
import type { PropertyRegistry } from './emulator-property-registry.js';
import type { Route } from './emulator-router.js';
import { assertSearchBodySize, parseSearchRequest, runSearch } from './emulator-search.js';
import type { PortalValidationRules } from './emulator-validation-rules.js';

const LIST_DEFAULT_LIMIT = 10;
const LIST_MAX_LIMIT = 100;

/** Calls (and other engagements) use the contacts scopes (hubspot.md). */
export const objectsRead = (): string => 'crm.objects.contacts.read';
export const objectsWrite = (): string => 'crm.objects.contacts.write';

export function objectRoutes(
  registry: PropertyRegistry,
  store: ObjectStore,
  rules: PortalValidationRules,
  clock: () => number,
): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/crm/v3/objects/:objectType/search',
      limitClass: 'search',
      scope: objectsRead,
      checkRawBody: assertSearchBodySize,
      handle: ({ params, body }) => {
        const objectType = requireObjectType(params.objectType);
        const request = parseSearchRequest(registry, objectType, body);
        const index = store.searchIndex(objectType);
        index.refresh(clock());
        const outcome = runSearch(index, objectType, request);
        const response: Record<string, unknown> = {
          total: outcome.total,
          results: outcome.page.map(({ id, properties }) =>
            presentObject(objectType, id, properties, request.properties),
          ),
        };
        if (outcome.nextAfter !== undefined) response.paging = { next: { after: outcome.nextAfter } };
        return { status: 200, body: response };
      },
    },
    {
      method: 'GET',
      pattern: '/crm/v3/objects/:objectType',
      limitClass: 'standard',
      scope: objectsRead,
      handle: ({ params, query, origin, path }) => {
        const objectType = requireObjectType(params.objectType);
        const limit = parseListLimit(query.get('limit'));
        const properties = listQueryParameter(query, 'properties');
        const associations = listQueryParameter(query, 'associations');
        // Archived objects are deleted outright by the emulator, so an archived listing is empty.
        if (query.get('archived') === 'true') return { status: 200, body: { results: [] } };
        const page = store.list(objectType, query.get('after') ?? undefined, limit);
        const response: Record<string, unknown> = {
          results: page.objects.map((object) =>
            presentObject(objectType, object.id, object.properties, properties, {
              associations: presentAssociations(store.associations, objectType, object.id, associations),
            }),
          ),
        };
        if (page.nextAfter !== undefined) {
          const link = new URL(path, origin);
          link.searchParams.set('after', page.nextAfter);
          link.searchParams.set('limit', String(limit));
          response.paging = { next: { after: page.nextAfter, link: link.toString() } };
        }
        return { status: 200, body: response };
      },
    },
    {
      method: 'POST',
      pattern: '/crm/v3/objects/:objectType',
      limitClass: 'standard',
      scope: objectsWrite,
      handle: ({ params, body, apiVersion }) => {
        const objectType = requireObjectType(params.objectType);
        const input = requireBodyObject(body);
        const object = store.create(objectType, input.properties ?? {}, input.associations, {
          requiredProperties: rules.requiredOnCreate(objectType, apiVersion),
        });
        return { status: 201, body: presentObject(objectType, object.id, object.properties, 'all') };
      },
    },
    {
      method: 'GET',
      pattern: '/crm/v3/objects/:objectType/:id',
      limitClass: 'standard',
      scope: objectsRead,
      handle: ({ params, query }) => {
        const objectType = requireObjectType(params.objectType);
        const object = store.resolve(objectType, params.id ?? '', query.get('idProperty') ?? undefined);
        if (!object) throw HubSpotApiError.notFound();
        const associations = listQueryParameter(query, 'associations');
        return {
          status: 200,
          body: presentObject(objectType, object.id, object.properties, listQueryParameter(query, 'properties'), {
            associations: presentAssociations(store.associations, objectType, object.id, associations),
          }),
        };
      },
    },
    {
      method: 'PATCH',
      pattern: '/crm/v3/objects/:objectType/:id',
      limitClass: 'standard',
      scope: objectsWrite,
      handle: ({ params, query, body }) => {
        const objectType = requireObjectType(params.objectType);
        const input = requireBodyObject(body);
        const existing = store.resolve(objectType, params.id ?? '', query.get('idProperty') ?? undefined);
        if (!existing) throw HubSpotApiError.notFound();
        const object = store.update(objectType, existing.id, input.properties ?? {});
        return { status: 200, body: presentObject(objectType, object.id, object.properties, 'all') };
      },
    },
    {
      method: 'DELETE',
      pattern: '/crm/v3/objects/:objectType/:id',
      limitClass: 'standard',
      scope: objectsWrite,
      handle: ({ params }) => {
        // HubSpot answers 204 whether or not the object existed.
        store.archive(requireObjectType(params.objectType), params.id ?? '');
        return { status: 204 };
      },
    },
  ];
}

export function requireBodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw HubSpotApiError.validation('Invalid input JSON: expected an object body.');
  }
  return body as Record<string, unknown>;
}

function parseListLimit(raw: string | null): number {
  if (raw === null || raw === '') return LIST_DEFAULT_LIMIT;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1) throw HubSpotApiError.validation(`Invalid "limit": ${raw}`);
  return Math.min(limit, LIST_MAX_LIMIT);
}
