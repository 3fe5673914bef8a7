import { randomUUID } from 'node:crypto';
/**
 * A stateful HubSpot API emulator for tests, benchmarks and sandbox mode. It keeps a portal (properties,
 * contacts, calls, associations, validation rules) and answers the endpoints the connector uses the way HubSpot
 * does, on the legacy `/crm/v3/...` paths and the dated `/crm/objects/2026-09/...` ones, including its limits,
 * its index lag and its errors; `/_emulator/` endpoints (and the methods of this class) read its state, change
 * the portal behind the connector's back and inject faults.
 */
import { DEFAULT_PORTAL_ID, accountRoutes } from './emulator-account-routes.js';
import { EmulatorAuth, type AuthReport, type AuthSettings } from './emulator-auth.js';
import { associationRoutes } from './emulator-association-routes.js';
import { batchRoutes } from './emulator-batch-routes.js';
import { callingRoutes } from './emulator-calling-routes.js';
import { controlRoutes, parseLimits, type ControlRoute, type EmulatorControls } from './emulator-control-routes.js';
import { InvalidControlInput } from './emulator-error.js';
import { FaultInjector, type FaultConfig, type FaultStatusReport } from './emulator-faults.js';
import { fileRoutes } from './emulator-file-routes.js';
import { FileStore, type SnapshotFile, type SnapshotFolder } from './emulator-file-store.js';
import { EmulatorFilesServer } from './emulator-files-server.js';
import { EmulatorHttpServer } from './emulator-http-server.js';
import { ObjectStore } from './emulator-object-store.js';
import { presentObject } from './emulator-object-presenter.js';
import { objectRoutes } from './emulator-object-routes.js';
import { CRM_OBJECT_TYPES, resolveObjectType, type CrmObjectType } from './emulator-object-types.js';
import { PropertyRegistry } from './emulator-property-registry.js';
import { propertyRoutes } from './emulator-property-routes.js';
import {
  DEFAULT_LIMITS,
  EmulatorRateLimiter,
  type EmulatorLimits,
  type RateLimitUsage,
} from './emulator-rate-limiter.js';
import {
  DEFAULT_REQUEST_LOG_CAPACITY,
  RequestLog,
  type RequestCounters,
  type RequestLogEntry,
} from './emulator-request-log.js';
import { Router, type Route } from './emulator-router.js';
import { EmulatorStateFile, type PersistedEmulatorState } from './emulator-state-file.js';
import { PortalValidationRules, type ValidationRulesReport } from './emulator-validation-rules.js';
import {
  buildStateSnapshot,
  snapshotObject,
  type EmulatorStateSnapshot,
  type SnapshotObject,
} from './emulator-state-snapshot.js';

// The package's entry: consumers read snapshots through these types.
export type { EmulatorStateSnapshot, SnapshotObject } from './emulator-state-snapshot.js';
export type { FileAccess, SnapshotFile, SnapshotFolder } from './emulator-file-store.js';
export { emulatorFilesCertificate } from './emulator-files-server.js';

export interface HubSpotEmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Load the portal from this JSON file at start and keep saving it (debounced, and on close). */
  stateFile?: string;
  /** Accept only these bearer tokens (others get 401); by default any non-empty token is accepted. */
  tokens?: string[];
  /** Limits at start and after reset; defaults are HubSpot's Free/Starter private-app limits. */
  limits?: Partial<EmulatorLimits>;
  /** Entries kept by the request log ring buffer (default 1000). */
  requestLogCapacity?: number;
  /** Delay between a write and the state file save that follows it (default 250 ms). */
  saveDebounceMs?: number;
  /** Time source for timestamps, limits and index lag; tests may pass a controllable one. */
  clock?: () => number;
  /** The account's id, as `GET /account-info/{version}/details` reports it (default 12345678). */
  portalId?: number;
  /**
   * Port of the HTTPS server that serves uploaded files (HubSpot's file CDN; same host as the API): 0 (the
   * default) picks a free port. Its certificate is `emulatorFilesCertificate()`.
   */
  filesPort?: number;
}

