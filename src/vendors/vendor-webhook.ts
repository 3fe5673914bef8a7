/** One event to store in the inbox, as split from a vendor's delivery. */
export interface InboxItem {
  /** Per-vendor identity of the event: a repeated delivery has the same key and stores nothing new. */
  eventKey: string;
  eventName: string;
  payload: unknown;
  /**
   * What makes a later delivery under the same key the same event. `content` (unset): the same payload, so that a
   * changed one (a re-grade) is stored as a new revision and processed again. `key`: the key alone, every repeat a
   * duplicate, for events whose redeliveries differ in values minted per delivery (Vapi's presigned URLs) but
   * never in substance.
   */
  sameEventBy?: 'content' | 'key';
  /**
   * Audio the delivery carries (ElevenLabs' `post_call_audio`), apart from the stored payload (which keeps only its
   * size and digest): kept for the recordings stage until it is stored in HubSpot.
   */
  audio?: { vendorCallId: string; bytes: Buffer; contentType: string; sha256: string };
}

export interface DeliveryOutcome {
  received: number;
  stored: number;
  duplicates: number;
}

/** The ingest side of a vendor: how a delivery splits into inbox events. (The reply body is configured per vendor.) */
export interface VendorWebhook {
  readonly vendor: string;
  /** Validates the delivery's shape (throws `PayloadValidationError` naming the field) and splits it into events. */
  split(body: unknown): InboxItem[];
}
