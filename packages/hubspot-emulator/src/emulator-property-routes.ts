/**
 * `/crm/v3/properties/{objectType}` endpoints (also served at `/crm/properties/{version}/{objectType}`): property
 * definitions and property groups.
 */
import type { ApiVersion } from './emulator-api-versions.js';
import { HubSpotApiError } from './emulator-error.js';
import { requireObjectType } from './emulator-object-types.js';
import { presentGroup, presentProperty } from './emulator-property-definition.js';
import type { PropertyRegistry, PropertyWriteOptions } from './emulator-property-registry.js';
import type { EmulatorRateLimiter } from './emulator-rate-limiter.js';
import type { Route } from './emulator-router.js';

const schemasRead = (): string => 'crm.schemas.contacts.read';
const schemasWrite = (): string => 'crm.schemas.contacts.write';

export function propertyRoutes(
  registry: PropertyRegistry,
  limits: Pick<EmulatorRateLimiter, 'limit'>,
  onChange: () => void,
): Route[] {
  const writeOptions = (apiVersion: ApiVersion): PropertyWriteOptions => ({
    // hubspot.md, "Versions and auth": in the 2026-09 properties spec each option's displayOrder is required.
    requireOptionDisplayOrder: apiVersion === '2026-09',
    maxCustomProperties: limits.limit('customPropertiesPerObject'),
  });

  // Group routes come first: "groups" would otherwise match the {propertyName} pattern.
  return [
    {
      method: 'GET',
      pattern: '/crm/v3/properties/:objectType/groups',
      limitClass: 'standard',
      scope: schemasRead,
      handle: ({ params }) => ({
        status: 200,
        body: { results: registry.listGroups(requireObjectType(params.objectType)).map(presentGroup) },
      }),
    },
    {
      method: 'POST',
      pattern: '/crm/v3/properties/:objectType/groups',
      limitClass: 'standard',
      scope: schemasWrite,
      handle: ({ params, body }) => {
        const group = registry.createGroup(requireObjectType(params.objectType), body);
        onChange();
        return { status: 201, body: presentGroup(group) };
      },
    },
    {
      method: 'GET',
      pattern: '/crm/v3/properties/:objectType/groups/:groupName',
      limitClass: 'standard',
      scope: schemasRead,
      handle: ({ params }) => {
        const group = registry.getGroup(requireObjectType(params.objectType), params.groupName ?? '');
        if (!group) throw HubSpotApiError.notFound(`Unable to find property group ${params.groupName ?? ''}`);
        return { status: 200, body: presentGroup(group) };
      },
    },
    {
      method: 'PATCH',
      pattern: '/crm/v3/properties/:objectType/groups/:groupName',
      limitClass: 'standard',
      scope: schemasWrite,
      handle: ({ params, body }) => {
        const group = registry.updateGroup(requireObjectType(params.objectType), params.groupName ?? '', body ?? {});
        onChange();
        return { status: 200, body: presentGroup(group) };
      },
    },
    {
      method: 'GET',
      pattern: '/crm/v3/properties/:objectType',
      limitClass: 'standard',
      scope: schemasRead,
      handle: ({ params }) => ({
        status: 200,
        body: { results: registry.list(requireObjectType(params.objectType)).map(presentProperty) },
      }),
    },
    {
      method: 'POST',
      pattern: '/crm/v3/properties/:objectType',
      limitClass: 'standard',
      scope: schemasWrite,
      handle: ({ params, body, apiVersion }) => {
        const definition = registry.create(requireObjectType(params.objectType), body, writeOptions(apiVersion));
        onChange();
        return { status: 201, body: presentProperty(definition) };
      },
    },
    {
      method: 'GET',
      pattern: '/crm/v3/properties/:objectType/:propertyName',
      limitClass: 'standard',
      scope: schemasRead,
      handle: ({ params }) => {
        const definition = registry.get(requireObjectType(params.objectType), params.propertyName ?? '');
        if (!definition) throw HubSpotApiError.notFound(`Unable to find property ${params.propertyName ?? ''}`);
        return { status: 200, body: presentProperty(definition) };
      },
    },
    {
      method: 'PATCH',
      pattern: '/crm/v3/properties/:objectType/:propertyName',
      limitClass: 'standard',
      scope: schemasWrite,
      handle: ({ params, body, apiVersion }) => {
        const definition = registry.update(
          requireObjectType(params.objectType),
          params.propertyName ?? '',
          body,
          writeOptions(apiVersion),
        );
        onChange();
        return { status: 200, body: presentProperty(definition) };
      },
    },
    {
      method: 'DELETE',
      pattern: '/crm/v3/properties/:objectType/:propertyName',
      limitClass: 'standard',
      scope: schemasWrite,
      handle: ({ params }) => {
        registry.archive(requireObjectType(params.objectType), params.propertyName ?? '');
        onChange();
        return { status: 204 };
      },
    },
  ];
}