interface EmulatorParts {
  url: string;
  port: number;
  filesUrl: string;
  filesPort: number;
  clock: () => number;
  initialLimits: EmulatorLimits;
  registry: PropertyRegistry;
  store: ObjectStore;
  files: FileStore;
  rules: PortalValidationRules;
  limiter: EmulatorRateLimiter;
  faults: FaultInjector;
  auth: EmulatorAuth;
  log: RequestLog;
  server: EmulatorHttpServer;
  filesServer: EmulatorFilesServer;
  stateFile: EmulatorStateFile | undefined;
}

export class HubSpotEmulator implements EmulatorControls {
  /** Base URL to pass as the SDK's `basePath`, e.g. `http://127.0.0.1:4010`. */
  readonly url: string;
  readonly port: number;
  /** Base of uploaded files' URLs, e.g. `https://127.0.0.1:44123` (a file is at `/hubfs/{portalId}/{path}`). */
  readonly filesUrl: string;
  readonly filesPort: number;
  private closed: Promise<void> | undefined;

  private constructor(private readonly parts: EmulatorParts) {
    this.url = parts.url;
    this.port = parts.port;
    this.filesUrl = parts.filesUrl;
    this.filesPort = parts.filesPort;
  }

  static async start(options: HubSpotEmulatorOptions = {}): Promise<HubSpotEmulator> {
    const clock = options.clock ?? Date.now;
    const initialLimits: EmulatorLimits = { ...DEFAULT_LIMITS, ...parseLimits(options.limits ?? {}) };
    const portalId = options.portalId ?? DEFAULT_PORTAL_ID;
    if (!Number.isSafeInteger(portalId) || portalId <= 0) {
      throw new InvalidControlInput(`portalId must be a positive integer (got ${String(options.portalId)})`);
    }
    const registry = new PropertyRegistry(clock);
    const limiter = new EmulatorRateLimiter(initialLimits, clock);
    let stateFile: EmulatorStateFile | undefined;
    const markDirty = (): void => stateFile?.markDirty();
    const store = new ObjectStore(registry, clock, initialLimits.searchLagMs, markDirty, () => ({
      marketableStatusWrites: limiter.limit('marketableStatusWrites'),
    }));
    const rules = new PortalValidationRules(registry);

    if (options.stateFile) {
      const saved = EmulatorStateFile.load(options.stateFile);
      if (saved) {
        registry.importState(saved.registry);
        store.importState(saved.store);
      }
      stateFile = new EmulatorStateFile(
        options.stateFile,
        (): PersistedEmulatorState => ({
          version: 1,
          savedAt: new Date(clock()).toISOString(),
          registry: registry.exportState(),
          store: store.exportState(),
        }),
        options.saveDebounceMs,
      );
    }

    const faults = new FaultInjector(clock);
    const auth = new EmulatorAuth(options.tokens);
    const log = new RequestLog(options.requestLogCapacity ?? DEFAULT_REQUEST_LOG_CAPACITY);
    // Files live in memory only: they are not part of the state file (recordings would make every save rewrite
    // megabytes), so they do not survive a restart.
    const files = new FileStore(clock);
    const routes = new Router<Route>().add([
      ...propertyRoutes(registry, limiter, markDirty),
      ...batchRoutes(store, rules, clock),
      ...objectRoutes(registry, store, rules, clock),
      ...associationRoutes(store, clock),
      ...callingRoutes(registry),
      ...accountRoutes(portalId, registry, limiter),
      ...fileRoutes(files, limiter, clock),
    ]);
    // Control routes need the emulator itself; they are bound once it exists.
    const controls = new Router<ControlRoute>();
    const server = new EmulatorHttpServer({ routes, controls, auth, limiter, faults, log, clock });
    const host = options.host ?? '127.0.0.1';
    const filesServer = new EmulatorFilesServer(files, portalId);
    const filesAddress = await filesServer.listen(options.filesPort ?? 0, host);
    let address: Awaited<ReturnType<EmulatorHttpServer['listen']>>;
    try {
      address = await server.listen(options.port ?? 0, host);
    } catch (error) {
      await filesServer.close();
      throw error;
    }
    const urlHost = host.includes(':') ? `[${host}]` : host;
    const reachableHost = urlHost === '0.0.0.0' ? '127.0.0.1' : urlHost;
    const filesUrl = `https://${reachableHost}:${filesAddress.port}`;
    files.setHosting({ baseUrl: filesUrl, portalId });
    const emulator = new HubSpotEmulator({
      url: `http://${reachableHost}:${address.port}`,
      port: address.port,
      filesUrl,
      filesPort: filesAddress.port,
      clock,
      initialLimits,
      registry,
      store,
      files,
      rules,
      limiter,
      faults,
      auth,
      log,
      server,
      filesServer,
      stateFile,
    });
    controls.add(controlRoutes(emulator));
    return emulator;
  }

