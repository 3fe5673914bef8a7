import { Agent as HttpAgent, type AgentOptions } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import { Client } from '@hubspot/api-client';
import type { AppLogger } from '../logging/app-logger.js';
import {
  HubSpotAuthError,
  HubSpotDailyLimitError,
  HubSpotPermanentError,
  HubSpotRetryableError,
  type HubSpotError,
} from './hubspot-errors.js';
import type {
  BatchOutcome,
  CallCreateInput,
  ContactUpsertInput,
  HubSpotObject,
  HubSpotObjectType,
  HubSpotPort,
  InputFailure,
  ObjectUpdateInput,
  PropertyDefinition,
  PropertyOption,
  Properties,
} from './hubspot.port.js';
import { RollingWindowLimiter } from './rolling-window-limiter.js';

export interface HubSpotAdapterOptions {
  accessToken: string;
  baseUrl: string;
  /** HubSpot's burst limit for this app (requests per rolling 10 s). */
  burstPer10s: number;
  searchPerSecond: number;
  requestTimeoutMs: number;
  /** Attempts per request for 429 (burst/search), 5xx, 423 and network errors before the caller is told. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  logger: AppLogger;
}

/** Counters for metrics, benchmarks and tests. */
export interface HubSpotRequestStats {
  requests: number;
  searches: number;
  rateLimited: number;
  retries: number;
  byOperation: Record<string, number>;
}

type Limit = 'burst' | 'search';

/**
 * @hubspot/api-client 13.5 applies the client's configured middleware (its User-Agent, `httpAgent`, and custom
 * middleware) only when a call passes options of its own: with none, the generated code starts from an empty
 * middleware list. These options ask it to use the configured chain, which carries the time-out agent and the
 * rate-limit header reader; every SDK call here passes them.
 */
const USE_CLIENT_MIDDLEWARE = { middleware: [], middlewareMergeStrategy: 'append' } as never;

const CALL_TO_CONTACT = 194;
const SEARCH_PAGE = 200;
/** Values per `IN` filter. */
const SEARCH_CHUNK = 100;

/** A thrown `ApiException` of the SDK, as far as this adapter reads it. */
interface SdkException {
  code: number;
  body?: { message?: string; category?: string; correlationId?: string } | string;
  headers?: Record<string, string>;
}

/**
 * The HubSpot port on `@hubspot/api-client`. It owns rate limiting and retries (the SDK's own are off): rolling
 * windows for the burst and search limits, backoff with jitter on 429/5xx/network errors (honouring Retry-After),
 * and the sorting of failures into retryable, permanent, daily-limit and authentication errors.
 */
export class HubSpotSdkAdapter implements HubSpotPort {
  readonly stats: HubSpotRequestStats = { requests: 0, searches: 0, rateLimited: 0, retries: 0, byOperation: {} };
  private readonly client: Client;
  private readonly limiters: Record<Limit, RollingWindowLimiter>;

  constructor(private readonly options: HubSpotAdapterOptions) {
    this.limiters = {
      burst: new RollingWindowLimiter(options.burstPer10s, 10_000),
      search: new RollingWindowLimiter(options.searchPerSecond, 1_000),
    };
    this.client = new Client({
      accessToken: options.accessToken,
      basePath: options.baseUrl,
      numberOfApiCallRetries: 0,
      httpAgent: timeoutAgent(options.baseUrl, options.requestTimeoutMs),
      middleware: [{ pre: (context: unknown) => context, post: (context: unknown) => this.followAnnouncedLimit(context) }],
    });
  }

  /**
   * Non-search answers carry `X-HubSpot-RateLimit-Max` for the 10-second window: the app's real burst limit
   * (100, 190, 250 or 110 depending on the account). Following it means a wrong `HUBSPOT_RATE_LIMIT_PER_10S`
   * costs at most the first few requests.
   */
  private followAnnouncedLimit(context: unknown): unknown {
    const headers = (context as { headers?: Record<string, string> }).headers ?? {};
    const max = Number(headers['x-hubspot-ratelimit-max']);
    const interval = Number(headers['x-hubspot-ratelimit-interval-milliseconds']);
    const burst = this.limiters.burst;
    if (interval === 10_000 && Number.isInteger(max) && max > 0 && max !== burst.currentLimit) {
      this.options.logger.info({ previous: burst.currentLimit, announced: max }, 'following HubSpot\'s announced burst limit');
      burst.setLimit(max);
    }
    return context;
  }

