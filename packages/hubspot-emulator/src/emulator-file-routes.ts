/**
 * HubSpot's Files API, as the connector uses it to keep call recordings: `POST /files/v3/files` (multipart upload),
 * `GET /files/v3/files/{fileId}`, `GET /files/v3/files/search`, `GET /files/v3/files/{fileId}/signed-url` and
 * `DELETE /files/v3/files/{fileId}`, also served at `/files/{version}/files…` (2026-03, 2026-09). All need the
 * `files` scope (hubspot.md, "Files"; https://developers.hubspot.com/docs/api-reference/legacy/files/guide lists
 * `files`). Guide: https://developers.hubspot.com/docs/api-reference/files-files-v3/guide.
 */
import { createHash } from 'node:crypto';
import { HubSpotApiError } from './emulator-error.js';
import {
  DUPLICATE_VALIDATION_SCOPES,
  DUPLICATE_VALIDATION_STRATEGIES,
  FILE_ACCESS_LEVELS,
  isFileAccess,
  isHidden,
  type DuplicateValidationScope,
  type DuplicateValidationStrategy,
  type FileStore,
  type FileUploadInput,
  type StoredFile,
} from './emulator-file-store.js';
import { readMultipartUpload, type MultipartUpload } from './emulator-multipart.js';
import type { EmulatorRateLimiter } from './emulator-rate-limiter.js';
import type { Route } from './emulator-router.js';

const filesScope = (): string => 'files';

/** Files search: "Number of items to return. Maximum limit is 100" (Files v3 spec, `limit`); the default is assumed. */
const SEARCH_DEFAULT_LIMIT = 10;
const SEARCH_MAX_LIMIT = 100;
/** "The maximum offset of items for a given search is 10,000" (Files v3 spec, `after`). */
const SEARCH_MAX_OFFSET = 10_000;

/**
 * `expirationSeconds` of a signed URL: "Default is 1 hour (3600 seconds). Maximum is 6 hours (21600 seconds)",
 * as Pipedream's HubSpot action documents it (https://pipedream.com/apps/hubspot/actions/get-file-public-url;
 * HubSpot's own reference only says "How long in seconds the link will provide access to the file",
 * https://developers.hubspot.com/docs/api-reference/files-files-v3/files/get-files-v3-files-fileId-signed-url).
 * Assumption: a longer time is refused with 400 rather than shortened.
 */
const SIGNED_URL_DEFAULT_SECONDS = 3600;
const SIGNED_URL_MAX_SECONDS = 21_600;

const DAY_MS = 24 * 60 * 60 * 1000;
/** ttl: "The minimum period that must be set is 1 day. The maximum period that can be set is 1 year" (Files guide). */
const TTL_MIN_MS = DAY_MS;
const TTL_MAX_MS = 365 * DAY_MS;

export function fileRoutes(files: FileStore, limits: Pick<EmulatorRateLimiter, 'limit'>, clock: () => number): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/files/v3/files',
      limitClass: 'standard',
      scope: filesScope,
      readBody: (req) => readMultipartUpload(req, limits.limit('fileUploadMaxBytes')),
      handle: ({ body }) => {
        const { file } = files.upload(parseUpload(body));
        return { status: 201, body: presentFile(files, file) };
      },
    },
    {
      // Before `/files/v3/files/:fileId`, which would otherwise take "search" for an id.
      method: 'GET',
      pattern: '/files/v3/files/search',
      limitClass: 'standard',
      scope: filesScope,
      handle: ({ query, origin, path }) => searchFiles(files, query, origin, path),
    },
    {
      method: 'GET',
      pattern: '/files/v3/files/:fileId',
      limitClass: 'standard',
      scope: filesScope,
      handle: ({ params }) => ({ status: 200, body: presentFile(files, requireFile(files, params.fileId)) }),
    },
    {
      method: 'DELETE',
      pattern: '/files/v3/files/:fileId',
      limitClass: 'standard',
      scope: filesScope,
      handle: ({ params }) => {
        const file = requireFile(files, params.fileId);
        files.archive(file.id);
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      pattern: '/files/v3/files/:fileId/signed-url',
      limitClass: 'standard',
      scope: filesScope,
      handle: ({ params, query }) => {
        const file = requireFile(files, params.fileId);
        const seconds = parseExpirationSeconds(query.get('expirationSeconds'));
        const expiresAt = clock() + seconds * 1000;
        // The SignedUrl shape: url, expiresAt, name, extension, type, size (height and width for images only).
        return {
          status: 200,
          body: {
            url: files.signedUrl(file, expiresAt),
            expiresAt: new Date(expiresAt).toISOString(),
            name: file.name,
            extension: file.extension,
            type: fileTypeOf(file),
            size: file.bytes.length,
          },
        };
      },
    },
  ];
}

