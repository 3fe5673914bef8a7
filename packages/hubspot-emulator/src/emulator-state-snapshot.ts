/** The read-only view of the emulator that tests inspect (`emulator.state`, `GET /_emulator/state`). */
import type { AuthReport } from './emulator-auth.js';
import type { FaultStatusReport } from './emulator-faults.js';
import type { FileStore, SnapshotFile } from './emulator-file-store.js';
import type { ObjectStore, StoredObject } from './emulator-object-store.js';
import { CRM_OBJECT_TYPES, type CrmObjectType } from './emulator-object-types.js';
import type { PropertyRegistry } from './emulator-property-registry.js';
import type { EmulatorLimits, RateLimitUsage } from './emulator-rate-limiter.js';
import type { RequestCounters } from './emulator-request-log.js';

export interface SnapshotObject {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  associations: Partial<Record<CrmObjectType, string[]>>;
}

export interface EmulatorStateSnapshot {
  contacts: number;
  calls: number;
  /** call→contact links. */
  associations: number;
  searchIndex: Record<CrmObjectType, { visible: number; pending: number; lagMs: number }>;
  customProperties: Record<CrmObjectType, string[]>;
  /** Live uploaded files (not archived, not past their ttl). */
  files: number;
  /** Left out when asked for without objects (large benchmark states). */
  objects?: Record<CrmObjectType, SnapshotObject[]>;
  /** Uploaded files (archived ones too) without their bytes; left out with the objects. */
  fileList?: SnapshotFile[];
  requests: RequestCounters;
  limits: EmulatorLimits;
  usage: RateLimitUsage;
  faults: FaultStatusReport;
  auth: AuthReport;
  hungRequests: number;
}

export interface SnapshotSources {
  store: ObjectStore;
  registry: PropertyRegistry;
  files: FileStore;
  requests: RequestCounters;
  limits: EmulatorLimits;
  usage: RateLimitUsage;
  faults: FaultStatusReport;
  auth: AuthReport;
  hungRequests: number;
}

export function buildStateSnapshot(sources: SnapshotSources, includeObjects: boolean): EmulatorStateSnapshot {
  const { store, registry, files } = sources;
  const perType = <T>(build: (objectType: CrmObjectType) => T): Record<CrmObjectType, T> => ({
    contacts: build('contacts'),
    calls: build('calls'),
  });
  const snapshot: EmulatorStateSnapshot = {
    contacts: store.count('contacts'),
    calls: store.count('calls'),
    associations: store.associations.linkCount(),
    files: files.liveCount(),
    searchIndex: perType((objectType) => {
      const index = store.searchIndex(objectType);
      return { visible: index.visibleCount, pending: index.pendingCount, lagMs: index.lag };
    }),
    customProperties: perType((objectType) =>
      registry
        .list(objectType)
        .filter((definition) => !definition.hubspotDefined)
        .map((definition) => definition.name),
    ),
    requests: sources.requests,
    limits: sources.limits,
    usage: sources.usage,
    faults: sources.faults,
    auth: sources.auth,
    hungRequests: sources.hungRequests,
  };
  if (includeObjects) {
    snapshot.objects = perType((objectType) => snapshotObjects(store, objectType));
    snapshot.fileList = files.snapshot().files;
  }
  return snapshot;
}

function snapshotObjects(store: ObjectStore, objectType: CrmObjectType): SnapshotObject[] {
  return [...store.all(objectType)].map((object) => snapshotObject(store, objectType, object));
}

/** A detached copy of one stored object with its associations. */
export function snapshotObject(store: ObjectStore, objectType: CrmObjectType, object: StoredObject): SnapshotObject {
  const associations: Partial<Record<CrmObjectType, string[]>> = {};
  for (const otherType of CRM_OBJECT_TYPES) {
    const ids = store.associations.targets(objectType, object.id, otherType);
    if (ids.length > 0) associations[otherType] = ids;
  }
  return {
    id: object.id,
    properties: { ...object.properties },
    createdAt: new Date(object.createdAt).toISOString(),
    updatedAt: new Date(object.updatedAt).toISOString(),
    associations,
  };
}
