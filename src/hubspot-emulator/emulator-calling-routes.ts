/** `/calling/v1/dispositions`: the portal's call outcomes, which `hs_call_disposition` holds by GUID. */
import { DEFAULT_CALL_DISPOSITIONS } from './emulator-builtin-properties.js';
import { objectsRead } from './emulator-object-routes.js';
import type { Route } from './emulator-router.js';

export function callingRoutes(): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/calling/v1/dispositions',
      limitClass: 'standard',
      scope: objectsRead,
      handle: () => ({
        status: 200,
        body: DEFAULT_CALL_DISPOSITIONS.map(({ id, label }) => ({ id, label, deleted: false })),
      }),
    },
  ];
}