  async listProperties(objectType: HubSpotObjectType): Promise<PropertyDefinition[]> {
    const response = await this.request('burst', `properties.list.${objectType}`, () =>
      this.client.crm.properties.coreApi.getAll(objectType, undefined, undefined, USE_CLIENT_MIDDLEWARE),
    );
    return response.results.map((property) => ({
      name: property.name,
      label: property.label,
      type: property.type as PropertyDefinition['type'],
      fieldType: property.fieldType as PropertyDefinition['fieldType'],
      groupName: property.groupName,
      hasUniqueValue: property.hasUniqueValue ?? false,
      options: (property.options ?? []).map((option) => ({ label: option.label, value: option.value, displayOrder: option.displayOrder, hidden: option.hidden })),
    }));
  }

  async ensurePropertyGroup(objectType: HubSpotObjectType, name: string, label: string): Promise<void> {
    try {
      await this.request('burst', `properties.group.${objectType}`, () =>
        this.client.crm.properties.groupsApi.create(objectType, { name, label, displayOrder: -1 }, USE_CLIENT_MIDDLEWARE),
      );
    } catch (error) {
      if (error instanceof HubSpotPermanentError && error.status === 409) return;
      throw error;
    }
  }

  async createProperty(objectType: HubSpotObjectType, definition: PropertyDefinition): Promise<void> {
    await this.request('burst', `properties.create.${objectType}`, () =>
      this.client.crm.properties.coreApi.create(objectType, definition as never, USE_CLIENT_MIDDLEWARE),
    );
  }

  async updatePropertyOptions(objectType: HubSpotObjectType, name: string, options: PropertyOption[]): Promise<void> {
    await this.request('burst', `properties.update.${objectType}`, () =>
      this.client.crm.properties.coreApi.update(objectType, name, { options } as never, USE_CLIENT_MIDDLEWARE),
    );
  }

  async searchContactsByNationalNumber(nationalNumbers: string[], properties: string[]): Promise<HubSpotObject[]> {
    const found = new Map<string, HubSpotObject>();
    for (const values of chunks([...new Set(nationalNumbers)], SEARCH_CHUNK)) {
      let after: string | undefined;
      do {
        const page = await this.request('search', 'contacts.search', () =>
          this.client.crm.contacts.searchApi.doSearch({
            filterGroups: [
              { filters: [{ propertyName: 'hs_searchable_calculated_phone_number', operator: 'IN' as never, values }] },
              { filters: [{ propertyName: 'hs_searchable_calculated_mobile_number', operator: 'IN' as never, values }] },
            ],
            properties,
            limit: SEARCH_PAGE,
            ...(after ? { after } : {}),
          }, USE_CLIENT_MIDDLEWARE),
        );
        for (const contact of page.results) found.set(contact.id, { id: contact.id, properties: contact.properties });
        after = page.paging?.next?.after;
      } while (after);
    }
    return [...found.values()];
  }

  upsertContacts(idProperty: string, inputs: ContactUpsertInput[]): Promise<BatchOutcome<{ id: string; created: boolean }>> {
    return this.batch('contacts.upsert', inputs, async (part) => {
      const response = await this.client.crm.contacts.batchApi.upsert({
        inputs: part.map((input) => ({ idProperty, id: input.id, objectWriteTraceId: input.key, properties: input.properties })),
      }, USE_CLIENT_MIDDLEWARE);
      const byId = new Map(part.map((input) => [input.id, input.key]));
      const succeeded = new Map<string, { id: string; created: boolean }>();
      for (const result of response.results) {
        const key = result.objectWriteTraceId ?? byId.get(result.properties?.[idProperty] ?? '');
        if (key !== undefined) succeeded.set(key, { id: result.id, created: result._new });
      }
      return { succeeded, errors: 'errors' in response ? response.errors ?? [] : [] };
    });
  }

  updateContacts(inputs: ObjectUpdateInput[]): Promise<BatchOutcome<{ id: string }>> {
    return this.updateBatch('contacts.update', inputs, (batch) => this.client.crm.contacts.batchApi.update(batch, USE_CLIENT_MIDDLEWARE));
  }

