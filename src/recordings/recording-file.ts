import { createHash } from 'node:crypto';

/** The longest call id kept as it is in a file name (HubSpot's own name limit is far above). */
const MAX_ID_CHARS = 80;

/**
 * A recording's file name in HubSpot, without extension: the vendor and the vendor's call id (`voicefox-8a1f…`),
 * never a phone number or a name. Characters outside letters, digits, `-` and `_` become `-`; a call id changed that
 * way (or cut) gets a short digest of the original, so that two calls never share a name.
 */
export function recordingFileName(vendor: string, vendorCallId: string): string {
  const safe = vendorCallId.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, MAX_ID_CHARS);
  const changed = safe !== vendorCallId;
  const digest = createHash('sha256').update(vendorCallId).digest('hex').slice(0, 10);
  return `${vendor}-${safe}${changed ? `-${digest}` : ''}`;
}

/** The month's folder under the configured one (`/ai-calls/2026-11`), by the time the recording was queued (UTC). */
export function recordingFolder(folder: string, queuedAt: string): string {
  const at = new Date(queuedAt);
  const month = `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
  return `${folder.replace(/\/+$/, '')}/${month}`;
}
