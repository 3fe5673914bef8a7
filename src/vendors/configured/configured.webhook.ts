import { contentDigest } from '../../common/content-digest.js';
import {
  callIdText,
  isWellFormedText,
  MAX_CALL_ID_LENGTH,
  PayloadValidationError,
} from '../../common/payload-validation.js';
import { hasOwnKey } from '../../common/own-value.js';
import type { InboxItem, VendorWebhook } from '../vendor-webhook.js';
import type { ConfiguredVendorSpec } from './configured-vendor-spec.js';
import { formatValuePath, readPath } from './value-path.js';

/** The longest event name taken (as VoiceFox's `event_name`). */
const MAX_EVENT_NAME_LENGTH = 100;

/**
 * One delivery of a configured vendor is one event: a JSON object, its name at `eventNamePath` (or the fixed name),
 * its key the values at the `eventKey` paths joined by `:`. A call event whose key path holds no usable id (absent,
 * blank, not text or a whole number, too long) is refused with a 400 naming the path, and nothing is stored; an event
 * that carries no call is keyed by its name and content.
 */
export class ConfiguredWebhook implements VendorWebhook {
  constructor(
    readonly vendor: string,
    private readonly spec: ConfiguredVendorSpec,
  ) {}

  split(body: unknown): InboxItem[] {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new PayloadValidationError('body', 'must be a JSON object');
    const eventName = configuredEventName(this.spec, body);
    // An event that carries no call is stored and skipped: keyed by its name and content, so that it can never
    // share a key with a call event (whose key paths it may well have).
    if (!hasOwnKey(this.spec.callEvents, eventName))
      return [{ eventKey: `${eventName}:${contentDigest(body)}`, eventName, payload: body }];
    const parts: string[] = [];
    for (const path of this.spec.eventKey) {
      const value = readPath(body, path);
      const part = callIdText(value);
      if (part === null) throw new PayloadValidationError(formatValuePath(path), keyProblem(value));
      parts.push(part);
    }
    return [{ eventKey: parts.join(':'), eventName, payload: body }];
  }
}

/** The event's name as the spec says where it is; throws a `PayloadValidationError` naming the path. */
export function configuredEventName(spec: ConfiguredVendorSpec, body: object): string {
  if (spec.eventNamePath === null) return spec.fixedEventName;
  const value = readPath(body, spec.eventNamePath);
  const where = formatValuePath(spec.eventNamePath);
  if (typeof value !== 'string' || value.trim() === '')
    throw new PayloadValidationError(where, value === undefined ? 'is missing: it names the event' : 'must be text');
  if (!isWellFormedText(value)) throw new PayloadValidationError(where, 'must be well-formed text');
  const name = value.trim();
  if (name.length > MAX_EVENT_NAME_LENGTH)
    throw new PayloadValidationError(where, `must be at most ${MAX_EVENT_NAME_LENGTH} characters`);
  return name;
}

function keyProblem(value: unknown): string {
  if (value === undefined || value === null) return 'is missing: it identifies the event';
  if (typeof value === 'number') return 'must be a whole number, or text';
  if (typeof value !== 'string') return 'must be text or a whole number';
  if (!isWellFormedText(value)) return 'must be well-formed text';
  if (value.trim().length > MAX_CALL_ID_LENGTH) return `must be at most ${MAX_CALL_ID_LENGTH} characters`;
  return 'must not be empty or blank';
}
