/**
 * The portal's file manager: folders and files, the files' bytes kept in memory (they are not written to the state
 * file, so they do not survive a restart of the emulator). Uploads follow HubSpot's Files API
 * (https://developers.hubspot.com/docs/api-reference/files-files-v3/guide); what its docs leave open is marked as an
 * assumption where it is decided.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { HubSpotApiError } from './emulator-error.js';

/** HubSpot's access levels, as the Files spec lists them (`@hubspot/api-client` 13.5, `ModelFileAccessEnum`). */
export const FILE_ACCESS_LEVELS = [
  'PUBLIC_INDEXABLE',
  'PUBLIC_NOT_INDEXABLE',
  'HIDDEN_INDEXABLE',
  'HIDDEN_NOT_INDEXABLE',
  'HIDDEN_PRIVATE',
  'PRIVATE',
  'HIDDEN_SENSITIVE',
  'SENSITIVE',
] as const;
export type FileAccess = (typeof FILE_ACCESS_LEVELS)[number];

export const DUPLICATE_VALIDATION_STRATEGIES = ['NONE', 'REJECT', 'RETURN_EXISTING'] as const;
export type DuplicateValidationStrategy = (typeof DUPLICATE_VALIDATION_STRATEGIES)[number];
export const DUPLICATE_VALIDATION_SCOPES = ['ENTIRE_PORTAL', 'EXACT_FOLDER'] as const;
export type DuplicateValidationScope = (typeof DUPLICATE_VALIDATION_SCOPES)[number];

export function isFileAccess(value: string): value is FileAccess {
  return (FILE_ACCESS_LEVELS as readonly string[]).includes(value);
}

/**
 * Whether anyone holding the file's URL gets its bytes. PUBLIC_* files are "publicly accessible by anyone who has
 * the URL"; PRIVATE ones "require a signed URL" (https://developers.hubspot.com/docs/api/files/files, "Changes in
 * v3"). Assumption: HIDDEN_* differ from their unhidden twin only in not being listed in the files tool, and
 * SENSITIVE files are served like PRIVATE ones (through a signed URL only).
 */
export function isPubliclyServed(access: FileAccess): boolean {
  return access.endsWith('_INDEXABLE');
}

/** PUBLIC_NOT_INDEXABLE files are sent with `X-Robots-Tag: noindex` (same page); private ones are not indexable either. */
export function isIndexable(access: FileAccess): boolean {
  return access === 'PUBLIC_INDEXABLE' || access === 'HIDDEN_INDEXABLE';
}

/** "Listing files will not return hidden or deleted files" (https://developers.hubspot.com/docs/api/files/files). */
export function isHidden(access: FileAccess): boolean {
  return access.startsWith('HIDDEN_');
}

export interface StoredFolder {
  id: string;
  name: string;
  /** `/library/cat_archive`. */
  path: string;
  parentFolderId: string | undefined;
  createdAt: number;
  updatedAt: number;
}

export interface StoredFile {
  id: string;
  /** Without the extension, as HubSpot's File `name` is (`cat` for `cat.png`). */
  name: string;
  /** Without the dot; empty when the file has none. */
  extension: string;
  folderId: string | undefined;
  /** The folder's path, `''` for the root. */
  folderPath: string;
  /** `/library/cat_archive/cat.png`. */
  path: string;
  access: FileAccess;
  contentType: string;
  encoding: string | undefined;
  bytes: Buffer;
  md5: string;
  sha256: string;
  createdAt: number;
  updatedAt: number;
  /** Epoch ms after which the file is deleted (from the upload's `ttl`). */
  expiresAt: number | undefined;
  archivedAt: number | undefined;
}

export interface FileUploadInput {
  bytes: Buffer;
  contentType: string;
  encoding: string | undefined;
  name: string;
  extension: string;
  /** One of the two, as HubSpot requires ("Either this field or folderPath must be provided … (but not both)"). */
  folder: { id: string } | { path: string };
  access: FileAccess;
  ttlMs: number | undefined;
  overwrite: boolean;
  duplicateValidationStrategy: DuplicateValidationStrategy;
  duplicateValidationScope: DuplicateValidationScope;
}