  createCalls(keyProperty: string, inputs: CallCreateInput[]): Promise<BatchOutcome<{ id: string }>> {
    return this.batch('calls.create', inputs, async (part) => {
      const response = await this.client.crm.objects.calls.batchApi.create({
        inputs: part.map((input) => ({
          properties: { ...input.properties, [keyProperty]: input.key },
          associations: input.contactId
            ? [{ to: { id: input.contactId }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: CALL_TO_CONTACT }] }]
            : [],
        })),
      }, USE_CLIENT_MIDDLEWARE);
      // Calls have no write trace ids in the SDK: results are matched through the key property we wrote.
      const keys = new Set(part.map((input) => input.key));
      const succeeded = new Map<string, { id: string }>();
      for (const result of response.results) {
        const key = result.properties?.[keyProperty];
        if (key && keys.has(key)) succeeded.set(key, { id: result.id });
      }
      return { succeeded, errors: 'errors' in response ? response.errors ?? [] : [] };
    });
  }

  updateCalls(inputs: ObjectUpdateInput[]): Promise<BatchOutcome<{ id: string }>> {
    return this.updateBatch('calls.update', inputs, (batch) => this.client.crm.objects.calls.batchApi.update(batch, USE_CLIENT_MIDDLEWARE));
  }

  /** Batch update by id (contacts and calls alike); results are matched to inputs by id. */
  private updateBatch(
    operation: string,
    inputs: ObjectUpdateInput[],
    send: (batch: { inputs: Array<{ id: string; properties: Properties }> }) => Promise<{ results: Array<{ id: string }>; errors?: SdkStandardError[] }>,
  ): Promise<BatchOutcome<{ id: string }>> {
    return this.batch(operation, inputs, async (part) => {
      const response = await send({ inputs: part.map((input) => ({ id: input.id, properties: input.properties })) });
      const byId = new Map(part.map((input) => [input.id, input.key]));
      const succeeded = new Map<string, { id: string }>();
      for (const result of response.results) {
        const key = byId.get(result.id);
        if (key !== undefined) succeeded.set(key, { id: result.id });
      }
      return { succeeded, errors: response.errors ?? [] };
    });
  }

  async searchCallsByKey(keyProperty: string, keys: string[]): Promise<Map<string, string>> {
    // HubSpot's IN filter wants lowercase values on strings and compares without case; so are the answer's keys.
    const found = new Map<string, string>();
    for (const values of chunks([...new Set(keys.map((key) => key.toLowerCase()))], SEARCH_CHUNK)) {
      let after: string | undefined;
      do {
        const page = await this.request('search', 'calls.search', () =>
          this.client.crm.objects.calls.searchApi.doSearch({
            filterGroups: [{ filters: [{ propertyName: keyProperty, operator: 'IN' as never, values }] }],
            properties: [keyProperty],
            // The oldest call wins if a key somehow exists twice.
            sorts: ['hs_createdate'],
            limit: SEARCH_PAGE,
            ...(after ? { after } : {}),
          }, USE_CLIENT_MIDDLEWARE),
        );
        for (const call of page.results) {
          const key = call.properties[keyProperty]?.toLowerCase();
          if (key && !found.has(key)) found.set(key, call.id);
        }
        after = page.paging?.next?.after;
      } while (after);
    }
    return found;
  }

  async readObjects(objectType: HubSpotObjectType, ids: string[], properties: string[]): Promise<Map<string, Record<string, string | null>>> {
    const found = new Map<string, Record<string, string | null>>();
    const api = objectType === 'contacts' ? this.client.crm.contacts.batchApi : this.client.crm.objects.calls.batchApi;
    for (const part of chunks([...new Set(ids)], 100)) {
      const response = await this.request('burst', `${objectType}.read`, () =>
        api.read({ inputs: part.map((id) => ({ id })), properties, propertiesWithHistory: [] }, false, USE_CLIENT_MIDDLEWARE),
      );
      for (const result of response.results) found.set(result.id, result.properties);
    }
    return found;
  }

  async listCallDispositions(): Promise<Array<{ id: string; label: string }>> {
    const response = await this.request('burst', 'calling.dispositions', () =>
      this.client.apiRequest({ method: 'GET', path: '/calling/v1/dispositions' }),
    );
    if (!response.ok) {
      throw classify({ code: response.status, body: await response.json().catch(() => ({})), headers: Object.fromEntries(response.headers.entries()) }).failure;
    }
    const body = (await response.json()) as Array<{ id: string; label: string; deleted?: boolean }>;
    return body.filter((outcome) => !outcome.deleted).map(({ id, label }) => ({ id, label }));
  }

  async probe(): Promise<void> {
    await this.request('burst', 'probe', () => this.client.crm.contacts.basicApi.getPage(1, undefined, undefined, undefined, undefined, undefined, USE_CLIENT_MIDDLEWARE), 1);
  }

  private slowSearch(): void {
    const limiter = this.limiters.search;
    const slower = Math.max(1, Math.floor(limiter.currentLimit / 2));
    if (slower === limiter.currentLimit) return;
    limiter.setLimit(slower);
    this.options.logger.warn({ searchesPerSecond: slower }, 'HubSpot search limit reached: searching more slowly');
  }

  /**
   * Sends a batch write; if HubSpot refuses the whole batch for one bad input (a 400 or 409 for the request), the
   * batch is split in halves until the bad inputs stand alone, so that they alone fail.
   */
  private async batch<I extends { key: string }, T>(
    operation: string,
    inputs: I[],
    send: (part: I[]) => Promise<{ succeeded: Map<string, T>; errors: SdkStandardError[] }>,
  ): Promise<BatchOutcome<T>> {
    const outcome: BatchOutcome<T> = { succeeded: new Map(), failed: new Map() };
    if (inputs.length === 0) return outcome;
    try {
      const { succeeded, errors } = await this.request('burst', operation, () => send(inputs));
      for (const [key, value] of succeeded) outcome.succeeded.set(key, value);
      const unmatched = inputs.filter((input) => !succeeded.has(input.key));
      for (const error of errors) {
        const failure = standardErrorFailure(error);
        const keys = errorInputKeys(error, unmatched);
        for (const key of keys) outcome.failed.set(key, failure);
      }
      for (const input of unmatched) {
        if (!outcome.failed.has(input.key)) {
          outcome.failed.set(input.key, { retryable: true, status: null, category: null, message: 'HubSpot returned no result for this input', correlationId: null });
        }
      }
      return outcome;
    } catch (error) {
      const isolatable = error instanceof HubSpotPermanentError && (error.status === 400 || error.status === 409);
      if (!isolatable) throw error;
      if (inputs.length === 1) {
        outcome.failed.set(inputs[0]!.key, { retryable: false, status: error.status, category: error.category, message: error.message, correlationId: error.correlationId });
        return outcome;
      }
      const middle = Math.ceil(inputs.length / 2);
      for (const half of [inputs.slice(0, middle), inputs.slice(middle)]) {
        const part = await this.batch(operation, half, send);
        for (const [key, value] of part.succeeded) outcome.succeeded.set(key, value);
        for (const [key, value] of part.failed) outcome.failed.set(key, value);
      }
      return outcome;
    }
  }

  /** One logical request: waits for the limiter, retries what is worth retrying, translates the rest. */
  private async request<T>(limit: Limit, operation: string, send: () => Promise<T>, maxAttempts = this.options.maxAttempts): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const release = await this.limiters[limit].acquire();
      this.stats.requests++;
      if (limit === 'search') this.stats.searches++;
      this.stats.byOperation[operation] = (this.stats.byOperation[operation] ?? 0) + 1;
      let failure: HubSpotError;
      let retryAfterMs: number | null;
      try {
        return await send();
      } catch (error) {
        ({ failure, retryAfterMs } = classify(error));
      } finally {
        release();
      }
      if (failure.status === 429) {
        this.stats.rateLimited++;
        // Search answers carry no limit headers to learn from: a SECONDLY 429 means the account's search budget is
        // smaller than assumed (other apps share it), so halve this client's pace.
        if (limit === 'search') this.slowSearch();
      }
      if (!(failure instanceof HubSpotRetryableError) || attempt >= maxAttempts) throw failure;

      const backoff = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** (attempt - 1));
      const waitMs = retryAfterMs ?? Math.round(backoff / 2 + Math.random() * (backoff / 2));
      if (failure.status === 429) this.limiters[limit].blockUntil(Date.now() + waitMs);
      this.stats.retries++;
      this.options.logger.warn(
        { operation, attempt, status: failure.status, category: failure.category, correlationId: failure.correlationId, waitMs },
        'HubSpot request failed; retrying',
      );
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}

