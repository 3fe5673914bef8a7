import { Client } from '@hubspot/api-client';
import { openAsBlob } from 'node:fs';
import type { AppLogger } from '../logging/app-logger.js';
import { HubSpotApiPaths } from './hubspot-api-paths.js';
import {
  HubSpotAuthError,
  HubSpotOutcomeUnknownError,
  HubSpotPermanentError,
  HubSpotRetryableError,
  type HubSpotError,
} from './hubspot-errors.js';
import {
  HubSpotTransport,
  HubSpotTransportError,
  type HubSpotHttpRequest,
  type HubSpotHttpResponse,
} from './hubspot-transport.js';
import type {
  AccessReport,
  BatchOutcome,
  CallCreateInput,
  ContactUpsertInput,
  FileUpload,
  HubSpotObject,
  HubSpotObjectType,
  HubSpotPort,
  InputFailure,
  ObjectUpdateInput,
  PropertyDefinition,
  PropertyOption,
  StoredFile,
} from './hubspot.port.js';
import { RollingWindowLimiter } from './rolling-window-limiter.js';
import { classifyResponse, errorFailure, matchResults, type BatchAnswer } from './hubspot-error-classification.js';
import {
  contactSearchBody,
  fittingProperties,
  MAX_SEARCH_PAGES,
  SEARCH_BODY_LIMIT,
  SEARCH_PAGE,
  searchChunks,
} from './hubspot-search-bodies.js';
import { ownValue } from '../common/own-value.js';
import type { HubSpotSendGate } from './hubspot-send-gate.js';
import { afterFailure, backoffMs, fileUploadTimeoutMs, surelyNotApplied } from './hubspot-request-policy.js';

export interface HubSpotAdapterOptions {
  accessToken: string;
  baseUrl: string;
  /** `HUBSPOT_API_VERSION`: a dated version such as `2026-09`, or `v3`. */
  apiVersion: string;
  /** HubSpot's burst limit for this app (requests per rolling 10 s). */
  burstPer10s: number;
  searchPerSecond: number;
  requestTimeoutMs: number;
  /** Attempts per request for 429 (burst/search), 5xx, 423 and network errors before the caller is told. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  logger: AppLogger;
  /** Told when each request sent (every attempt) ends: HubSpot's HTTP status, or why none came. For metrics. */
  onRequestDone?: (operation: string, status: number | 'network' | 'timeout', seconds: number) => void;
  /**
   * When given, a request is sent only while this instance holds the sync lease (see `HubSpotSendGate`); refused
   * ones throw `NotLeadingError`. Command-line tools, which do not sync, send without one.
   */
  sendGate?: HubSpotSendGate;
}

/** Counters for metrics, benchmarks and tests. */
export interface HubSpotRequestStats {
  requests: number;
  searches: number;
  rateLimited: number;
  retries: number;
  /** Requests HubSpot refused with a 4xx other than 429 (deterministic refusals). */
  refused: number;
  /** The longest search body sent, in characters (HubSpot refuses more than 3,000). */
  largestSearchBody: number;
  byOperation: Record<string, number>;
}

type Limit = 'burst' | 'search';

/** Batch endpoints take at most 100 inputs (hubspot.md "Hard limits"). */
const BATCH_LIMIT = 100;
/** Sub-requests spent isolating the inputs of a batch refused as a whole (enough to find one bad input in 100). */
const ISOLATION_BUDGET = 14;

const CALL_TO_CONTACT = 194;

/** v4 association reads: HubSpot's largest page, and the pages read at most (a timeline needs the latest few). */
const ASSOCIATION_PAGE = 500;
const MAX_ASSOCIATION_PAGES = 4;

/** The scopes the connector needs, each with a cheap request that HubSpot answers 403 `MISSING_SCOPES` without. */
const NEEDED_SCOPES = [
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.schemas.contacts.read',
  'crm.schemas.contacts.write',
] as const;