export interface FileUploadResult {
  file: StoredFile;
  /** `existing`: a duplicate was found and returned instead (RETURN_EXISTING). */
  outcome: 'created' | 'overwritten' | 'existing';
}

/** What tests read (`GET /_emulator/files`, `emulator.files()`): everything but the bytes. */
export interface SnapshotFile {
  id: string;
  name: string;
  extension: string;
  path: string;
  folderId: string | null;
  access: FileAccess;
  size: number;
  contentType: string;
  md5: string;
  sha256: string;
  url: string;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  archived: boolean;
}

export interface SnapshotFolder {
  id: string;
  name: string;
  path: string;
  parentFolderId: string | null;
}

export interface FileHosting {
  /** `https://127.0.0.1:<filesPort>`. */
  baseUrl: string;
  portalId: number;
}

/** File and folder ids are numeric strings, as HubSpot's are; distinct ranges keep the two apart in tests. */
const FIRST_FILE_ID = 180_000_000_001;
const FIRST_FOLDER_ID = 90_000_000_001;
/** Bounds the search for a free name when a name is taken and `overwrite` is false. */
const MAX_NAME_SUFFIX = 10_000;

export class FileStore {
  private readonly filesById = new Map<string, StoredFile>();
  /** Live (not archived, not expired) files by path. */
  private readonly filesByPath = new Map<string, string>();
  private readonly foldersById = new Map<string, StoredFolder>();
  private readonly foldersByPath = new Map<string, StoredFolder>();
  private nextFileId = FIRST_FILE_ID;
  private nextFolderId = FIRST_FOLDER_ID;
  /** Signs the emulator's signed URLs; new per emulator, never persisted. */
  private readonly signingKey = randomBytes(32);
  private hosting: FileHosting = { baseUrl: 'https://127.0.0.1', portalId: 0 };

  constructor(private readonly clock: () => number) {}

  /** Where the files are served (known once the files server listens). */
  setHosting(hosting: FileHosting): void {
    this.hosting = { ...hosting };
  }

  clear(): void {
    this.filesById.clear();
    this.filesByPath.clear();
    this.foldersById.clear();
    this.foldersByPath.clear();
    this.nextFileId = FIRST_FILE_ID;
    this.nextFolderId = FIRST_FOLDER_ID;
  }

  upload(input: FileUploadInput): FileUploadResult {
    const now = this.clock();
    this.sweepExpired(now);
    const target = this.resolveFolder(input.folder);
    const md5 = createHash('md5').update(input.bytes).digest('hex');

    // Duplicate validation: "NONE: Do not run any duplicate validation. REJECT: Reject the upload if a duplicate is
    // found. RETURN_EXISTING: If a duplicate file is found, do not upload a new file and return the found duplicate
    // instead"; "ENTIRE_PORTAL: look for a duplicate file in the entire account. EXACT_FOLDER: look for a duplicate
    // file in the provided folder" (https://developers.hubspot.com/docs/api/files/files). Assumption (the docs do
    // not say what a duplicate is): a live file with the same content (the same `fileMd5`), whatever its name.
    if (input.duplicateValidationStrategy !== 'NONE') {
      const duplicate = this.findDuplicate(md5, input.duplicateValidationScope, target.path);
      if (duplicate && input.duplicateValidationStrategy === 'RETURN_EXISTING') {
        return { file: duplicate, outcome: 'existing' };
      }
      if (duplicate) {
        // Assumption: the status and wording of the refusal are not documented; 409 CONFLICT names the duplicate.
        throw new HubSpotApiError(409, 'CONFLICT', `Duplicate file found: file ${duplicate.id} has the same content.`, {
          context: { existingFileId: [duplicate.id] },
        });
      }
    }

    const folder = target.folder ?? this.ensureFolder(target.path, now);
    const fileName = (name: string): string => (input.extension === '' ? name : `${name}.${input.extension}`);
    const sameName = this.livePath(`${target.path}/${fileName(input.name)}`);
    if (sameName && input.overwrite) {
      // "If true, it will overwrite existing files if a file with the same name exists in the given folder" (Files
      // spec, FileUploadOptions/ImportFromUrlInput `overwrite`). Assumption: the overwritten file keeps its id and
      // URL (as HubSpot's "replace file" does) and takes the new bytes, type, access and ttl.
      Object.assign(sameName, {
        bytes: input.bytes,
        contentType: input.contentType,
        encoding: input.encoding,
        access: input.access,
        md5,
        sha256: sha256Of(input.bytes),
        updatedAt: now,
        expiresAt: input.ttlMs === undefined ? undefined : now + input.ttlMs,
      });
      return { file: sameName, outcome: 'overwritten' };
    }
    // Assumption (undocumented): without `overwrite`, a taken name gets a numeric suffix (`cat-1.png`), as the
    // files tool does for a second upload of the same name.
    let name = input.name;
    for (let suffix = 1; this.livePath(`${target.path}/${fileName(name)}`); suffix += 1) {
      if (suffix > MAX_NAME_SUFFIX) throw HubSpotApiError.validation(`Too many files named ${fileName(input.name)}.`);
      name = `${input.name}-${suffix}`;
    }
    const file: StoredFile = {
      id: String(this.nextFileId),
      name,
      extension: input.extension,
      folderId: folder?.id,
      folderPath: target.path,
      path: `${target.path}/${fileName(name)}`,
      access: input.access,
      contentType: input.contentType,
      encoding: input.encoding,
      bytes: input.bytes,
      md5,
      sha256: sha256Of(input.bytes),
      createdAt: now,
      updatedAt: now,
      expiresAt: input.ttlMs === undefined ? undefined : now + input.ttlMs,
      archivedAt: undefined,
    };
    this.nextFileId += 1;
    this.filesById.set(file.id, file);
    this.filesByPath.set(file.path, file.id);
    return { file, outcome: 'created' };
  }