/** HubSpot's File shape (Files v3 spec, `File`); `id` and `parentFolderId` are strings. */
export function presentFile(files: FileStore, file: StoredFile): Record<string, unknown> {
  const url = files.urlOf(file);
  const body: Record<string, unknown> = {
    id: file.id,
    createdAt: new Date(file.createdAt).toISOString(),
    updatedAt: new Date(file.updatedAt).toISOString(),
    archived: false,
    name: file.name,
    path: file.path,
    size: file.bytes.length,
    type: fileTypeOf(file),
    extension: file.extension,
    access: file.access,
    // Assumption: files uploaded through the API are usable in content unless marked otherwise later.
    isUsableInContent: true,
    url,
    // The account has no connected file domain, so HubSpot's own hosting URL is the file's URL.
    defaultHostingUrl: url,
    fileMd5: file.md5,
  };
  if (file.folderId !== undefined) body.parentFolderId = file.folderId;
  if (file.encoding !== undefined) body.encoding = file.encoding;
  if (file.expiresAt !== undefined) body.expiresAt = file.expiresAt;
  return body;
}

/** "Type of the file. Can be IMG, DOCUMENT, AUDIO, MOVIE, or OTHER" (Files v3 spec, `File.type`); by extension. */
export function fileTypeOf(file: Pick<StoredFile, 'extension' | 'contentType'>): string {
  const extension = file.extension.toLowerCase();
  if (AUDIO_EXTENSIONS.has(extension)) return 'AUDIO';
  if (MOVIE_EXTENSIONS.has(extension)) return 'MOVIE';
  if (IMAGE_EXTENSIONS.has(extension)) return 'IMG';
  if (DOCUMENT_EXTENSIONS.has(extension)) return 'DOCUMENT';
  // Assumption: an unknown extension falls back on the uploaded Content-Type.
  if (file.contentType.startsWith('audio/')) return 'AUDIO';
  if (file.contentType.startsWith('video/')) return 'MOVIE';
  if (file.contentType.startsWith('image/')) return 'IMG';
  return 'OTHER';
}