interface SdkStandardError {
  status?: string;
  category?: string;
  message?: string;
  context?: Record<string, string[]>;
}

/** Errors of a 207 name their inputs in `context` (trace ids or ids), when HubSpot says which. */
function errorInputKeys(error: SdkStandardError, unmatched: Array<{ key: string; id?: string }>): string[] {
  const named = new Set(Object.values(error.context ?? {}).flat());
  const keys = unmatched.filter((input) => named.has(input.key) || (input.id !== undefined && named.has(input.id))).map((input) => input.key);
  // An error that names no input of ours applies to those left without a result.
  return keys.length > 0 ? keys : named.size === 0 ? unmatched.map((input) => input.key) : [];
}

function standardErrorFailure(error: SdkStandardError): InputFailure {
  const category = error.category ?? null;
  const retryable = category === 'RATE_LIMITS' || category === 'INTERNAL_ERROR' || category === 'LOCKED';
  return { retryable, status: null, category, message: error.message ?? 'HubSpot refused this input', correlationId: null };
}

function classify(error: unknown): { failure: HubSpotError; retryAfterMs: number | null } {
  if (!isSdkException(error)) {
    const reason = error instanceof Error ? error.message : String(error);
    // Network errors and time-outs: the request may not have reached HubSpot, or its answer did not reach us.
    return { failure: new HubSpotRetryableError(`HubSpot could not be reached: ${reason}`, null, 'NETWORK', null), retryAfterMs: null };
  }
  const status = error.code;
  const body = typeof error.body === 'object' && error.body !== null ? error.body : {};
  const headers = lowerCaseKeys(error.headers ?? {});
  const message = body.message ?? (typeof error.body === 'string' ? error.body.slice(0, 200) : `HTTP ${status}`);
  const category = body.category ?? null;
  const correlationId = body.correlationId ?? null;
  const retryAfterSeconds = Number(headers['retry-after']);
  const retryAfterMs = Number.isFinite(retryAfterSeconds) && retryAfterSeconds >= 0 ? retryAfterSeconds * 1000 : null;

  if (status === 429) {
    // The SDK's error model drops `policyName`; a DAILY 429 is told by its message or the daily-remaining header.
    if ((body as { policyName?: string }).policyName === 'DAILY' || /daily/i.test(message) || headers['x-hubspot-ratelimit-daily-remaining'] === '0') {
      return { failure: new HubSpotDailyLimitError(`HubSpot daily limit reached: ${message}`, status, category ?? 'RATE_LIMITS', correlationId), retryAfterMs };
    }
    return { failure: new HubSpotRetryableError(message, status, category ?? 'RATE_LIMITS', correlationId), retryAfterMs };
  }
  if (status === 401 || status === 403) return { failure: new HubSpotAuthError(message, status, category, correlationId), retryAfterMs: null };
  if (status >= 500 || status === 423 || status === 408) return { failure: new HubSpotRetryableError(message, status, category, correlationId), retryAfterMs };
  return { failure: new HubSpotPermanentError(message, status, category, correlationId), retryAfterMs: null };
}

function isSdkException(error: unknown): error is SdkException {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number' && 'body' in error;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]));
}

function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) result.push(items.slice(index, index + size));
  return result;
}

/**
 * The SDK's fetch has no time-out; a socket idle for `timeoutMs` is destroyed instead, which fails the request
 * (a HubSpot that accepts the connection and never answers must not hold sync forever).
 */
function timeoutAgent(baseUrl: string, timeoutMs: number): HttpAgent {
  const options: AgentOptions = { keepAlive: true, maxSockets: 16 };
  const agent = baseUrl.startsWith('https:') ? new HttpsAgent(options) : new HttpAgent(options);
  const create = (agent as unknown as { createConnection: (...args: unknown[]) => Socket }).createConnection.bind(agent);
  (agent as unknown as { createConnection: (...args: unknown[]) => Socket }).createConnection = (...args: unknown[]) => {
    const socket = create(...args);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    return socket;
  };
  return agent;
}
