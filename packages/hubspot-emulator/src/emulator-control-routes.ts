/**
 * Test-only endpoints under `/_emulator/`: no auth, no rate limits, no faults, and not counted in the request
 * log. Each mirrors a method of HubSpotEmulator, which implements EmulatorControls.
 */
import type { AuthReport, AuthSettings } from './emulator-auth.js';
import { InvalidControlInput } from './emulator-error.js';
import type { FaultConfig, FaultStatusReport } from './emulator-faults.js';
import type { SnapshotFile, SnapshotFolder } from './emulator-file-store.js';
import type { EmulatorLimits, RateLimitUsage } from './emulator-rate-limiter.js';
import type { RequestLogEntry } from './emulator-request-log.js';
import type { RoutePattern } from './emulator-router.js';
import type { EmulatorStateSnapshot, SnapshotObject } from './emulator-state-snapshot.js';
import type { ValidationRulesReport } from './emulator-validation-rules.js';

export interface EmulatorControls {
  reset(options?: { keepProperties?: boolean }): void;
  snapshot(options?: { includeObjects?: boolean }): EmulatorStateSnapshot;
  recentRequests(limit?: number): RequestLogEntry[];
  setLimits(limits: Partial<EmulatorLimits>): EmulatorLimits;
  limitsReport(): { limits: EmulatorLimits; usage: RateLimitUsage };
  resetDay(): void;
  setFaults(config: FaultConfig): FaultStatusReport;
  clearFaults(): void;
  faultsReport(): FaultStatusReport;
  setAuth(settings: AuthSettings): AuthReport;
  seedObject(objectType: string, properties: Record<string, unknown>): Record<string, unknown>;
  addCallDisposition(label: string, id?: string): string;
  flushSearchIndex(): void;
  setValidationRules(rules: unknown): ValidationRulesReport;
  validationRules(): ValidationRulesReport;
  mergeContacts(primaryId: string, mergedId: string): SnapshotObject;
  files(): SnapshotFile[];
  fileFolders(): SnapshotFolder[];
}

export interface ControlRoute extends RoutePattern {
  handle(request: { params: Record<string, string>; query: URLSearchParams; body: unknown }): {
    status: number;
    body: unknown;
  };
}

const LIMIT_KEYS = [
  'burstPer10s',
  'burstWindowMs',
  'searchPerSecond',
  'daily',
  'searchLagMs',
  'countRejectedRequests',
  'customPropertiesPerObject',
  'marketableStatusWrites',
  'fileUploadMaxBytes',
] as const satisfies readonly (keyof EmulatorLimits)[];

type NumericLimitKey = Exclude<(typeof LIMIT_KEYS)[number], 'countRejectedRequests' | 'marketableStatusWrites'>;

