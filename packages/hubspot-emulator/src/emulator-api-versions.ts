/**
 * HubSpot's dated API versions. Since 2026-03-30 HubSpot serves its REST APIs under a date
 * (`/crm/objects/2026-09/contacts/search`) next to the legacy semantic-version paths (`/crm/v3/objects/...`), with
 * the v3 request and response shapes except where a version says otherwise (hubspot.md, "Versions and auth";
 * https://developers.hubspot.com/docs/api-reference/2026-09/crm/search-the-crm shows the dated paths).
 *
 * The emulator keeps one set of routes, written with the legacy paths; a dated request is routed as its legacy
 * twin and carries its version so the routes can apply the rules that differ per version.
 */

/** The dated versions HubSpot supports on 2026-11-30: 2026-09 is current, 2026-03 is supported until ~2027-09. */
export const DATED_API_VERSIONS = ['2026-03', '2026-09'] as const;
export type DatedApiVersion = (typeof DATED_API_VERSIONS)[number];

/**
 * What a request's path says about its version: `'v3'`, `'v4'`, `'v1'` (legacy paths), `'2026-03'`, `'2026-09'`
 * (dated paths), the date of an unsupported dated path, or `'unversioned'` for paths without one.
 */
export type ApiVersion = 'v1' | 'v3' | 'v4' | DatedApiVersion | 'unversioned' | (string & {});

/** The path families HubSpot serves under a date; `dated` is followed by the version segment. */
const DATED_FAMILIES: readonly { dated: readonly string[]; legacy: readonly string[] }[] = [
  { dated: ['crm', 'objects'], legacy: ['crm', 'v3', 'objects'] },
  { dated: ['crm', 'properties'], legacy: ['crm', 'v3', 'properties'] },
  { dated: ['crm', 'limits'], legacy: ['crm', 'v3', 'limits'] },
  { dated: ['account-info'], legacy: ['account-info', 'v3'] },
  // hubspot.md, "Files": `/files/2026-09/files` next to the legacy `/files/v3/files`
  // (https://developers.hubspot.com/docs/api-reference/2026-03/files/guide).
  { dated: ['files'], legacy: ['files', 'v3'] },
];

const DATE_VERSION = /^\d{4}-\d{2}(?:-beta)?$/;
const SEMANTIC_VERSION = /^v\d+$/;

export interface ResolvedApiPath {
  apiVersion: ApiVersion;
  /** The path to route: a dated path rewritten to its legacy twin, any other path unchanged. */
  routePath: string;
  /** Set when the path is dated with a version HubSpot does not serve (answered 404). */
  unsupportedVersion?: string;
  /** Maps a legacy route path (an endpoint label) back to the form the client used. */
  asRequested(legacyPath: string): string;
}

export function isDatedApiVersion(version: string): version is DatedApiVersion {
  return (DATED_API_VERSIONS as readonly string[]).includes(version);
}

export function resolveApiPath(pathname: string): ResolvedApiPath {
  const segments = pathname.split('/').filter(Boolean);
  for (const family of DATED_FAMILIES) {
    const version = segments[family.dated.length];
    if (version === undefined || !DATE_VERSION.test(version)) continue;
    if (!family.dated.every((segment, position) => segments[position] === segment)) continue;
    const rest = segments.slice(family.dated.length + 1);
    const datedPrefix = `/${[...family.dated, version].join('/')}`;
    const legacyPrefix = `/${family.legacy.join('/')}`;
    return {
      apiVersion: version,
      routePath: `/${[...family.legacy, ...rest].join('/')}`,
      ...(isDatedApiVersion(version) ? {} : { unsupportedVersion: version }),
      asRequested: (legacyPath) =>
        legacyPath.startsWith(legacyPrefix) ? `${datedPrefix}${legacyPath.slice(legacyPrefix.length)}` : legacyPath,
    };
  }
  return {
    apiVersion: segments.find((segment) => SEMANTIC_VERSION.test(segment)) ?? 'unversioned',
    routePath: pathname,
    asRequested: (legacyPath) => legacyPath,
  };
}
