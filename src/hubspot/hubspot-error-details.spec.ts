import { describe, expect, it } from 'vitest';
import { errorDetails } from './hubspot-error-details.js';
import { SEARCH_BODY_LIMIT, searchChunks } from './hubspot-search-bodies.js';

describe('errorDetails (what a HubSpot error body names)', () => {
  it('reads the property problems HubSpot embeds as JSON in the message, pairing each property with its own code', () => {
    const details = errorDetails({
      status: 'error',
      category: 'VALIDATION_ERROR',
      message:
        'Property values were not valid: [{"isValid":false,"message":"x","error":"READ_ONLY_VALUE","name":"hs_marketable_status"},{"isValid":false,"message":"y","error":"REQUIRED_PROPERTY","name":"lead_source"}]',
      context: { objectWriteTraceId: ['3'], ids: ['+8613800000001'] },
    });
    expect(details).toEqual({
      properties: ['hs_marketable_status', 'lead_source'],
      codes: ['READ_ONLY_VALUE', 'REQUIRED_PROPERTY'],
      ids: ['+8613800000001'],
      traceIds: ['3'],
      scopes: [],
      problems: [
        { property: 'hs_marketable_status', code: 'READ_ONLY_VALUE' },
        { property: 'lead_source', code: 'REQUIRED_PROPERTY' },
      ],
    });
  });

  it("reads errors[] entries, invalid association ids and a 403's missing scopes", () => {
    expect(
      errorDetails({ message: 'One or more associations are invalid', context: { invalidIds: ['10001'] } }).ids,
    ).toEqual(['10001']);
    const forbidden = errorDetails({
      status: 'error',
      category: 'MISSING_SCOPES',
      message: "This app hasn't been granted all required scopes",
      errors: [
        {
          message: 'One or more of the following scopes are required.',
          context: { requiredGranularScopes: ['crm.schemas.contacts.write'] },
        },
      ],
    });
    expect(forbidden.scopes).toEqual(['crm.schemas.contacts.write']);
    const entry = errorDetails({
      errors: [{ message: 'bad option', code: 'INVALID_OPTION', context: { propertyName: ['ai_call_tags'] } }],
    });
    expect(entry).toMatchObject({
      properties: ['ai_call_tags'],
      codes: ['INVALID_OPTION'],
      problems: [{ property: 'ai_call_tags', code: 'INVALID_OPTION' }],
    });
  });

  it("reads nothing from a body that is not HubSpot's shape (an HTML error page), without throwing", () => {
    expect(errorDetails('<html>Bad Gateway</html>')).toMatchObject({ properties: [], codes: [], problems: [] });
    expect(errorDetails({ message: 'Property values were not valid: [{not json' })).toMatchObject({ properties: [] });
    expect(errorDetails(null).ids).toEqual([]);
  });
});

describe("searchChunks (search bodies sized to HubSpot's 3,000 characters)", () => {
  const body = (values: string[]) => ({
    filterGroups: [{ filters: [{ propertyName: 'ai_call_key', operator: 'IN', values }] }],
    properties: ['ai_call_key'],
    limit: 200,
  });

  it('packs as many values as fit, keeps room for paging, and loses none', () => {
    const values = Array.from({ length: 300 }, (_, index) => `yunfu:${String(index).padStart(36, '0')}`);
    const chunks = searchChunks(values, body);
    expect(chunks.flat()).toEqual(values);
    for (const chunk of chunks)
      expect(JSON.stringify({ ...body(chunk), after: '10000' }).length).toBeLessThanOrEqual(SEARCH_BODY_LIMIT);
    // Full chunks: one more value would not have fitted.
    for (const chunk of chunks.slice(0, -1))
      expect(JSON.stringify(body([...chunk, values[0]!])).length).toBeGreaterThan(SEARCH_BODY_LIMIT - 24);
  });

  it('refuses a value that cannot fit a search on its own, rather than sending what HubSpot refuses', () => {
    expect(() => searchChunks(['x'.repeat(3_000)], body)).toThrow(/cannot fit HubSpot's 3000-character search body/);
  });
});
