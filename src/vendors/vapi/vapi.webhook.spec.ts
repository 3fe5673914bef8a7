import { describe, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import { PayloadValidationError } from '../../common/payload-validation.js';
import { VapiWebhook } from './vapi.webhook.js';

type Delivery = { message: Record<string, unknown> };

const webhook = new VapiWebhook();

describe('VapiWebhook', () => {
  it('keys a report by its call id and type, identified by that key alone', () => {
    const body = fixture('vapi', 'inbound-report');
    expect(webhook.split(body)).toEqual([
      {
        eventKey: '0c5f8a3e-2b7d-4e91-a6c4-9d8e7f6a5b41:end-of-call-report',
        eventName: 'end-of-call-report',
        payload: body,
        sameEventBy: 'key',
      },
    ]);
  });

  it('gives a redelivered report with new presigned URLs the same key', () => {
    const [first] = webhook.split(fixture('vapi', 'inbound-report'));
    const [again] = webhook.split(fixture('vapi', 'inbound-report-redelivered'));
    expect(again!.payload).not.toEqual(first!.payload);
    expect(again!.eventKey).toBe(first!.eventKey);
  });

  it('keys a status update by its call and status, other messages by their content', () => {
    const status = fixture<Delivery>('vapi', 'status-update');
    expect(webhook.split(status)[0]).toMatchObject({
      eventKey: '0c5f8a3e-2b7d-4e91-a6c4-9d8e7f6a5b41:status-update:in-progress',
      eventName: 'status-update',
    });
    expect(webhook.split(status)[0]!.sameEventBy).toBeUndefined();
    const ended = { message: { ...status.message, status: 'ended' } };
    expect(webhook.split(ended)[0]!.eventKey).toBe('0c5f8a3e-2b7d-4e91-a6c4-9d8e7f6a5b41:status-update:ended');

    const transcript = (text: string) => ({
      message: { type: 'transcript', role: 'user', transcriptType: 'final', transcript: text },
    });
    const [a] = webhook.split(transcript('I would like to book a cleaning.'));
    const [b] = webhook.split(transcript('Tuesday works.'));
    expect(a!.eventKey).toMatch(/^transcript:[0-9a-f]{64}$/);
    expect(a!.eventKey).not.toBe(b!.eventKey);
    expect(webhook.split(transcript('Tuesday works.'))[0]!.eventKey).toBe(b!.eventKey);
  });

  it('refuses a delivery that is not a Vapi message, naming the field', () => {
    const refusal = (body: unknown): string => {
      try {
        webhook.split(body);
      } catch (error) {
        expect(error).toBeInstanceOf(PayloadValidationError);
        return (error as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(refusal({ type: 'end-of-call-report' })).toBe('message: must be a JSON object');
    expect(refusal({ message: ['end-of-call-report'] })).toBe('message: must be a JSON object');
    expect(refusal({ message: { call: { id: 'c-1' } } })).toMatch(/^message\.type: /);
    expect(refusal({ message: { type: 42 } })).toBe('message.type: must be a string');
    expect(refusal({ message: { type: 'end-of-call-report', analysis: {}, artifact: {} } })).toBe(
      'message.call: must be a JSON object',
    );
    expect(refusal({ message: { type: 'end-of-call-report', call: { id: '   ' } } })).toBe(
      'message.call.id: must not be empty or blank',
    );
  });
});
