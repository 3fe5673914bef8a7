/**
 * The port through which the mapping in force is shared by every instance on one store: versions of mapping.yaml's
 * text per HubSpot portal, numbered upwards. The store implements it (`MappingVersionRepository`) and hands it to
 * `ConnectorConfig` at start; config never imports the store.
 */

/** A digest as health and the admin answer show it: its first 12 hex characters, enough to tell versions apart. */
export function shownDigest(digest: string): string {
  return digest.slice(0, 12);
}

/** A stored version, without its text. */
export interface MappingVersionInfo {
  version: number;
  /** SHA-256 (hex) of the text. */
  digest: string;
  storedAt: string;
  /** The instance that stored it (`INSTANCE_ID`). */
  storedBy: string;
  /** What made it store it: `start`, `admin request`, `SIGHUP`, `file change`. */
  trigger: string;
}

export interface StoredMappingVersion extends MappingVersionInfo {
  yaml: string;
}

export interface NewMappingVersion {
  yaml: string;
  storedBy: string;
  trigger: string;
}

export interface MappingVersionStore {
  /** The current version's number and digest (a cheap read, for polling), or null when none is stored. */
  head(portalId: string): Promise<Pick<MappingVersionInfo, 'version' | 'digest'> | null>;
  /** The current version with its text. */
  current(portalId: string): Promise<StoredMappingVersion | null>;
  /** The latest version whose text has this digest (without its text), or null when it was never stored. */
  findByDigest(portalId: string, digest: string): Promise<MappingVersionInfo | null>;
  /**
   * Stores the text as the next version unless it is the current version's text already (decided in the store, so
   * that instances storing at once never make two versions of one text). Answers the version now current.
   */
  publish(
    portalId: string,
    entry: NewMappingVersion,
    now: Date,
  ): Promise<{ stored: MappingVersionInfo; created: boolean }>;
}
