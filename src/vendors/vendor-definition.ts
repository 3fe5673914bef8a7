import type { CallRecord } from './call-record.js';
import type { RecordingSource } from './recording-source.js';
import type { VendorMapper } from './vendor-mapper.js';
import type { VendorWebhook } from './vendor-webhook.js';
import type { WebhookAuthScheme } from './webhook-auth-scheme.js';

/**
 * Everything the connector knows about one AI-call platform, in that vendor's folder. The env schema, the webhook
 * controller and ingest service, the mapping config and the source fields all read it through `vendors.ts`.
 */
/**
 * A call's transcript turn by turn (ElevenLabs' `transcript`, Vapi's `artifact.messages`) or word by word (Retell's
 * `transcript_object`): a long call passes 1,000 entries. These vendors' bodies are parsed only once their sender is
 * authenticated.
 */
export const TRANSCRIPT_LIST_ITEMS = 10_000;

export interface VendorDefinition {
  /** The id in URLs (`/webhooks/<id>`), in `config/mapping.yaml` (`vendors.<id>`) and on stored events. */
  readonly id: string;
  /** The vendor's name as people write it (`{{vendorName}}` in templates, the call's vendor property). */
  readonly displayName: string;
  /** The events that carry a call: what `events.create` / `events.update` may name (all create by default). */
  readonly callEvents: readonly string[];
  /**
   * Those of `callEvents` that by default only update a call another event created (`events.update`), for an event
   * that never carries enough for a call of its own (ElevenLabs' audio). Unset: none.
   */
  readonly updateEvents?: readonly string[];
  /** The environment setting that holds the vendor's secret (the shared secret, or the key its signatures use). */
  readonly secret: { readonly setting: string };
  /** How a delivery proves it is the vendor's, unless `vendors.<id>.auth` in `config/mapping.yaml` says otherwise. */
  readonly auth: WebhookAuthScheme;
  /** The largest body a delivery may have; unset: `WEBHOOK_MAX_BODY_BYTES`. `vendors.<id>.maxBodyBytes` overrides. */
  readonly maxBodyBytes?: number;
  /**
   * The widest list or object a delivery may hold (default 1,000, `MAX_LIST_ITEMS`): more for vendors that send a
   * call's whole transcript, turn by turn or word by word.
   */
  readonly maxListItems?: number;
  /** The reply body unless `reply:` is configured; string values may use {{received}}, {{stored}}, {{duplicates}}. */
  readonly defaultReply: Readonly<Record<string, unknown>>;
  /** Where the vendor's naive local times and national numbers are read unless `timeZone`/`defaultRegion` say. */
  readonly defaults: { readonly timeZone: string; readonly defaultRegion: string };
  /** Validates a delivery's envelope against the vendor's payload schema and splits it into inbox events. */
  readonly webhook: VendorWebhook;
  /** Validates one stored event against the payload schema and maps it to call records (pure). */
  readonly mapper: VendorMapper;
  /**
   * Described in `config/mapping.yaml` (`vendors.<id>.definition`) rather than in code: registered at start from the
   * file, its splitter and mapper then follow the mapping in force.
   */
  readonly definedInMapping?: boolean;
  /**
   * Where the recordings stage fetches a call's audio; unset: `defaultRecordingSource` (the audio sent in a webhook,
   * else the recording link).
   */
  readonly recordingSource?: (record: CallRecord) => RecordingSource | null;
}
