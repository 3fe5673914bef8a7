/**
 * Search bodies within HubSpot's limits: 3,000 characters per body (see `../shared/docs/hubspot.md`, Hard limits),
 * with room kept for paging; values split over as few searches as fit.
 */

/**
 * HubSpot's limits for one search (search guide, "Limitations",
 * https://developers.hubspot.com/docs/api-reference/2026-09/crm/search-the-crm; hubspot.md "Hard limits"): a body of
 * at most 3,000 characters ("If the body of your request exceeds 3,000 characters, a 400 error will be returned"),
 * at most 5 filter groups of at most 6 filters (18 in all), one sort, and pages of at most 200 results.
 */
export const SEARCH_BODY_LIMIT = 3_000;

export const SEARCH_PAGE = 200;

/** HubSpot refuses to page a search past 10,000 results. */
export const MAX_SEARCH_PAGES = 10_000 / SEARCH_PAGE;
/** Room kept in every search body for the `"after":"…"` of later pages. */
const PAGING_RESERVE = 24;

/** A search keeps at least this much of its body for values: properties beyond it are left out, not the values. */
export const VALUE_ROOM = 1_500;

/**
 * Values split into searches whose bodies stay within HubSpot's 3,000 characters, each leaving room for paging.
 * A value that cannot fit even alone is an error of the caller (keys and phone numbers are far shorter).
 */
export function searchChunks(values: string[], body: (values: string[]) => unknown): string[][] {
  const limit = SEARCH_BODY_LIMIT - PAGING_RESERVE;
  const result: string[][] = [];
  let current: string[] = [];
  for (const value of values) {
    const candidate = [...current, value];
    if (JSON.stringify(body(candidate)).length <= limit) {
      current = candidate;
      continue;
    }
    if (current.length === 0)
      throw new Error(
        `a search value of ${value.length} characters cannot fit HubSpot's ${SEARCH_BODY_LIMIT}-character search body`,
      );
    result.push(current);
    current = [value];
    if (JSON.stringify(body(current)).length > limit)
      throw new Error(
        `a search value of ${value.length} characters cannot fit HubSpot's ${SEARCH_BODY_LIMIT}-character search body`,
      );
  }
  if (current.length > 0) result.push(current);
  return result;
}

/** Contacts whose calculated phone or mobile number is one of `values` (two groups: they OR). */
export function contactSearchBody(values: string[], properties: string[]) {
  return {
    filterGroups: [
      { filters: [{ propertyName: 'hs_searchable_calculated_phone_number', operator: 'IN', values }] },
      { filters: [{ propertyName: 'hs_searchable_calculated_mobile_number', operator: 'IN', values }] },
    ],
    properties,
    limit: SEARCH_PAGE,
  };
}

/** The properties to ask a search for: all that leave `VALUE_ROOM` characters for values, in the caller's order. */
export function fittingProperties(properties: string[], body: (properties: string[]) => unknown): string[] {
  const unique = [...new Set(properties)];
  let count = unique.length;
  while (
    count > 1 &&
    JSON.stringify(body(unique.slice(0, count))).length > SEARCH_BODY_LIMIT - PAGING_RESERVE - VALUE_ROOM
  )
    count--;
  return unique.slice(0, count);
}
