import { describe, expect, it } from 'vitest';
import type { InboxEventRow } from '../store/inbox.repository.js';
import {
  deadLetterGroups,
  type DeadLetterGroup,
  deliveryItem,
  hourlySeries,
  hubspotRecordUrl,
  parseProblem,
  seriesStart,
} from './console-views.js';

describe('parseProblem', () => {
  it("reads the line, path and message of the checks' problems, with or without a file or a line", () => {
    expect(parseProblem('mapping.yaml:12 call.title: unknown field "x"')).toEqual({
      line: 12,
      path: 'call.title',
      message: 'unknown field "x"',
    });
    expect(parseProblem('/srv/config/mapping.yaml:3 YAML syntax: bad indentation')).toEqual({
      line: 3,
      path: 'YAML syntax',
      message: 'bad indentation',
    });
    expect(parseProblem('mapping.yaml (version 5):7 contact.properties[2].property: must be a property name')).toEqual({
      line: 7,
      path: 'contact.properties[2].property',
      message: 'must be a property name',
    });
    expect(parseProblem('hubspot.propertyGroup: changes only take effect with a restart')).toEqual({
      line: null,
      path: 'hubspot.propertyGroup',
      message: 'changes only take effect with a restart',
    });
    expect(parseProblem('the store did not answer: nothing was changed')).toEqual({
      line: null,
      path: '',
      message: 'the store did not answer: nothing was changed',
    });
  });
});

describe('hourlySeries', () => {
  it('answers the last 24 hours oldest first, with 0 where none was synced', () => {
    const now = new Date('2026-03-01T10:25:00Z');
    const series = hourlySeries(
      [
        { hour: '2026-03-01T10', count: 3 },
        { hour: '2026-02-28T11', count: 1 },
        { hour: '2026-02-28T10', count: 9 },
      ],
      now,
    );
    expect(series).toHaveLength(24);
    expect(series[0]).toEqual({ hour: '2026-02-28T11:00:00.000Z', calls: 1 });
    expect(series[23]).toEqual({ hour: '2026-03-01T10:00:00.000Z', calls: 3 });
    expect(series.reduce((sum, entry) => sum + entry.calls, 0)).toBe(4);
    expect(seriesStart(now).toISOString()).toBe('2026-02-28T11:00:00.000Z');
  });
});

describe('deliveryItem', () => {
  it("lists an event with its call ids and masked numbers, its reason masked of the call's personal values", () => {
    const records = [
      {
        vendorCallId: 'c-1',
        customer: { name: 'Li Wei', email: null, company: null, phone: { e164: '+8617534989887', raw: '17534989887' } },
      },
    ];
    const row = {
      id: 7,
      vendor: 'yunfu',
      event_name: 'call',
      status: 'dead',
      received_at: 'r',
      updated_at: 'u',
      attempts: 2,
      records: JSON.stringify(records),
      last_error: 'HubSpot refused firstname "Li Wei" for 17534989887',
    } as unknown as InboxEventRow;
    expect(deliveryItem(row)).toEqual({
      id: 7,
      vendor: 'yunfu',
      eventName: 'call',
      status: 'dead',
      receivedAt: 'r',
      updatedAt: 'u',
      attempts: 2,
      vendorCallIds: ['c-1'],
      phones: ['+86 175 **** 9887'],
      lastError: 'HubSpot refused firstname "***" for ***',
    });
    expect(deliveryItem({ ...row, records: null, last_error: null })).toMatchObject({
      vendorCallIds: [],
      phones: [],
      lastError: null,
    });
  });
});

describe('deadLetterGroups', () => {
  it('groups by reason, counts per vendor, the largest group first and ids newest first', () => {
    const groups = deadLetterGroups([
      { id: 1, vendor: 'yunfu', reason: 'a', updatedAt: '2026-01-01' },
      { id: 2, vendor: 'voicefox', reason: 'b', updatedAt: '2026-01-02' },
      { id: 3, vendor: 'yunfu', reason: 'b', updatedAt: '2026-01-03' },
      { id: 4, vendor: 'constructor', reason: 'b', updatedAt: '2026-01-01' },
    ]);
    const expected: DeadLetterGroup[] = [
      {
        reason: 'b',
        count: 3,
        vendors: { voicefox: 1, yunfu: 1, constructor: 1 },
        newestAt: '2026-01-03',
        ids: [4, 3, 2],
      },
      { reason: 'a', count: 1, vendors: { yunfu: 1 }, newestAt: '2026-01-01', ids: [1] },
    ];
    expect(groups).toEqual(expected);
  });
});

describe('hubspotRecordUrl', () => {
  it('links contacts (0-1) and calls (0-48) into the portal, and nothing without a portal or an id', () => {
    expect(hubspotRecordUrl('123', 'contacts', '9')).toBe('https://app.hubspot.com/contacts/123/record/0-1/9');
    expect(hubspotRecordUrl('123', 'calls', '5')).toBe('https://app.hubspot.com/contacts/123/record/0-48/5');
    expect(hubspotRecordUrl(null, 'calls', '5')).toBeNull();
    expect(hubspotRecordUrl('123', 'calls', null)).toBeNull();
  });
});
