/** `/crm/v3/properties/{objectType}` endpoints: property definitions and property groups. */
import { HubSpotApiError } from './emulator-error.js';
import { requireObjectType } from './emulator-object-types.js';
import { presentGroup, presentProperty } from './emulator-property-definition.js';
import type { PropertyRegistry } from './emulator-property-registry.js';
import type { Route } from './emulator-router.js';

const schemasRead = (): string => 'crm.schemas.contacts.read';
const schemasWrite = (): string => 'crm.schemas.contacts.write';

export function propertyRoutes(registry: PropertyRegistry, onChange: () => void): Route[] {
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
      handle: ({ params, body }) => {
        const definition = registry.create(requireObjectType(params.objectType), body);
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
      handle: ({ params, body }) => {
        const definition = registry.update(requireObjectType(params.objectType), params.propertyName ?? '', body);
        onChange();
        return { status: 200, body: presentProperty(definition) };
      },
    },
  ];
}