  /** A live file (not archived, not past its ttl). */
  get(id: string): StoredFile | undefined {
    this.sweepExpired(this.clock());
    const file = this.filesById.get(id);
    return file && file.archivedAt === undefined ? file : undefined;
  }

  /** The live file at a path (`/library/cat_archive/cat.png`). */
  byPath(path: string): StoredFile | undefined {
    this.sweepExpired(this.clock());
    return this.livePath(path);
  }

  /** Live files in id (upload) order. */
  live(): StoredFile[] {
    this.sweepExpired(this.clock());
    return [...this.filesById.values()].filter((file) => file.archivedAt === undefined);
  }

  /**
   * `DELETE /files/v3/files/{fileId}`. Assumption: an archived file is gone for the API (404) and its URL; its
   * bytes are let go, its record stays for the test reads.
   */
  archive(id: string): boolean {
    const file = this.get(id);
    if (!file) return false;
    const now = this.clock();
    file.archivedAt = now;
    file.updatedAt = now;
    file.bytes = Buffer.alloc(0);
    this.filesByPath.delete(file.path);
    return true;
  }

  folder(id: string): StoredFolder | undefined {
    return this.foldersById.get(id);
  }

  urlOf(file: StoredFile): string {
    const segments = file.path.split('/').filter(Boolean).map(encodeURIComponent);
    return `${this.hosting.baseUrl}/hubfs/${this.hosting.portalId}/${segments.join('/')}`;
  }

  /** The signed URL's query: an expiry (epoch ms) and an HMAC over the file and that expiry. */
  signedUrl(file: StoredFile, expiresAt: number): string {
    const url = new URL(this.urlOf(file));
    url.searchParams.set('expires', String(expiresAt));
    url.searchParams.set('signature', this.signature(file, expiresAt));
    return url.toString();
  }

