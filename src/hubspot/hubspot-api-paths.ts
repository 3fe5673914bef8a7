/**
 * Every HubSpot path the connector uses, behind one version setting (`HUBSPOT_API_VERSION`).
 *
 * Since 2026-03-30 HubSpot's REST paths carry a date (`/crm/objects/2026-09/contacts/search`,
 * `/crm/properties/2026-09/calls`, `/account-info/2026-09/details`); the `/crm/v3` paths are "legacy" and lose
 * support after September 2027 (hubspot.md "Versions and auth"; HubSpot API reference,
 * https://developers.hubspot.com/docs/api-reference/2026-09/crm/search-the-crm). `v3` stays selectable for a portal
 * or proxy that has not moved yet.
 */
export const DEFAULT_API_VERSION = '2026-09';

/** `v3`, or a dated version `YYYY-MM` (HubSpot ships one each March and September). */
export function isApiVersion(value: string): boolean {
  return value === 'v3' || /^20\d\d-(03|09)$/.test(value);
}

export class HubSpotApiPaths {
  private readonly dated: boolean;

  constructor(readonly version: string) {
    if (!isApiVersion(version)) throw new Error(`unknown HubSpot API version "${version}"`);
    this.dated = version !== 'v3';
  }

  /** `/crm/objects/{version}/{type}{rest}` (legacy: `/crm/v3/objects/{type}{rest}`). */
  objects(objectType: string, rest = ''): string {
    return this.dated ? `/crm/objects/${this.version}/${objectType}${rest}` : `/crm/v3/objects/${objectType}${rest}`;
  }

  /** `/crm/properties/{version}/{type}{rest}` (legacy: `/crm/v3/properties/{type}{rest}`). */
  properties(objectType: string, rest = ''): string {
    return this.dated
      ? `/crm/properties/${this.version}/${objectType}${rest}`
      : `/crm/v3/properties/${objectType}${rest}`;
  }

  /** The portal's id, time zone and data hosting location. */
  accountDetails(): string {
    return this.dated ? `/account-info/${this.version}/details` : '/account-info/v3/details';
  }

  /** `/files/{version}/files{rest}` (legacy: `/files/v3/files{rest}`): HubSpot's File Manager. */
  files(rest = ''): string {
    return `/files/${this.version}/files${rest}`;
  }

  /**
   * An object's associations of one type, v4 (https://developers.hubspot.com/docs/api-reference/crm-associations-v4/guide:
   * `GET /crm/v4/objects/{fromObjectType}/{objectId}/associations/{toObjectType}`, pages of up to 500 with `after`).
   * Assumed, not confirmed: HubSpot's dated reference documents the association definitions under
   * `/crm/associations/{version}/…` but we found no dated twin of this read, so it stays on v4 whatever the version.
   */
  associations(fromObjectType: string, objectId: string, toObjectType: string): string {
    return `/crm/v4/objects/${fromObjectType}/${encodeURIComponent(objectId)}/associations/${toObjectType}`;
  }

  /**
   * The portal's call outcomes. HubSpot has no generally available dated equivalent (the calling dispositions API
   * is `2027-03-beta`, for allowlisted apps only), so this stays on the v1 path.
   */
  callDispositions(): string {
    return '/calling/v1/dispositions';
  }
}
