import { describe, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import { PayloadValidationError } from '../../common/payload-validation.js';
import { RetellWebhook } from './retell.webhook.js';

const webhook = new RetellWebhook();
const keyOf = (body: unknown) => {
  const items = webhook.split(body);
  expect(items).toHaveLength(1);
  return items[0]!;
};
const problem = (body: unknown): string => {
  try {
    webhook.split(body);
  } catch (error) {
    if (error instanceof PayloadValidationError) return error.message;
  }
  return 'no PayloadValidationError';
};

describe('RetellWebhook', () => {
  it('keys each event of a call by call id and event name: three events of one call, three rows', () => {
    expect(['call-started', 'call-ended', 'call-analyzed'].map((name) => keyOf(fixture('retell', name)))).toEqual([
      {
        eventKey: 'call_9f2c4e8a71b3d05c6e2a8f41d7b9:call_started',
        eventName: 'call_started',
        payload: expect.anything(),
      },
      { eventKey: 'call_9f2c4e8a71b3d05c6e2a8f41d7b9:call_ended', eventName: 'call_ended', payload: expect.anything() },
      {
        eventKey: 'call_9f2c4e8a71b3d05c6e2a8f41d7b9:call_analyzed',
        eventName: 'call_analyzed',
        payload: expect.anything(),
      },
    ]);
  });

  it('takes the event name from event_type when event is absent', () => {
    expect(keyOf(fixture('retell', 'web-call-analyzed'))).toMatchObject({
      eventKey: 'call_6b0a2d8f4e1c7a93b5d2e0f8c4a6:call_analyzed',
      eventName: 'call_analyzed',
    });
  });

  it('keys other events of a call by its id too, and events without a call id by their content', () => {
    expect(keyOf(fixture('retell', 'transfer-started')).eventKey).toBe(
      'call_9f2c4e8a71b3d05c6e2a8f41d7b9:transfer_started',
    );
    const chat = keyOf({ event: 'chat_ended', chat: { chat_id: 'chat_01', chat_status: 'ended' } });
    expect(chat.eventKey).toMatch(/^chat_ended:[0-9a-f]{64}$/);
    // The same content in another key order is the same event.
    expect(keyOf({ chat: { chat_status: 'ended', chat_id: 'chat_01' }, event: 'chat_ended' }).eventKey).toBe(
      chat.eventKey,
    );
  });

  it('refuses a delivery without an event name, or a call event without its call id, naming the field', () => {
    expect(problem({ call: { call_id: 'c1' } })).toBe('event: must name the event (event or event_type)');
    expect(problem({ event: '  ', call: { call_id: 'c1' } })).toMatch(/^event: /);
    expect(problem({ event: 'call_ended' })).toBe('call: must be a JSON object');
    expect(problem({ event: 'call_ended', call: [] })).toMatch(/^call: /);
    expect(problem({ event: 'call_analyzed', call: { call_id: '' } })).toMatch(/^call\.call_id: /);
    expect(problem({ event: 'call_analyzed', call: { call_id: 'c1', call_analysis: 'done' } })).toMatch(
      /^call\.call_analysis: /,
    );
    expect(problem(['call_ended'])).toMatch(/^body: /);
  });
});