  /** Whether `expires`/`signature` from a URL's query open `file` now. */
  verifySignature(file: StoredFile, expires: string | null, signature: string | null): boolean {
    if (expires === null || signature === null || !/^\d{1,16}$/.test(expires)) return false;
    const expiresAt = Number(expires);
    if (this.clock() >= expiresAt) return false;
    const expected = Buffer.from(this.signature(file, expiresAt));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  snapshot(): { files: SnapshotFile[]; folders: SnapshotFolder[] } {
    this.sweepExpired(this.clock());
    return {
      files: [...this.filesById.values()].map((file) => this.snapshotFile(file)),
      folders: [...this.foldersById.values()].map((folder) => ({
        id: folder.id,
        name: folder.name,
        path: folder.path,
        parentFolderId: folder.parentFolderId ?? null,
      })),
    };
  }

  snapshotFile(file: StoredFile): SnapshotFile {
    return {
      id: file.id,
      name: file.name,
      extension: file.extension,
      path: file.path,
      folderId: file.folderId ?? null,
      access: file.access,
      size: file.bytes.length,
      contentType: file.contentType,
      md5: file.md5,
      sha256: file.sha256,
      url: this.urlOf(file),
      createdAt: new Date(file.createdAt).toISOString(),
      updatedAt: new Date(file.updatedAt).toISOString(),
      expiresAt: file.expiresAt === undefined ? null : new Date(file.expiresAt).toISOString(),
      archived: file.archivedAt !== undefined,
    };
  }

  liveCount(): number {
    return this.live().length;
  }

  private signature(file: StoredFile, expiresAt: number): string {
    return createHmac('sha256', this.signingKey).update(`${file.id}\n${file.path}\n${expiresAt}`).digest('base64url');
  }

  private livePath(path: string): StoredFile | undefined {
    const id = this.filesByPath.get(path);
    return id === undefined ? undefined : this.filesById.get(id);
  }

  private findDuplicate(md5: string, scope: DuplicateValidationScope, folderPath: string): StoredFile | undefined {
    for (const id of this.filesByPath.values()) {
      const file = this.filesById.get(id);
      if (file && file.md5 === md5 && (scope === 'ENTIRE_PORTAL' || file.folderPath === folderPath)) return file;
    }
    return undefined;
  }

  /** The target folder's path, and the folder when it exists already (a path's folders are created on upload). */
  private resolveFolder(folder: FileUploadInput['folder']): { path: string; folder: StoredFolder | undefined } {
    if ('id' in folder) {
      const found = this.foldersById.get(folder.id);
      // Assumption: an unknown folderId is a 400 naming it (HubSpot's status is not documented).
      if (!found) throw HubSpotApiError.validation(`Folder ${folder.id} does not exist (folderId).`);
      return { path: found.path, folder: found };
    }
    const path = normalizeFolderPath(folder.path);
    return { path, folder: path === '' ? undefined : this.foldersByPath.get(path) };
  }

  /**
   * "If a path doesn't exist, the system will try to create one"
   * (https://developers.hubspot.com/docs/api-reference/files-files-v3/files/post-files-v3-files). `''` is the root,
   * which has no folder record.
   */
  private ensureFolder(path: string, now: number): StoredFolder | undefined {
    let parent: StoredFolder | undefined;
    let current = '';
    for (const name of path.split('/').filter(Boolean)) {
      current = `${current}/${name}`;
      let folder = this.foldersByPath.get(current);
      if (!folder) {
        folder = {
          id: String(this.nextFolderId),
          name,
          path: current,
          parentFolderId: parent?.id,
          createdAt: now,
          updatedAt: now,
        };
        this.nextFolderId += 1;
        this.foldersById.set(folder.id, folder);
        this.foldersByPath.set(folder.path, folder);
      }
      parent = folder;
    }
    return parent;
  }

  /** "After the set period, the file will be permanently deleted" (ttl, Files guide): gone from every read. */
  private sweepExpired(now: number): void {
    for (const [id, file] of this.filesById) {
      if (file.expiresAt === undefined || now < file.expiresAt) continue;
      this.filesById.delete(id);
      if (this.filesByPath.get(file.path) === id) this.filesByPath.delete(file.path);
    }
  }
}

/**
 * `/library/cat_archive`, `library/cat_archive/` and `//library//cat_archive` name the same folder; `/` and `''`
 * the root. Assumption: `.` and `..` segments are refused rather than resolved.
 */
export function normalizeFolderPath(raw: string): string {
  const segments = raw.split('/').filter(Boolean);
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    throw HubSpotApiError.validation(`Invalid folderPath "${raw}": "." and ".." are not folder names.`);
  }
  return segments.length === 0 ? '' : `/${segments.join('/')}`;
}

function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
