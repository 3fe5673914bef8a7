/** What the emulator answered: a bounded ring buffer of recent requests plus counters that never roll over. */
import type { ApiVersion } from './emulator-api-versions.js';
import type { RateLimitPolicy } from './emulator-error.js';
import { ownValue } from './emulator-own-value.js';

export interface RequestLogEntry {
  /** Epoch ms when the request arrived. */
  time: number;
  method: string;
  path: string;
  /**
   * The route pattern in the form the client used, e.g. "POST /crm/v3/objects/contacts/batch/upsert" or
   * "POST /crm/objects/2026-09/contacts/batch/upsert"; "unrouted" when none matched.
   */
  endpoint: string;
  /** "v3", "v4", "v1", "2026-03", "2026-09", an unsupported date as sent, or "unversioned". */
  apiVersion: ApiVersion;
  /** Numbers the TCP connections the emulator accepted (1, 2, …), so tests can tell connections apart. */
  connectionId: number;
  /** 1 for the first request on its connection, 2+ when a kept-alive connection was reused. */
  requestOnConnection: number;
  /** 0 when no answer was sent (the client gave up, or a hang fault dropped the connection). */
  status: number;
  durationMs: number;
  correlationId: string;
  /** Set when the request was refused by a rate limit. */
  policy?: RateLimitPolicy;
  /** Set when an injected fault shaped the answer (its mode, e.g. "apply-then-status"). */
  fault?: string;
  /** For apply-then-* faults: the status of the real answer, which the emulator computed and did not send. */
  withheldStatus?: number;
  /** Characters of the request body, when it was read. */
  bodyChars?: number;
  /** The connector instance that sent it and its sync-lease epoch, when its headers say (see `senderOf`). */
  sender?: { instance: string; epoch: number | null };
}

export interface RequestCounters {
  total: number;
  byStatus: Record<string, number>;
  byEndpoint: Record<string, { total: number; byStatus: Record<string, number> }>;
  rateLimited: { total: number } & Record<RateLimitPolicy, number>;
  faultsApplied: number;
  /** The longest search request body received, in characters (HubSpot refuses more than 3,000). */
  largestSearchBody: number;
}

export const DEFAULT_REQUEST_LOG_CAPACITY = 1000;

export class RequestLog {
  private readonly entries: (RequestLogEntry | undefined)[];
  private next = 0;
  private size = 0;
  private counters: RequestCounters = emptyCounters();

  constructor(readonly capacity: number = DEFAULT_REQUEST_LOG_CAPACITY) {
    this.entries = new Array<RequestLogEntry | undefined>(Math.max(1, capacity));
  }

  record(entry: RequestLogEntry): void {
    this.entries[this.next] = entry;
    this.next = (this.next + 1) % this.entries.length;
    this.size = Math.min(this.size + 1, this.entries.length);

    const status = String(entry.status);
    const counters = this.counters;
    counters.total += 1;
    counters.byStatus[status] = (ownValue(counters.byStatus, status) ?? 0) + 1;
    let endpoint = ownValue(counters.byEndpoint, entry.endpoint);
    if (!endpoint) {
      endpoint = { total: 0, byStatus: {} };
      counters.byEndpoint[entry.endpoint] = endpoint;
    }
    endpoint.total += 1;
    endpoint.byStatus[status] = (ownValue(endpoint.byStatus, status) ?? 0) + 1;
    if (entry.policy) {
      counters.rateLimited.total += 1;
      counters.rateLimited[entry.policy] += 1;
    }
    if (entry.fault) counters.faultsApplied += 1;
    if (entry.bodyChars !== undefined && entry.endpoint.endsWith('/search'))
      counters.largestSearchBody = Math.max(counters.largestSearchBody, entry.bodyChars);
  }

  /** Oldest first; at most `limit` of the most recent entries. */
  recent(limit = this.size): RequestLogEntry[] {
    const count = Math.max(0, Math.min(limit, this.size));
    const result: RequestLogEntry[] = [];
    const length = this.entries.length;
    for (let offset = count; offset >= 1; offset -= 1) {
      const entry = this.entries[(this.next - offset + length) % length];
      if (entry) result.push(entry);
    }
    return result;
  }

  snapshotCounters(): RequestCounters {
    return structuredClone(this.counters);
  }

  clear(): void {
    this.entries.fill(undefined);
    this.next = 0;
    this.size = 0;
    this.counters = emptyCounters();
  }
}

function emptyCounters(): RequestCounters {
  return {
    total: 0,
    byStatus: {},
    byEndpoint: {},
    rateLimited: { total: 0, TEN_SECONDLY_ROLLING: 0, SECONDLY: 0, DAILY: 0 },
    faultsApplied: 0,
    largestSearchBody: 0,
  };
}