/**
 * The HubSpot port, on `@hubspot/api-client`'s request builder with a real per-request deadline (see
 * `HubSpotTransport`). It owns the paths (one version setting), rate limiting and retries: rolling windows for the
 * burst and search limits, backoff with jitter on 429/5xx/network errors (honouring Retry-After), no blind resend of
 * a create whose outcome is unknown, and the sorting of failures into retryable, permanent, daily-limit and
 * authentication errors.
 */
export class HubSpotSdkAdapter implements HubSpotPort {
  readonly stats: HubSpotRequestStats = {
    requests: 0,
    searches: 0,
    rateLimited: 0,
    retries: 0,
    refused: 0,
    largestSearchBody: 0,
    byOperation: {},
  };
  readonly paths: HubSpotApiPaths;
  private readonly transport: HubSpotTransport;
  private readonly limiters: Record<Limit, RollingWindowLimiter>;

  constructor(private readonly options: HubSpotAdapterOptions) {
    this.paths = new HubSpotApiPaths(options.apiVersion);
    this.limiters = {
      burst: new RollingWindowLimiter(options.burstPer10s, 10_000),
      search: new RollingWindowLimiter(options.searchPerSecond, 1_000),
    };
    const client = new Client({
      accessToken: options.accessToken,
      basePath: options.baseUrl,
      numberOfApiCallRetries: 0,
    });
    this.transport = new HubSpotTransport(client, options.requestTimeoutMs, options.sendGate ?? null);
  }

  async listProperties(objectType: HubSpotObjectType): Promise<PropertyDefinition[]> {
    const response = await this.call('burst', `properties.list.${objectType}`, {
      method: 'GET',
      path: this.paths.properties(objectType),
    });
    const body = response.body as { results?: Array<PropertyDefinition & { options?: PropertyOption[] }> };
    return (body.results ?? []).map((property) => ({
      name: property.name,
      label: property.label,
      type: property.type,
      fieldType: property.fieldType,
      groupName: property.groupName,
      hasUniqueValue: property.hasUniqueValue ?? false,
      options: (property.options ?? []).map((option) => ({
        label: option.label,
        value: option.value,
        displayOrder: option.displayOrder,
        hidden: option.hidden,
      })),
    }));
  }

  async ensurePropertyGroup(objectType: HubSpotObjectType, name: string, label: string): Promise<void> {
    try {
      await this.call('burst', `properties.group.${objectType}`, {
        method: 'POST',
        path: this.paths.properties(objectType, '/groups'),
        body: { name, label, displayOrder: -1 },
      });
    } catch (error) {
      if (error instanceof HubSpotPermanentError && error.status === 409) return;
      throw error;
    }
  }

  async createProperty(objectType: HubSpotObjectType, definition: PropertyDefinition): Promise<void> {
    try {
      await this.call('burst', `properties.create.${objectType}`, {
        method: 'POST',
        path: this.paths.properties(objectType),
        body: withDisplayOrders(definition),
      });
    } catch (error) {
      // A repeat of a create that went through (its answer lost) finds the property there: that is success.
      if (error instanceof HubSpotPermanentError && error.status === 409) return;
      throw error;
    }
  }

  async updatePropertyOptions(objectType: HubSpotObjectType, name: string, options: PropertyOption[]): Promise<void> {
    // The 2026-09 properties spec requires each option's displayOrder (hubspot.md "Versions and auth").
    const body = {
      options: options.map((option, index) => ({
        ...option,
        displayOrder: option.displayOrder ?? index,
        hidden: option.hidden ?? false,
      })),
    };
    await this.call('burst', `properties.update.${objectType}`, {
      method: 'PATCH',
      path: this.paths.properties(objectType, `/${encodeURIComponent(name)}`),
      body,
    });
  }

  contactSearchChunks(nationalNumbers: string[], properties: string[]): string[][] {
    const asked = fittingProperties(properties, (list) => contactSearchBody([], list));
    return searchChunks([...new Set(nationalNumbers)], (chunk) => contactSearchBody(chunk, asked));
  }

