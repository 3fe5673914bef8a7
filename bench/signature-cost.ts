import { performance } from 'node:perf_hooks';
import { retellVendor } from '../src/vendors/retell/retell.vendor.js';
import { checkBeforeBody, checkBody } from '../src/webhooks/webhook-auth.js';
import { RETELL_API_KEY, retellSignature, retellWebhook, usNumber } from './bench-support.js';

const ROUNDS = 20_000;

export interface SignatureCost {
  /** The verification of one signed Retell delivery as the ingest service runs it (headers, window, HMAC). */
  microsPerDelivery: number;
  bodyBytes: number;
  rounds: number;
}

/**
 * The signature check alone, in this process, on the bench's own Retell bodies: `checkBeforeBody` and `checkBody`
 * with Retell's scheme, `ROUNDS` times over a fresh body each time (the body and signature are made before the clock
 * starts). The ingest figures show it inside a whole delivery; this shows what it is on its own.
 */
export function signatureCost(): SignatureCost {
  const deliveries = Array.from({ length: ROUNDS }, (_, index) => {
    const body = retellWebhook(`sig-${index}`, usNumber(index));
    const headers = retellSignature(body);
    return { body: Buffer.from(body), header: (name: string) => headers[name] };
  });
  const now = new Date();
  const started = performance.now();
  for (const delivery of deliveries) {
    const presented = { header: delivery.header, now };
    checkBeforeBody(retellVendor.auth, presented, RETELL_API_KEY);
    checkBody(retellVendor.auth, presented, RETELL_API_KEY, delivery.body);
  }
  const elapsed = performance.now() - started;
  return {
    microsPerDelivery: Number(((elapsed * 1000) / ROUNDS).toFixed(1)),
    bodyBytes: deliveries[0]!.body.length,
    rounds: ROUNDS,
  };
}