  /** Everything, objects included (tests); see snapshot() to leave objects out. */
  get state(): EmulatorStateSnapshot {
    return this.snapshot({ includeObjects: true });
  }

  /** Recent requests, oldest first (a bounded ring buffer). */
  get requestLog(): RequestLogEntry[] {
    return this.parts.log.recent();
  }

  get counters(): RequestCounters {
    return this.parts.log.snapshotCounters();
  }

  get limits(): EmulatorLimits {
    return this.parts.limiter.current;
  }

  get hungRequestCount(): number {
    return this.parts.server.hungRequestCount;
  }

  /** One object as stored (current values, not what search sees), or undefined. */
  getObject(objectType: CrmObjectType, id: string): SnapshotObject | undefined {
    const object = this.parts.store.get(objectType, id);
    return object ? snapshotObject(this.parts.store, objectType, object) : undefined;
  }

  /** All objects of a type as stored. */
  listObjects(objectType: CrmObjectType): SnapshotObject[] {
    return [...this.parts.store.all(objectType)].map((object) => snapshotObject(this.parts.store, objectType, object));
  }

  snapshot(options: { includeObjects?: boolean } = {}): EmulatorStateSnapshot {
    const { store, registry, files, log, limiter, faults, auth, server } = this.parts;
    return buildStateSnapshot(
      {
        store,
        registry,
        files,
        requests: log.snapshotCounters(),
        limits: limiter.current,
        usage: limiter.usage(),
        faults: faults.report(),
        auth: auth.report(),
        hungRequests: server.hungRequestCount,
      },
      options.includeObjects ?? true,
    );
  }

  recentRequests(limit?: number): RequestLogEntry[] {
    return this.parts.log.recent(limit === undefined || Number.isNaN(limit) ? undefined : limit);
  }

  /** Uploaded files (and archived ones), without their bytes, in upload order. */
  files(): SnapshotFile[] {
    return this.parts.files.snapshot().files;
  }

  /** The file manager's folders (created by uploads to a `folderPath`). */
  fileFolders(): SnapshotFolder[] {
    return this.parts.files.snapshot().folders;
  }

  /** One live file's summary, or undefined (unknown, archived or past its ttl). */
  getFile(id: string): SnapshotFile | undefined {
    const file = this.parts.files.get(id);
    return file ? this.parts.files.snapshotFile(file) : undefined;
  }

  /** A copy of a live file's bytes, or undefined. */
  fileBytes(id: string): Buffer | undefined {
    const file = this.parts.files.get(id);
    return file ? Buffer.from(file.bytes) : undefined;
  }

  /**
   * Back to a fresh portal: objects, associations, uploaded files and folders, validation rules, request log,
   * rate-limit usage, faults and auth changes are cleared and the start-time limits restored. Custom properties and groups are dropped unless
   * `keepProperties`. Held requests are cut off rather than answered into the new state.
   */
  reset(options: { keepProperties?: boolean } = {}): void {
    const { store, files, registry, rules, limiter, faults, auth, log, server, initialLimits, stateFile } = this.parts;
    server.dropParked();
    store.clear();
    files.clear();
    rules.clear();
    if (!options.keepProperties) registry.resetToBuiltIns();
    limiter.configure(initialLimits);
    limiter.resetUsage();
    store.setSearchLag(initialLimits.searchLagMs);
    faults.clear();
    auth.reset();
    log.clear();
    stateFile?.markDirty();
  }

