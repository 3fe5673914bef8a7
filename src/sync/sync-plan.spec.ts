import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/support/fixtures.js';
import { NO_DETAILS } from '../hubspot/hubspot-errors.js';
import { parseConnectorSettings } from '../config/mapping/mapping-file.js';
import type { ConnectorSettings } from '../config/mapping/mapping-settings.js';
import { connectorPropertyNames } from '../mapping/connector-properties.js';
import type { CallLedgerRow } from '../store/ledger.repository.js';
import type { CallRecord } from '../vendors/call-record.js';
import { DEFAULT_ANALYSIS_KEYS } from '../vendors/vendor-mapper.js';
import { voicefoxVendor } from '../vendors/voicefox/voicefox.vendor.js';
import type { ContactResolution } from './contact-resolver.js';
import {
  contactPlans,
  groupByCall,
  holdUpdateOnly,
  mergeOntoLedger,
  planCallWrites,
  selectConfigured,
  setAsideWithoutPhone,
  type SyncItem,
} from './sync-plan.js';

/** The phases of one sync pass as pure decisions: no HubSpot, no store, no clock but the one given. */
const NOW = new Date('2026-11-30T10:00:00Z');
const context = {
  timeZone: 'Asia/Shanghai',
  defaultRegion: 'CN',
  intentionLabels: {},
  analysisKeys: DEFAULT_ANALYSIS_KEYS,
  now: () => NOW,
};

function voicefoxRecord(
  name: 'callin-collect' | 'callin-hangup',
  sessionId: string,
  phone: string | null = '17534989887',
): CallRecord {
  const event = fixture<{ event_name: string; event_data: Record<string, unknown> }>('voicefox', name);
  const body = {
    ...event,
    event_data: {
      ...event.event_data,
      session_id: sessionId,
      ...(phone === null ? { caller: '', callee: '' } : { caller: phone }),
    },
  };
  const mapped = voicefoxVendor.mapper.map({ eventName: event.event_name, payload: body }, context);
  if (mapped.kind !== 'records') throw new Error('expected records');
  return mapped.records[0]!;
}

let nextRef = 1;
const item = (record: CallRecord): SyncItem => ({ ref: nextRef++, record, receivedAt: NOW.toISOString() });
const settingsWith = (yaml: string): ConnectorSettings => parseConnectorSettings(yaml, 'mapping.yaml');
const defaults = settingsWith('{}');
const updateOnlyHangup = settingsWith(
  'vendors:\n  voicefox:\n    events: { create: [callin.collect], update: [callin.hangup] }\n',
);
const row = (key: string, state: CallLedgerRow['state'], callId: string | null = null): CallLedgerRow => ({
  portal_id: 'default',
  call_key: key,
  call_id: callId,
  contact_id: null,
  state,
  intent_at: null,
  create_tries: 0,
  record: null,
  updated_at: NOW.toISOString(),
});
const noContacts = (): ContactResolution => ({
  ids: new Map(),
  failures: new Map(),
  warnings: new Map(),
  deferred: new Set(),
});