const AUDIO_EXTENSIONS = new Set(['mp3', 'wav', 'm4a', 'aac', 'ogg', 'oga', 'opus', 'flac', 'wma', 'aif', 'aiff']);
const MOVIE_EXTENSIONS = new Set(['mp4', 'mov', 'avi', 'wmv', 'mkv', 'webm', 'mpg', 'mpeg', 'm4v', 'flv']);
const IMAGE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'bmp', 'svg', 'webp', 'tif', 'tiff', 'ico']);
const DOCUMENT_EXTENSIONS = new Set(['pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'txt', 'csv', 'rtf', 'odt']);

/** For a file name without an extension: the one its Content-Type implies (assumption, as HubSpot's is unknown). */
const EXTENSION_BY_CONTENT_TYPE: ReadonlyMap<string, string> = new Map([
  ['audio/mpeg', 'mp3'],
  ['audio/mp3', 'mp3'],
  ['audio/wav', 'wav'],
  ['audio/x-wav', 'wav'],
  ['audio/wave', 'wav'],
  ['audio/mp4', 'm4a'],
  ['audio/x-m4a', 'm4a'],
  ['audio/ogg', 'ogg'],
  ['audio/webm', 'webm'],
  ['video/mp4', 'mp4'],
  ['image/png', 'png'],
  ['image/jpeg', 'jpg'],
  ['application/pdf', 'pdf'],
  ['text/plain', 'txt'],
]);

function requireFile(files: FileStore, id: string | undefined): StoredFile {
  const file = id === undefined ? undefined : files.get(id);
  // Assumption: HubSpot's wording for a missing file is not documented; the category is OBJECT_NOT_FOUND.
  if (!file) throw HubSpotApiError.notFound(`File ${id ?? ''} was not found.`);
  return file;
}

function isMultipartUpload(body: unknown): body is MultipartUpload {
  return typeof body === 'object' && body !== null && (body as MultipartUpload).fields instanceof Map;
}

/** The multipart fields of an upload, checked as HubSpot documents them. */
function parseUpload(body: unknown): FileUploadInput {
  if (!isMultipartUpload(body)) throw HubSpotApiError.validation('Expected a multipart/form-data body.');
  const { fields, file } = body;
  if (!file) throw HubSpotApiError.validation('Missing file: the multipart part "file" is required.');
  // "Multiple files cannot be uploaded with a single request" (https://developers.hubspot.com/docs/api/files/files).
  if (body.fileParts > 1) throw HubSpotApiError.validation('Only one file can be uploaded per request.');
  const options = parseOptions(fields.get('options'));

  // "Either this field or folderPath must be provided in your request (but not both)" (Files guide).
  const folderId = nonEmpty(fields.get('folderId'));
  const folderPath = fields.get('folderPath');
  if (folderId !== undefined && folderPath !== undefined) {
    throw HubSpotApiError.validation('Provide either folderId or folderPath, not both.');
  }
  if (folderId === undefined && folderPath === undefined) {
    throw HubSpotApiError.validation('Either folderId or folderPath is required.');
  }
  if (folderId !== undefined && !/^\d+$/.test(folderId)) {
    throw HubSpotApiError.validation(`Invalid folderId "${folderId}": expected a numeric folder id.`);
  }

  const { name, extension } = nameOf(fields.get('fileName'), file.filename, file.mimeType, file.bytes);
  const charset = nonEmpty(fields.get('charsetHunch'));
  return {
    bytes: file.bytes,
    contentType: file.mimeType,
    encoding: charset,
    name,
    extension,
    folder: folderId !== undefined ? { id: folderId } : { path: folderPath ?? '' },
    ...options,
  };
}

type UploadOptions = Pick<
  FileUploadInput,
  'access' | 'ttlMs' | 'overwrite' | 'duplicateValidationStrategy' | 'duplicateValidationScope'
>;

/**
 * `options`, "a JSON object that controls the file's privacy and indexability … `access`, which is required, and
 * `ttl`" (Files guide), plus `overwrite`, `duplicateValidationStrategy` and `duplicateValidationScope`
 * (https://developers.hubspot.com/docs/api/files/files). "Any requests without this access field will return an
 * error" (https://developers.hubspot.com/changelog/updates-for-the-cms-files-api). Assumptions: the duplicate
 * settings are optional on upload (NONE, ENTIRE_PORTAL), `overwrite` defaults to false, unknown keys are ignored.
 */
function parseOptions(raw: string | undefined): UploadOptions {
  const accessList = FILE_ACCESS_LEVELS.join(', ');
  if (raw === undefined || raw.trim() === '') {
    throw HubSpotApiError.validation(
      `Missing options: a JSON object with "access" (one of ${accessList}) is required.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw HubSpotApiError.validation(`options is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw HubSpotApiError.validation('options must be a JSON object like {"access":"PRIVATE"}.');
  }
  const options = parsed as Record<string, unknown>;
  const access = options.access;
  if (access === undefined || access === null) {
    throw HubSpotApiError.validation(`options.access is required (one of ${accessList}).`);
  }
  if (typeof access !== 'string' || !isFileAccess(access)) {
    throw HubSpotApiError.validation(
      `Invalid options.access ${JSON.stringify(access)}: expected one of ${accessList}.`,
    );
  }
  const overwrite = options.overwrite ?? false;
  if (typeof overwrite !== 'boolean') throw HubSpotApiError.validation('options.overwrite must be true or false.');
  return {
    access,
    ttlMs: options.ttl === undefined || options.ttl === null ? undefined : parseTtl(options.ttl),
    overwrite,
    duplicateValidationStrategy: oneOf(
      options.duplicateValidationStrategy,
      DUPLICATE_VALIDATION_STRATEGIES,
      'NONE',
      'options.duplicateValidationStrategy',
    ) as DuplicateValidationStrategy,
    duplicateValidationScope: oneOf(
      options.duplicateValidationScope,
      DUPLICATE_VALIDATION_SCOPES,
      'ENTIRE_PORTAL',
      'options.duplicateValidationScope',
    ) as DuplicateValidationScope,
  };
}

function oneOf(value: unknown, allowed: readonly string[], fallback: string, name: string): string {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string' && allowed.includes(value)) return value;
  throw HubSpotApiError.validation(`Invalid ${name} ${JSON.stringify(value)}: expected one of ${allowed.join(', ')}.`);
}

const ISO_DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/**
 * `ttl` is an ISO 8601 period (`P3M`, `P1D`; the spec says "Time to live"). Assumption: a year counts 365 days and
 * a month 30 when checking the documented bounds of 1 day to 1 year.
 */
function parseTtl(value: unknown): number {
  const match = typeof value === 'string' ? ISO_DURATION.exec(value) : null;
  if (!match || value === 'P' || value === 'PT' || String(value).endsWith('T')) {
    throw HubSpotApiError.validation(
      `Invalid options.ttl ${JSON.stringify(value)}: expected an ISO 8601 period like P30D.`,
    );
  }
  const [years, months, weeks, days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0));
  const ms =
    (years ?? 0) * 365 * DAY_MS +
    (months ?? 0) * 30 * DAY_MS +
    (weeks ?? 0) * 7 * DAY_MS +
    (days ?? 0) * DAY_MS +
    ((hours ?? 0) * 3600 + (minutes ?? 0) * 60 + (seconds ?? 0)) * 1000;
  if (ms < TTL_MIN_MS || ms > TTL_MAX_MS) {
    throw HubSpotApiError.validation(
      `Invalid options.ttl ${JSON.stringify(value)}: it must be between 1 day and 1 year.`,
    );
  }
  return ms;
}

/**
 * The file's name and extension: from `fileName` ("Desired name for the uploaded file") or else the part's file
 * name; "If no name is specified, a name will be generated from the file's content" (Files guide), here from its
 * MD5. Assumption: a name without an extension takes the part's, or the one its Content-Type implies.
 */
function nameOf(
  fileName: string | undefined,
  partName: string,
  contentType: string,
  bytes: Buffer,
): { name: string; extension: string } {
  const requested = nonEmpty(fileName?.trim()) ?? nonEmpty(partName.trim());
  if (requested !== undefined && /[/\\]/.test(requested)) {
    throw HubSpotApiError.validation(`Invalid fileName "${requested}": a file name cannot contain "/" or "\\".`);
  }
  const own = requested === undefined ? undefined : splitExtension(requested);
  const fromPart = splitExtension(partName.trim()).extension;
  const extension = own?.extension || fromPart || (EXTENSION_BY_CONTENT_TYPE.get(contentType.toLowerCase()) ?? '');
  const name = own?.name || `file-${createHash('md5').update(bytes).digest('hex').slice(0, 12)}`;
  return { name, extension: extension.toLowerCase() };
}

function splitExtension(fileName: string): { name: string; extension: string } {
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0 || dot === fileName.length - 1) return { name: fileName, extension: '' };
  return { name: fileName.slice(0, dot), extension: fileName.slice(dot + 1) };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

type SortKey = 'id' | 'name' | 'path' | 'size' | 'createdAt' | 'updatedAt';
const SORT_KEYS: readonly SortKey[] = ['id', 'name', 'path', 'size', 'createdAt', 'updatedAt'];

/**
 * `GET /files/v3/files/search`: "Search through files in the file manager. Does not display hidden or archived
 * files" (Files v3 spec). Filters modelled: `name` ("files containing the given name"; assumption: case-insensitive,
 * on the name without its extension), `path` (exact), `parentFolderIds` and `ids` (repeated parameters, as
 * `@hubspot/api-client` 13.5 sends them: `parentFolderIds=1&parentFolderIds=2`), `extension`, `type`, `fileMd5`;
 * `limit`, `after` (an offset) and `sort` (`name` or `-name`, also id, path, size, createdAt, updatedAt; assumption:
 * id order by default). Other documented filters are ignored.
 */
function searchFiles(
  files: FileStore,
  query: URLSearchParams,
  origin: string,
  path: string,
): { status: number; body: unknown } {
  const limit = parseSearchLimit(query.get('limit'));
  const offset = parseOffset(query.get('after'));
  const name = query.get('name')?.toLowerCase();
  const exactPath = query.get('path');
  const parentFolderIds = numericIds(query.getAll('parentFolderIds'), 'parentFolderIds');
  const ids = numericIds(query.getAll('ids'), 'ids');
  const extension = query.get('extension')?.toLowerCase();
  const type = query.get('type');
  const fileMd5 = query.get('fileMd5');
  const sort = parseSort(query.getAll('sort'));

  const matches = files
    .live()
    .filter(
      (file) =>
        !isHidden(file.access) &&
        (name === undefined || file.name.toLowerCase().includes(name)) &&
        (exactPath === null || file.path === exactPath) &&
        (parentFolderIds === undefined || (file.folderId !== undefined && parentFolderIds.has(file.folderId))) &&
        (ids === undefined || ids.has(file.id)) &&
        (extension === undefined || file.extension.toLowerCase() === extension) &&
        (type === null || fileTypeOf(file) === type) &&
        (fileMd5 === null || file.md5 === fileMd5),
    );
  if (sort) matches.sort(sort);
  const page = matches.slice(offset, offset + limit);
  const response: Record<string, unknown> = { results: page.map((file) => presentFile(files, file)) };
  if (offset + limit < matches.length) {
    const after = String(offset + limit);
    const link = new URL(path, origin);
    for (const [key, value] of query) if (key !== 'after') link.searchParams.append(key, value);
    link.searchParams.set('after', after);
    response.paging = { next: { after, link: link.toString() } };
  }
  return { status: 200, body: response };
}

function parseSearchLimit(raw: string | null): number {
  if (raw === null || raw === '') return SEARCH_DEFAULT_LIMIT;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1) throw HubSpotApiError.validation(`Invalid "limit": ${raw}`);
  return Math.min(limit, SEARCH_MAX_LIMIT);
}

function parseOffset(raw: string | null): number {
  if (raw === null || raw === '') return 0;
  if (!/^\d+$/.test(raw)) throw HubSpotApiError.validation(`Invalid "after": ${raw}`);
  const offset = Number(raw);
  if (offset > SEARCH_MAX_OFFSET) {
    throw HubSpotApiError.validation(
      `The maximum offset of items for a given search is ${SEARCH_MAX_OFFSET}. Narrow your search down.`,
    );
  }
  return offset;
}

/** Assumption: a value that is not an integer id (a comma-separated list, say) is a 400, as int64 parsing fails. */
function numericIds(values: string[], name: string): Set<string> | undefined {
  if (values.length === 0) return undefined;
  for (const value of values) {
    if (!/^\d+$/.test(value)) throw HubSpotApiError.validation(`Invalid "${name}": ${value} is not an integer id.`);
  }
  return new Set(values);
}

function parseSort(values: string[]): ((a: StoredFile, b: StoredFile) => number) | undefined {
  const raw = values[0];
  if (raw === undefined || raw === '') return undefined;
  const descending = raw.startsWith('-');
  const key = (descending ? raw.slice(1) : raw) as SortKey;
  if (!SORT_KEYS.includes(key)) {
    throw HubSpotApiError.validation(`Invalid "sort": ${raw} (sortable: ${SORT_KEYS.join(', ')}, "-" for descending).`);
  }
  const valueOf = (file: StoredFile): string | number => {
    switch (key) {
      case 'id':
        return Number(file.id);
      case 'size':
        return file.bytes.length;
      case 'createdAt':
        return file.createdAt;
      case 'updatedAt':
        return file.updatedAt;
      case 'name':
        return file.name.toLowerCase();
      case 'path':
        return file.path.toLowerCase();
    }
  };
  return (a, b) => {
    const left = valueOf(a);
    const right = valueOf(b);
    const order = left < right ? -1 : left > right ? 1 : 0;
    // Ties keep upload order whichever the direction, so that pages do not overlap.
    return order === 0 ? Number(a.id) - Number(b.id) : descending ? -order : order;
  };
}

function parseExpirationSeconds(raw: string | null): number {
  if (raw === null || raw === '') return SIGNED_URL_DEFAULT_SECONDS;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > SIGNED_URL_MAX_SECONDS) {
    throw HubSpotApiError.validation(
      `Invalid "expirationSeconds": ${raw} (a whole number of seconds from 1 to ${SIGNED_URL_MAX_SECONDS}).`,
    );
  }
  return seconds;
}
