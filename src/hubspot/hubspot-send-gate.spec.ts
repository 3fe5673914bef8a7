import { describe, expect, it } from 'vitest';
import { NotLeadingError } from '../common/app-error.js';
import { HubSpotSendGate, SENDER_EPOCH_HEADER, SENDER_INSTANCE_HEADER } from './hubspot-send-gate.js';

describe('HubSpotSendGate', () => {
  it('admits nothing until the sync leader opens it', () => {
    const gate = new HubSpotSendGate();
    expect(() => gate.admit()).toThrow(NotLeadingError);
    expect(gate.open).toBe(false);
  });

  it('admits until the deadline, naming the instance and epoch; a renewal moves the deadline', () => {
    const gate = new HubSpotSendGate();
    gate.openUntil('a', 3, performance.now() + 60_000);
    const pass = gate.admit();
    expect(pass.headers).toEqual({ [SENDER_INSTANCE_HEADER]: 'a', [SENDER_EPOCH_HEADER]: '3' });
    expect(pass.signal.aborted).toBe(false);
    gate.openUntil('a', 3, performance.now() + 120_000);
    // The same lease renewed: requests in flight go on.
    expect(pass.signal.aborted).toBe(false);
    gate.close('test over');
  });

  it('refuses once the deadline passed even before its timer ran (a process resumed after a freeze)', () => {
    const gate = new HubSpotSendGate();
    gate.openUntil('a', 1, performance.now() - 1);
    expect(() => gate.admit()).toThrow(/deadline passed/);
    expect(gate.open).toBe(false);
  });

  it('aborts requests in flight at its deadline, at close, and when a new epoch begins', async () => {
    const gate = new HubSpotSendGate();
    gate.openUntil('a', 1, performance.now() + 30);
    const atDeadline = gate.admit().signal;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(atDeadline.aborted).toBe(true);
    expect(atDeadline.reason).toBeInstanceOf(NotLeadingError);

    gate.openUntil('a', 2, performance.now() + 60_000);
    const beforeNewEpoch = gate.admit().signal;
    gate.openUntil('a', 3, performance.now() + 60_000);
    expect(beforeNewEpoch.aborted).toBe(true);

    const beforeClose = gate.admit().signal;
    gate.close('the lease was taken over');
    expect(beforeClose.aborted).toBe(true);
    expect(() => gate.admit()).toThrow(NotLeadingError);
  });

  it('refuses work begun under an earlier epoch once this instance leads again under a later one', () => {
    const gate = new HubSpotSendGate();
    gate.openUntil('a', 4, performance.now() + 60_000);
    gate.hold(4);
    expect(gate.admit().headers[SENDER_EPOCH_HEADER]).toBe('4');
    // Lost and taken again (epoch 6) while a retry of the epoch-4 batch waited out its backoff.
    gate.openUntil('a', 6, performance.now() + 60_000);
    expect(() => gate.admit()).toThrow(/begun under epoch 4 may not send under epoch 6/);
    gate.hold(6);
    expect(gate.admit().headers[SENDER_EPOCH_HEADER]).toBe('6');
    gate.close('test over');
  });
});
