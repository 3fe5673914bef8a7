// The JSON the console's API answers (see the console API contract); only what the pages read is typed.

export interface Session {
  kind: 'admin' | 'viewer';
  csrfToken: string;
  expiresAt: string;
  sandbox: boolean;
}

export const INBOX_STATUSES = ['pending', 'processing', 'synced', 'retrying', 'skipped', 'dead'] as const;
export type InboxStatus = (typeof INBOX_STATUSES)[number];

export interface Overview {
  mode: 'sandbox' | 'hubspot';
  portalId: string | null;
  health: { status: 'ok' | 'degraded' | 'down' };
  hubspot: { state: string; reason: string | null; since: string | null };
  sync: { instance: string; role: string; leader: string | null; epoch: number | null };
  inbox: Record<InboxStatus, number>;
  backlog: { waiting: number; oldestPendingAgeSeconds: number | null };
  syncedPerHour: Array<{ hour: string; calls: number }>;
  hubspotRequests: { total: number; rateLimited: number };
  recordings: { state: string; mode: string; waiting: number; stored: number; dead: number };
  mapping: { version: number | null; digest: string | null; inForceSince: string | null };
}

export interface DeliverySummary {
  id: number;
  vendor: string;
  eventName: string;
  status: InboxStatus;
  receivedAt: string;
  updatedAt: string;
  attempts: number;
  vendorCallIds: string[];
  phones: string[];
  lastError: string | null;
}

export interface DeliveryPage {
  items: DeliverySummary[];
  nextBefore: number | null;
}

/** The connector's call record; shown as it comes, a few fields picked out. */
export interface CallRecord {
  vendor?: string;
  vendorCallId?: string;
  eventName?: string;
  direction?: string | null;
  outcome?: string | null;
  startedAt?: string | null;
  endedAt?: string | null;
  durationSeconds?: number | null;
  customer?: { phone?: { e164?: string | null; raw?: string | null }; name?: string | null };
  [field: string]: unknown;
}

export interface Delivery {
  id: number;
  vendor: string;
  eventName: string;
  eventKey: string;
  status: InboxStatus;
  receivedAt: string;
  updatedAt: string;
  attempts: number;
  revision: number;
  correlationId: string | null;
  nextAttemptAt: string | null;
  lastError: string | null;
  pruned: boolean;
  payload: unknown;
  records: CallRecord[] | null;
  hubspot: { contactId: string | null; callId: string | null; contactUrl: string | null; callUrl: string | null };
}

export interface DeadLetterGroup {
  reason: string;
  count: number;
  vendors: Record<string, number>;
  newestAt: string;
  ids: number[];
}

export interface ReplayAnswer {
  queued: number;
  ids: number[];
}

export interface MappingFile {
  text: string;
  fileName: string;
  version: number | null;
  digest: string | null;
}

export interface MappingProblem {
  line: number | null;
  path: string;
  message: string;
}

export interface MappingCheck {
  ok: boolean;
  problems: MappingProblem[];
}

export interface MappingSaved {
  ok: true;
  version: number;
  digest: string;
}

export type Properties = Record<string, string>;

export interface Skipped {
  property: string;
  reason: string;
}

/** One call as `POST /admin/mapping/preview` plans it (src/admin/mapping-preview.ts). */
export interface CallPreview {
  callKey: string;
  event: string;
  contact:
    | { action: 'none'; reason: string }
    | { action: 'create' | 'update'; id: string | null; properties: Properties; skipped: Skipped[] };
  call: {
    action: 'create' | 'update' | 'wait';
    id: string | null;
    properties: Properties;
    skipped: Skipped[];
    reason?: string;
  };
}

export interface Preview {
  vendor: string;
  hubspotChecked: boolean;
  notes: string[];
  calls: CallPreview[];
}

export interface MappingPreviewAnswer {
  problems: MappingProblem[];
  proposed: Preview | null;
  inForce: Preview;
}

export interface TimelineCall {
  id: string;
  timestamp: string;
  title: string;
  bodyHtml: string;
  direction: string;
  status: string;
  outcome: string | null;
  durationMs: number | null;
  recordingUrl: string | null;
  attachments: Array<{ id: string; url: string | null }>;
  url: string | null;
}

export interface Timeline {
  contact: { id: string; name: string | null; phone: string | null; url: string | null } | null;
  calls: TimelineCall[];
}

export interface SamplesSent {
  sent: number;
  vendors: string[];
}

/** One entry of the audit log (`GET /console/api/audit`), newest first. */
export interface AuditItem {
  id: number;
  at: string;
  /** `admin`, `viewer`, `sandbox-link`, `admin-api` (the `/admin` bearer token), `unknown` (a refused sign-in). */
  actor: string;
  action: string;
  /** Ids, counts, versions, a refusal's reason: never secrets or personal data. */
  detail: Record<string, unknown>;
  /** The first 8 hex characters of the session's stored hash, when a session did it. */
  session: string | null;
}

export interface AuditPage {
  items: AuditItem[];
  /** The cursor of the next (older) page: `before=` this; null when there is none. */
  nextBefore: number | null;
}