  async searchContactsByNationalNumber(nationalNumbers: string[], properties: string[]): Promise<HubSpotObject[]> {
    const found = new Map<string, HubSpotObject>();
    const asked = fittingProperties(properties, (list) => contactSearchBody([], list));
    for (const part of this.contactSearchChunks(nationalNumbers, properties)) {
      for (const contact of await this.searchAll('contacts.search', 'contacts', contactSearchBody(part, asked))) {
        found.set(contact.id, {
          id: contact.id,
          properties: Object.fromEntries(asked.map((name) => [name, ownValue(contact.properties, name) ?? null])),
        });
      }
    }
    return [...found.values()];
  }

  upsertContacts(
    idProperty: string,
    inputs: ContactUpsertInput[],
  ): Promise<BatchOutcome<{ id: string; created: boolean }>> {
    return this.batch('contacts.upsert', inputs, async (part) => {
      const answer = await this.batchRequest<{ new?: boolean }>(
        'contacts.upsert',
        this.paths.objects('contacts', '/batch/upsert'),
        {
          inputs: part.map((input, index) => ({
            idProperty,
            id: input.id,
            objectWriteTraceId: String(index),
            properties: input.properties,
          })),
        },
      );
      return matchResults(
        part,
        answer,
        (result) => ({ id: result.id, created: result.new === true }),
        (input, result) => ownValue(result.properties, idProperty) === input.id,
      );
    });
  }

  updateContacts(inputs: ObjectUpdateInput[]): Promise<BatchOutcome<{ id: string }>> {
    return this.updateBatch('contacts', inputs);
  }