describe('sync phases', () => {
  it('skips events the vendor configuration does not name, and keeps the rest in order', () => {
    const settings = settingsWith('vendors:\n  voicefox:\n    events: { create: [callin.collect], update: [] }\n');
    const collect = item(voicefoxRecord('callin-collect', 's-1'));
    const hangup = item(voicefoxRecord('callin-hangup', 's-1'));
    const { syncable, skipped } = selectConfigured([collect, hangup], settings);
    expect(syncable).toEqual([collect]);
    expect(skipped).toEqual([
      {
        refs: [hangup.ref],
        result: { kind: 'skipped', reason: 'callin.hangup is not configured to create or update calls' },
      },
    ]);
  });

  it('makes one group of the events of one vendor call, merged, and may create it if any event may', () => {
    const collect = item(voicefoxRecord('callin-collect', 's-2'));
    const hangup = item(voicefoxRecord('callin-hangup', 's-2'));
    const other = item(voicefoxRecord('callin-collect', 's-3'));
    const groups = groupByCall([collect, hangup, other], updateOnlyHangup);
    expect(groups.map((group) => [group.key, group.refs, group.mayCreate])).toEqual([
      ['voicefox:s-2', [collect.ref, hangup.ref], true],
      ['voicefox:s-3', [other.ref], true],
    ]);
    // The merged record keeps the collect's answers and the hangup's talk time.
    expect(groups[0]!.record.answers.length).toBeGreaterThan(0);
    expect(groups[0]!.record.talkSeconds).toBe(hangup.record.talkSeconds);
  });

  it("merges a group onto the record the ledger holds from the call's earlier events", () => {
    const earlier = voicefoxRecord('callin-collect', 's-4');
    const groups = groupByCall([item(voicefoxRecord('callin-hangup', 's-4'))], defaults);
    mergeOntoLedger(
      groups,
      new Map([['voicefox:s-4', { ...row('voicefox:s-4', 'synced', '901'), record: JSON.stringify(earlier) }]]),
    );
    expect(groups[0]!.record.answers).toEqual(earlier.answers);
  });

  it('holds update-only events of a call not yet created, and lets them through once it is', () => {
    const groups = groupByCall(
      [item(voicefoxRecord('callin-hangup', 's-5')), item(voicefoxRecord('callin-hangup', 's-6'))],
      updateOnlyHangup,
    );
    const ledger = new Map([['voicefox:s-6', row('voicefox:s-6', 'synced', '902')]]);
    const { deferred, active } = holdUpdateOnly(groups, ledger);
    expect(deferred.map((group) => group.key)).toEqual(['voicefox:s-5']);
    expect(active.map((group) => group.key)).toEqual(['voicefox:s-6']);
  });

  it('dead-letters calls without a customer number unless the mapping logs them without a contact', () => {
    const groups = groupByCall(
      [item(voicefoxRecord('callin-collect', 's-7', null)), item(voicefoxRecord('callin-collect', 's-8'))],
      defaults,
    );
    expect(groups[0]!.record.customer.phone.e164).toBeNull();
    const { writable, dead } = setAsideWithoutPhone(groups, defaults);
    expect(writable.map((group) => group.key)).toEqual(['voicefox:s-8']);
    expect(dead).toEqual([
      {
        refs: groups[0]!.refs,
        result: { kind: 'dead', reason: 'the call has no valid customer phone number, so no contact to log it on' },
      },
    ]);
    const logged = setAsideWithoutPhone(groups, settingsWith('hubspot:\n  callsWithoutPhone: log-without-contact\n'));
    expect(logged).toEqual({ writable: groups, dead: [] });
  });

  it('plans one contact per number, from every record with that number', () => {
    const groups = groupByCall(
      [
        item(voicefoxRecord('callin-collect', 's-9')),
        item(voicefoxRecord('callin-collect', 's-10')),
        item(voicefoxRecord('callin-collect', 's-11', '13800000001')),
      ],
      defaults,
    );
    const plans = contactPlans(groups, defaults, connectorPropertyNames(defaults));
    expect([...plans.keys()]).toEqual(['+8617534989887', '+8613800000001']);
  });

  it('plans a create for a new call, an update for a known one, a lookup for an unconfirmed create, and settles the rest', () => {
    const groups = groupByCall(
      ['s-12', 's-13', 's-14', 's-15', 's-16'].map((session, index) =>
        item(
          voicefoxRecord(
            'callin-collect',
            session,
            index < 3 ? '17534989887' : index === 3 ? '13800000002' : '13800000003',
          ),
        ),
      ),
      defaults,
    );
    const ledger = new Map([
      ['voicefox:s-13', row('voicefox:s-13', 'synced', '903')],
      ['voicefox:s-14', row('voicefox:s-14', 'creating')],
    ]);
    const contacts = noContacts();
    contacts.deferred.add('+8613800000002');
    contacts.failures.set('+8613800000003', {
      retryable: false,
      status: 400,
      category: 'VALIDATION_ERROR',
      message: 'bad email',
      correlationId: null,
      details: NO_DETAILS,
    });
    const plan = planCallWrites(groups, contacts, ledger, NOW);
    expect(plan.creates.map((group) => group.key)).toEqual(['voicefox:s-12']);
    expect(plan.updates.map((group) => [group.key, group.callId])).toEqual([['voicefox:s-13', '903']]);
    expect(plan.unconfirmed.map((group) => group.key)).toEqual(['voicefox:s-14']);
    expect(plan.settled.map((settled) => settled.result)).toEqual([
      { kind: 'wait', reason: 'left for the next batch, to share its HubSpot contact search', notBefore: NOW },
      { kind: 'dead', reason: expect.stringMatching(/^HubSpot refused the contact: bad email/) },
    ]);
  });
});
