/** One event to store in the inbox, as split from a vendor's delivery. */
export interface InboxItem {
  /** Per-vendor identity of the event: a repeated delivery has the same key and stores nothing new. */
  eventKey: string;
  eventName: string;
  payload: unknown;
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