  setLimits(limits: Partial<EmulatorLimits>): EmulatorLimits {
    const merged = { ...this.parts.limiter.current, ...parseLimits(limits) };
    this.parts.limiter.configure(merged);
    this.parts.store.setSearchLag(merged.searchLagMs);
    return merged;
  }

  limitsReport(): { limits: EmulatorLimits; usage: RateLimitUsage } {
    return { limits: this.parts.limiter.current, usage: this.parts.limiter.usage() };
  }

  /** As if midnight had passed: the daily count starts again. */
  resetDay(): void {
    this.parts.limiter.resetDay();
  }

  setFaults(config: FaultConfig): FaultStatusReport {
    const { faults, server } = this.parts;
    const installed = faults.set(config);
    server.releaseParked();
    const holds = installed.mode === 'hang' || installed.mode === 'apply-then-hang';
    if (holds && installed.until !== undefined) server.scheduleRelease(installed.until);
    return faults.report();
  }

  clearFaults(): void {
    this.parts.faults.clear();
    this.parts.server.releaseParked();
  }

  faultsReport(): FaultStatusReport {
    return this.parts.faults.report();
  }

  setAuth(settings: AuthSettings): AuthReport {
    return this.parts.auth.configure(settings);
  }

  /** Inserts an object directly (no auth, limits or lag), as data that existed before the connector ran. */
  seedObject(objectType: string, properties: Record<string, unknown>): Record<string, unknown> {
    const type = resolveObjectType(objectType);
    if (!type) throw new InvalidControlInput(`seed: unknown object type "${objectType}"`);
    const object = this.parts.store.seed(type, properties);
    return presentObject(type, object.id, object.properties, 'all');
  }

  /** Adds a portal call outcome (as HubSpot's calling settings do); answers its id. */
  addCallDisposition(label: string, id: string = randomUUID()): string {
    this.parts.registry.addCallDisposition(label, id);
    return id;
  }

  /**
   * Replaces the portal's validation rules, e.g. `{"contacts":{"required":["lead_source"]}}`: creates on 2026-09
   * paths without those properties are refused (see PortalValidationRules). Named properties must exist.
   */
  setValidationRules(rules: unknown): ValidationRulesReport {
    return this.parts.rules.set(rules);
  }

  validationRules(): ValidationRulesReport {
    return this.parts.rules.report();
  }

  /**
   * Merges contact `mergedId` into `primaryId` as a HubSpot user would (see ObjectStore.merge) and answers the
   * primary as stored. Both must exist and differ.
   */
  mergeContacts(primaryId: string, mergedId: string): SnapshotObject {
    const { store } = this.parts;
    for (const id of [primaryId, mergedId]) {
      if (!store.get('contacts', id)) throw new InvalidControlInput(`merge: contact ${id} does not exist`);
    }
    if (primaryId === mergedId) throw new InvalidControlInput('merge: primaryId and mergedId must differ');
    const primary = store.merge('contacts', primaryId, mergedId);
    return snapshotObject(store, 'contacts', primary);
  }

  /** Makes every pending write visible to search now, whatever the lag. */
  flushSearchIndex(): void {
    for (const objectType of CRM_OBJECT_TYPES) this.parts.store.searchIndex(objectType).makeAllVisible();
  }

  /** Writes the state file now (when one is configured). */
  async saveState(): Promise<void> {
    await this.parts.stateFile?.flush();
  }

  /** Stops listening (API and files), ends kept-alive and hung connections, and saves the state file. Safe to call twice. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await Promise.all([this.parts.server.close(), this.parts.filesServer.close()]);
      await this.parts.stateFile?.flush();
    })();
    return this.closed;
  }
}