export function controlRoutes(controls: EmulatorControls): ControlRoute[] {
  return [
    {
      method: 'POST',
      pattern: '/_emulator/reset',
      handle: ({ body }) => {
        const keepProperties = isObject(body) && body.keepProperties === true;
        controls.reset({ keepProperties });
        return { status: 200, body: { ok: true, keepProperties } };
      },
    },
    {
      method: 'GET',
      pattern: '/_emulator/state',
      handle: ({ query }) => ({
        status: 200,
        body: controls.snapshot({ includeObjects: query.get('objects') !== 'false' }),
      }),
    },
    {
      method: 'GET',
      pattern: '/_emulator/requests',
      handle: ({ query }) => {
        const limit = query.get('limit');
        const entries = controls.recentRequests(limit === null ? undefined : Number(limit));
        return { status: 200, body: { results: entries } };
      },
    },
    { method: 'GET', pattern: '/_emulator/limits', handle: () => ({ status: 200, body: controls.limitsReport() }) },
    {
      method: 'PUT',
      pattern: '/_emulator/limits',
      handle: ({ body }) => ({ status: 200, body: controls.setLimits(parseLimits(body)) }),
    },
    {
      method: 'POST',
      pattern: '/_emulator/day-reset',
      handle: () => {
        controls.resetDay();
        return { status: 200, body: controls.limitsReport() };
      },
    },
    { method: 'GET', pattern: '/_emulator/faults', handle: () => ({ status: 200, body: controls.faultsReport() }) },
    {
      method: 'PUT',
      pattern: '/_emulator/faults',
      handle: ({ body }) => ({ status: 200, body: controls.setFaults(body as FaultConfig) }),
    },
    {
      method: 'DELETE',
      pattern: '/_emulator/faults',
      handle: () => {
        controls.clearFaults();
        return { status: 200, body: controls.faultsReport() };
      },
    },
    {
      method: 'PUT',
      pattern: '/_emulator/auth',
      handle: ({ body }) => ({ status: 200, body: controls.setAuth(body as AuthSettings) }),
    },
    {
      method: 'POST',
      pattern: '/_emulator/objects/:objectType',
      handle: ({ params, body }) => {
        const properties = isObject(body) && isObject(body.properties) ? body.properties : undefined;
        if (!properties) throw new InvalidControlInput('seed: expected {"properties": {...}}');
        return { status: 201, body: controls.seedObject(params.objectType ?? '', properties) };
      },
    },
    {
      method: 'POST',
      pattern: '/_emulator/dispositions',
      handle: ({ body }) => {
        const label =
          isObject(body) && typeof body.label === 'string' && body.label.trim() !== '' ? body.label.trim() : undefined;
        if (!label) throw new InvalidControlInput('dispositions: expected {"label": "Interested", "id"?: "<guid>"}');
        const id = isObject(body) && typeof body.id === 'string' ? body.id : undefined;
        return { status: 201, body: { id: controls.addCallDisposition(label, id), label } };
      },
    },
    {
      method: 'GET',
      pattern: '/_emulator/validation-rules',
      handle: () => ({ status: 200, body: controls.validationRules() }),
    },
    {
      method: 'PUT',
      pattern: '/_emulator/validation-rules',
      handle: ({ body }) => ({ status: 200, body: controls.setValidationRules(body) }),
    },
    {
      method: 'POST',
      pattern: '/_emulator/merge/contacts',
      handle: ({ body }) => {
        const primaryId = isObject(body) ? idOf(body.primaryId) : undefined;
        const mergedId = isObject(body) ? idOf(body.mergedId) : undefined;
        if (primaryId === undefined || mergedId === undefined) {
          throw new InvalidControlInput('merge: expected {"primaryId": "<contact id>", "mergedId": "<contact id>"}');
        }
        return { status: 200, body: controls.mergeContacts(primaryId, mergedId) };
      },
    },
    {
      // Uploaded files without their bytes (id, name, path, access, size, sha256, md5, url, times), and the folders.
      method: 'GET',
      pattern: '/_emulator/files',
      handle: () => ({ status: 200, body: { results: controls.files(), folders: controls.fileFolders() } }),
    },
    {
      method: 'POST',
      pattern: '/_emulator/search-index/flush',
      handle: () => {
        controls.flushSearchIndex();
        return { status: 200, body: { ok: true } };
      },
    },
  ];
}

/** Validates a partial limits update; unknown keys are refused so a typo does not silently do nothing. */
export function parseLimits(input: unknown): Partial<EmulatorLimits> {
  if (!isObject(input)) throw new InvalidControlInput('limits: expected an object like {"burstPer10s":100}');
  const limits: Partial<EmulatorLimits> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!(LIMIT_KEYS as readonly string[]).includes(key)) {
      throw new InvalidControlInput(`limits: unknown key "${key}" (known: ${LIMIT_KEYS.join(', ')})`);
    }
    if (key === 'countRejectedRequests') {
      if (typeof value !== 'boolean') throw new InvalidControlInput('limits.countRejectedRequests must be a boolean');
      limits.countRejectedRequests = value;
      continue;
    }
    if (key === 'marketableStatusWrites') {
      if (value !== 'refuse' && value !== 'ignore') {
        throw new InvalidControlInput('limits.marketableStatusWrites must be "refuse" or "ignore"');
      }
      limits.marketableStatusWrites = value;
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InvalidControlInput(`limits.${key} must be a non-negative number`);
    }
    if (key === 'burstWindowMs' && value === 0) {
      throw new InvalidControlInput(`limits.${key} must be greater than 0`);
    }
    if ((key === 'customPropertiesPerObject' || key === 'fileUploadMaxBytes') && !Number.isInteger(value)) {
      throw new InvalidControlInput(`limits.${key} must be an integer`);
    }
    limits[key as NumericLimitKey] = value;
  }
  return limits;
}

function idOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