  createCalls(keyProperty: string, inputs: CallCreateInput[]): Promise<BatchOutcome<{ id: string }>> {
    return this.batch('calls.create', inputs, async (part) => {
      const answer = await this.batchRequest(
        'calls.create',
        this.paths.objects('calls', '/batch/create'),
        {
          inputs: part.map((input, index) => ({
            // A distinct trace id per input: HubSpot names the inputs it refuses, so one bad call costs no bisection.
            objectWriteTraceId: String(index),
            properties: { ...input.properties, [keyProperty]: input.key },
            // The spec marks associations required on create: [] when there is no contact.
            associations: input.contactId
              ? [
                  {
                    to: { id: input.contactId },
                    types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: CALL_TO_CONTACT }],
                  },
                ]
              : [],
          })),
        },
        false,
      );
      return matchResults(
        part,
        answer,
        (result) => ({ id: result.id }),
        (input, result) => ownValue(result.properties, keyProperty) === input.key,
      );
    });
  }

  updateCalls(inputs: ObjectUpdateInput[]): Promise<BatchOutcome<{ id: string }>> {
    return this.updateBatch('calls', inputs);
  }

  /** Batch update by id (contacts and calls alike). */
  private updateBatch(
    objectType: HubSpotObjectType,
    inputs: ObjectUpdateInput[],
  ): Promise<BatchOutcome<{ id: string }>> {
    const operation = `${objectType}.update`;
    return this.batch(operation, inputs, async (part) => {
      const answer = await this.batchRequest(operation, this.paths.objects(objectType, '/batch/update'), {
        inputs: part.map((input, index) => ({
          id: input.id,
          objectWriteTraceId: String(index),
          properties: input.properties,
        })),
      });
      return matchResults(
        part,
        answer,
        (result) => ({ id: result.id }),
        (input, result) => result.id === input.id,
      );
    });
  }

  async searchCallsByKey(keyProperty: string, keys: string[]): Promise<Map<string, string>> {
    // HubSpot's IN filter wants lowercase values on strings and compares without case; so are the answer's keys.
    const found = new Map<string, string>();
    const body = (values: string[]) => ({
      filterGroups: [{ filters: [{ propertyName: keyProperty, operator: 'IN', values }] }],
      properties: [keyProperty],
      // One sort rule, the most HubSpot takes: the oldest call wins if a key somehow exists twice.
      sorts: [{ propertyName: 'hs_createdate', direction: 'ASCENDING' }],
      limit: SEARCH_PAGE,
    });
    for (const part of searchChunks([...new Set(keys.map((key) => key.toLowerCase()))], body)) {
      for (const call of await this.searchAll('calls.search', 'calls', body(part))) {
        const key = ownValue(call.properties, keyProperty)?.toLowerCase();
        if (key && !found.has(key)) found.set(key, call.id);
      }
    }
    return found;
  }

  async readObjects(
    objectType: HubSpotObjectType,
    ids: string[],
    properties: string[],
  ): Promise<Map<string, Record<string, string | null>>> {
    const found = new Map<string, Record<string, string | null>>();
    for (const part of chunks([...new Set(ids)], BATCH_LIMIT)) {
      // Ids that no longer exist come back as errors of a 207 (or a 200 with errors): they are simply not found.
      const answer = await this.batchRequest(`${objectType}.read`, this.paths.objects(objectType, '/batch/read'), {
        inputs: part.map((id) => ({ id })),
        properties,
        propertiesWithHistory: [],
      });
      for (const result of answer.results ?? []) found.set(result.id, result.properties ?? {});
    }
    return found;
  }

  /**
   * HubSpot files guide (https://developers.hubspot.com/docs/api-reference/2026-03/files/guide): a multipart POST
   * with `file`, `fileName`, `folderPath` and `options` (a JSON text whose `access` is required). The file part is a
   * Blob over the spooled file (`openAsBlob`): fetch streams it from disk, so a recording is never held in memory.
   * `duplicateValidationStrategy: RETURN_EXISTING` in the folder: should an upload whose answer was lost be sent
   * again (a lookup by name that HubSpot's index did not yet answer), HubSpot hands back the file it already holds
   * instead of a second copy, if it judges it a duplicate; the stage looks the file up by name before any new
   * upload in any case (what HubSpot counts as a duplicate is not documented).
   */
  async uploadFile(upload: FileUpload): Promise<StoredFile> {
    const fileName = `${upload.name}.${upload.extension}`;
    const blob =
      'path' in upload.content
        ? await openAsBlob(upload.content.path, { type: upload.contentType })
        : new Blob([upload.content.bytes], { type: upload.contentType });
    const form = new FormData();
    form.append('file', blob, fileName);
    form.append('fileName', fileName);
    form.append('folderPath', upload.folderPath);
    form.append(
      'options',
      JSON.stringify({
        access: upload.access,
        overwrite: false,
        duplicateValidationStrategy: 'RETURN_EXISTING',
        duplicateValidationScope: 'EXACT_FOLDER',
      }),
    );
    const timeoutMs = fileUploadTimeoutMs(this.options.requestTimeoutMs, blob.size);
    const response = await this.call(
      'burst',
      'files.upload',
      { method: 'POST', path: this.paths.files(), form, timeoutMs },
      { idempotent: false },
    );
    const file = storedFile(response.body);
    if (!file)
      throw new HubSpotPermanentError('HubSpot answered the upload without a file id', response.status, null, null);
    return file;
  }

  /**
   * Files search (https://developers.hubspot.com/docs/api-reference/2026-03/files/files/search-files): by `name`,
   * the newest in the folder. Whether search sees a file the moment its upload is answered is not documented.
   */
  async findFile(folderPath: string, name: string): Promise<StoredFile | null> {
    const response = await this.call('burst', 'files.search', {
      method: 'GET',
      path: this.paths.files('/search'),
      qs: { name, limit: '100' },
    });
    const results = (response.body as { results?: unknown[] } | undefined)?.results ?? [];
    const folder = `${folderPath.replace(/\/+$/, '')}/`.toLowerCase();
    const matches = results.filter((result): result is Record<string, unknown> => {
      if (typeof result !== 'object' || result === null) return false;
      const entry = result as { name?: unknown; path?: unknown; archived?: unknown };
      return (
        entry.name === name &&
        entry.archived !== true &&
        typeof entry.path === 'string' &&
        entry.path.toLowerCase().startsWith(folder)
      );
    });
    const createdAt = (entry: Record<string, unknown>): string =>
      typeof entry['createdAt'] === 'string' ? entry['createdAt'] : '';
    matches.sort((a, b) => createdAt(b).localeCompare(createdAt(a)));
    return matches.length > 0 ? storedFile(matches[0]) : null;
  }

  /**
   * v4 associations, page by page (500 a page, HubSpot's most; `paging.next.after` until none), at most
   * `MAX_ASSOCIATION_PAGES` pages; answers the `limit` highest ids (HubSpot's ids grow, so the newest objects). A
   * 404 (the object is gone) answers none.
   */
  async listAssociatedIds(
    fromType: HubSpotObjectType,
    fromId: string,
    toType: HubSpotObjectType,
    limit: number,
  ): Promise<string[]> {
    const ids = new Set<string>();
    let after: string | undefined;
    for (let page = 1; page <= MAX_ASSOCIATION_PAGES; page++) {
      let response: HubSpotHttpResponse;
      try {
        response = await this.call('burst', `associations.list.${fromType}`, {
          method: 'GET',
          path: this.paths.associations(fromType, fromId, toType),
          qs: { limit: String(ASSOCIATION_PAGE), ...(after ? { after } : {}) },
        });
      } catch (error) {
        if (error instanceof HubSpotPermanentError && error.status === 404) return [];
        throw error;
      }
      const body = response.body as {
        results?: Array<{ toObjectId?: number | string }>;
        paging?: { next?: { after?: string } };
      };
      for (const result of body.results ?? []) if (result.toObjectId !== undefined) ids.add(String(result.toObjectId));
      const next = body.paging?.next?.after;
      if (!next || next === after) break;
      after = next;
    }
    return [...ids].sort((a, b) => compareIds(b, a)).slice(0, limit);
  }

  async listCallDispositions(): Promise<Array<{ id: string; label: string }>> {
    const response = await this.call('burst', 'calling.dispositions', {
      method: 'GET',
      path: this.paths.callDispositions(),
    });
    const body = Array.isArray(response.body)
      ? (response.body as Array<{ id: string; label: string; deleted?: boolean }>)
      : [];
    return body.filter((outcome) => !outcome.deleted).map(({ id, label }) => ({ id, label }));
  }

  async probe(): Promise<void> {
    await this.call(
      'burst',
      'probe',
      { method: 'GET', path: this.paths.objects('contacts'), qs: { limit: '1' } },
      { maxAttempts: 1 },
    );
  }

  /**
   * The token's portal (`GET /account-info/{version}/details`), then one cheap request per needed scope that writes
   * nothing: HubSpot answers 403 `MISSING_SCOPES` before it looks at the request, so a 2xx, and also a 4xx refusal
   * of the request itself, means the scope is granted.
   * (HubSpot documents no way to list a key's scopes; hubspot.md "Versions and auth".) A 401 is thrown.
   */
  async checkAccess(options: { files?: boolean } = {}): Promise<AccessReport> {
    let account: { portalId?: number | string; timeZone?: string } = {};
    try {
      account =
        (await this.call('burst', 'account.details', { method: 'GET', path: this.paths.accountDetails() })).body ?? {};
    } catch (error) {
      // The portal's id is for logs and links: a refusal of this one request (a 401 aside) must not stop sync.
      if (!(error instanceof HubSpotPermanentError)) throw error;
    }
    const probes: Record<(typeof NEEDED_SCOPES)[number], HubSpotHttpRequest> = {
      'crm.objects.contacts.read': { method: 'GET', path: this.paths.objects('contacts'), qs: { limit: '1' } },
      'crm.objects.contacts.write': {
        method: 'POST',
        path: this.paths.objects('contacts', '/batch/update'),
        body: { inputs: [] },
      },
      'crm.schemas.contacts.read': { method: 'GET', path: this.paths.properties('contacts', '/groups') },
      // An empty update of HubSpot's own contact group changes nothing.
      'crm.schemas.contacts.write': {
        method: 'PATCH',
        path: this.paths.properties('contacts', '/groups/contactinformation'),
        body: {},
      },
    };
    const missing: string[] = [];
    const scopes: string[] = [...NEEDED_SCOPES, ...(options.files ? ['files'] : [])];
    // The files scope, asked only while recordings are kept: a search for a name no file has.
    const filesProbe: HubSpotHttpRequest = {
      method: 'GET',
      path: this.paths.files('/search'),
      qs: { name: 'ai-call-connector-scope-check', limit: '1' },
    };
    for (const scope of scopes) {
      try {
        await this.call('burst', 'access.scope', scope === 'files' ? filesProbe : ownValue(probes, scope)!);
      } catch (error) {
        // A 403 for a missing scope says so (category MISSING_SCOPES, the scopes it requires); any other 403 is not
        // a scope this check can name, and is reported as HubSpot worded it.
        const scopeRefusal =
          error instanceof HubSpotAuthError &&
          error.status === 403 &&
          (error.category === 'MISSING_SCOPES' || error.details.scopes.length > 0);
        if (scopeRefusal) missing.push(scope);
        else if (!(error instanceof HubSpotPermanentError)) throw error;
      }
    }
    return {
      portalId: account.portalId === undefined ? null : String(account.portalId),
      timeZone: account.timeZone ?? null,
      missingScopes: missing,
    };
  }

  /** Every page of a search, each body sized by the caller to HubSpot's limit (paging adds `after`, kept in reserve). */
  private async searchAll(
    operation: string,
    objectType: HubSpotObjectType,
    body: Record<string, unknown>,
  ): Promise<Array<{ id: string; properties?: Record<string, string | null> }>> {
    const results: Array<{ id: string; properties?: Record<string, string | null> }> = [];
    let after: string | undefined;
    for (let pages = 1; ; pages++) {
      const page = { ...body, ...(after ? { after } : {}) };
      const size = JSON.stringify(page).length;
      if (size > SEARCH_BODY_LIMIT)
        throw new Error(`a ${operation} body of ${size} characters would exceed HubSpot's ${SEARCH_BODY_LIMIT}`);
      this.stats.largestSearchBody = Math.max(this.stats.largestSearchBody, size);
      const response = await this.call('search', operation, {
        method: 'POST',
        path: this.paths.objects(objectType, '/search'),
        body: page,
      });
      const answer = response.body as {
        results?: Array<{ id: string; properties?: Record<string, string | null> }>;
        paging?: { next?: { after?: string } };
      };
      results.push(...(answer.results ?? []));
      const next = answer.paging?.next?.after;
      // HubSpot pages at most 10,000 results (50 pages of 200); a cursor that does not move ends it too.
      if (!next || next === after || pages >= MAX_SEARCH_PAGES) break;
      after = next;
    }
    return results;
  }

  /** A batch request; 2026-09 answers 200/201 with `errors`, earlier versions 207: both are read the same way. */
  private async batchRequest<T = object>(
    operation: string,
    path: string,
    body: unknown,
    idempotent = true,
  ): Promise<BatchAnswer<T>> {
    const response = await this.call('burst', operation, { method: 'POST', path, body }, { idempotent });
    // Per-input errors carry no correlation id of their own (HubSpot's error body has one per request): each keeps
    // the answer's, where HubSpot sends it as a header.
    return {
      ...((response.body ?? {}) as BatchAnswer<T>),
      correlationId: response.headers.get('x-hubspot-correlation-id'),
    };
  }

  /**
   * A batch write, per input. Inputs HubSpot names in `errors` fail alone. If HubSpot refuses the whole batch (a
   * deterministic 4xx naming no input), it is split in halves until the refused inputs stand alone, within a budget
   * of sub-requests; inputs still unresolved then fail with HubSpot's message (retryable: they count an attempt).
   */
  private async batch<I extends { key: string }, T>(
    operation: string,
    inputs: I[],
    send: (part: I[]) => Promise<BatchOutcome<T>>,
  ): Promise<BatchOutcome<T>> {
    const outcome: BatchOutcome<T> = { succeeded: new Map(), failed: new Map() };
    const budget = { left: ISOLATION_BUDGET };
    for (const part of chunks(inputs, BATCH_LIMIT)) await this.isolate(operation, part, send, outcome, budget);
    return outcome;
  }

  private async isolate<I extends { key: string }, T>(
    operation: string,
    inputs: I[],
    send: (part: I[]) => Promise<BatchOutcome<T>>,
    outcome: BatchOutcome<T>,
    budget: { left: number },
  ): Promise<void> {
    try {
      const part = await send(inputs);
      for (const [key, value] of part.succeeded) outcome.succeeded.set(key, value);
      for (const [key, value] of part.failed) outcome.failed.set(key, value);
    } catch (error) {
      if (!(error instanceof HubSpotPermanentError)) throw error;
      const failure = (retryable: boolean): InputFailure => ({ ...errorFailure(error), retryable });
      if (inputs.length === 1) {
        outcome.failed.set(inputs[0]!.key, failure(false));
        return;
      }
      // The inputs HubSpot named (by trace id) fail; the others go again, without them.
      const named = error.details.traceIds
        .map((trace) => inputs[Number(trace)])
        .filter((input): input is I => input !== undefined);
      if (named.length > 0 && named.length < inputs.length && budget.left >= 1) {
        budget.left -= 1;
        for (const input of named) outcome.failed.set(input.key, failure(false));
        await this.isolate(
          operation,
          inputs.filter((input) => !named.includes(input)),
          send,
          outcome,
          budget,
        );
        return;
      }
      // A removed option or a deleted property is about the portal, not about one input: every input fails with it,
      // and the caller heals the portal and sends them again; splitting would only spend requests.
      if (error.details.codes.some((code) => code === 'INVALID_OPTION' || code === 'PROPERTY_DOESNT_EXIST')) {
        for (const input of inputs) outcome.failed.set(input.key, failure(false));
        return;
      }
      if (budget.left < 2) {
        this.options.logger.warn(
          { operation, inputs: inputs.length, status: error.status, category: error.category },
          'HubSpot refused a batch as a whole; its inputs are sent again later',
        );
        for (const input of inputs) outcome.failed.set(input.key, { ...failure(true), unresolved: true });
        return;
      }
      budget.left -= 2;
      const middle = Math.ceil(inputs.length / 2);
      await this.isolate(operation, inputs.slice(0, middle), send, outcome, budget);
      await this.isolate(operation, inputs.slice(middle), send, outcome, budget);
    }
  }

  private slowSearch(): void {
    const limiter = this.limiters.search;
    const slower = Math.max(1, Math.floor(limiter.currentLimit / 2));
    if (slower === limiter.currentLimit) return;
    limiter.setLimit(slower);
    this.options.logger.warn({ searchesPerSecond: slower }, 'HubSpot search limit reached: searching more slowly');
  }

  /**
   * Non-search answers carry `X-HubSpot-RateLimit-Max` for the 10-second window: the app's real burst limit
   * (100, 190, 250 or 110 depending on the account). Following it means a wrong `HUBSPOT_RATE_LIMIT_PER_10S`
   * costs at most the first few requests.
   */
  private followAnnouncedLimit(headers: Headers): void {
    const max = Number(headers.get('x-hubspot-ratelimit-max'));
    const interval = Number(headers.get('x-hubspot-ratelimit-interval-milliseconds'));
    const burst = this.limiters.burst;
    if (interval === 10_000 && Number.isInteger(max) && max > 0 && max !== burst.currentLimit) {
      this.options.logger.info(
        { previous: burst.currentLimit, announced: max },
        "following HubSpot's announced burst limit",
      );
      burst.setLimit(max);
    }
  }

  /**
   * One logical request: waits for the limiter, retries what is worth retrying, translates the rest. A request that
   * is not idempotent is retried only when HubSpot surely did not apply it (a 429, a 423, a connection that was
   * never made); any other failure leaves its outcome unknown and is thrown as `HubSpotOutcomeUnknownError`.
   */
  private async call(
    limit: Limit,
    operation: string,
    request: HubSpotHttpRequest,
    { idempotent = true, maxAttempts = this.options.maxAttempts }: { idempotent?: boolean; maxAttempts?: number } = {},
  ): Promise<HubSpotHttpResponse> {
    for (let attempt = 1; ; attempt++) {
      const release = await this.limiters[limit].acquire();
      this.stats.requests++;
      if (limit === 'search') this.stats.searches++;
      this.stats.byOperation[operation] = (ownValue(this.stats.byOperation, operation) ?? 0) + 1;
      let failure: HubSpotError;
      let retryAfterMs: number | null = null;
      let applied: boolean;
      const sentAt = performance.now();
      try {
        const response = await this.transport.send(request);
        this.options.onRequestDone?.(operation, response.status, (performance.now() - sentAt) / 1000);
        this.followAnnouncedLimit(response.headers);
        if (response.status >= 200 && response.status < 300) return response;
        ({ failure, retryAfterMs } = classifyResponse(response));
        applied = !surelyNotApplied(response.status);
      } catch (error) {
        if (!(error instanceof HubSpotTransportError)) throw error;
        this.options.onRequestDone?.(
          operation,
          error.timedOut ? 'timeout' : 'network',
          (performance.now() - sentAt) / 1000,
        );
        // Network errors and time-outs: the request may not have reached HubSpot, or its answer did not reach us.
        failure = new HubSpotRetryableError(`HubSpot could not be reached: ${error.message}`, null, 'NETWORK', null);
        applied = error.sent;
      } finally {
        release();
      }
      if (failure.status === 429) {
        this.stats.rateLimited++;
        // Search answers carry no limit headers to learn from: a SECONDLY 429 means the account's search budget is
        // smaller than assumed (other apps share it), so halve this client's pace.
        if (limit === 'search') this.slowSearch();
      }
      // The scope check expects some refusals of its harmless requests: they are not HubSpot refusing the sync.
      if (failure instanceof HubSpotPermanentError && operation !== 'access.scope' && operation !== 'account.details')
        this.stats.refused++;
      const next = afterFailure(failure, { idempotent, applied, attempt, maxAttempts });
      if (next === 'outcome-unknown') {
        throw new HubSpotOutcomeUnknownError(
          `HubSpot may or may not have applied ${operation}: ${failure.message}`,
          failure.status,
          failure.category,
          failure.correlationId,
        );
      }
      if (next === 'give-up') throw failure;

      const waitMs = retryAfterMs ?? backoffMs(attempt, this.options.retryBaseMs, this.options.retryMaxMs);
      if (failure.status === 429) this.limiters[limit].blockUntil(Date.now() + waitMs);
      this.stats.retries++;
      this.options.logger.warn(
        {
          operation,
          attempt,
          status: failure.status,
          category: failure.category,
          correlationId: failure.correlationId,
          waitMs,
        },
        'HubSpot request failed; retrying',
      );
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}

/** A File of HubSpot's answer: its id, URL and size (null when the answer has no id). */
function storedFile(body: unknown): StoredFile | null {
  if (typeof body !== 'object' || body === null) return null;
  const file = body as { id?: unknown; url?: unknown; size?: unknown };
  if (typeof file.id !== 'string' && typeof file.id !== 'number') return null;
  return {
    id: String(file.id),
    url: typeof file.url === 'string' ? file.url : null,
    size: typeof file.size === 'number' ? file.size : null,
  };
}

function withDisplayOrders(definition: PropertyDefinition): PropertyDefinition {
  if (!definition.options) return definition;
  return {
    ...definition,
    options: definition.options.map((option, index) => ({
      ...option,
      displayOrder: option.displayOrder ?? index,
      hidden: option.hidden ?? false,
    })),
  };
}

/** Numeric ids by value (longer is larger), others as text. */
function compareIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
}

function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) result.push(items.slice(index, index + size));
  return result;
}
