import { createHash } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import FormDataStream from 'form-data';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorFilesCertificate } from '../src/hubspot-emulator.js';
import { startEmulator, TEST_TOKEN, type EmulatorHarness } from './emulator-harness.js';

const START = Date.parse('2026-11-30T10:00:00.000Z');
const PORTAL_ID = 12_345_678;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

interface Download {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bytes: Buffer;
}

interface UploadInput {
  file?: { bytes: Buffer; filename: string; type: string };
  fields?: Record<string, string>;
  version?: string;
  token?: string;
}

/** A recording-like payload: distinct bytes per seed, so that content-based duplicate checks can tell them apart. */
function audio(seed: string, size = 2048): Buffer {
  const bytes = Buffer.alloc(size);
  for (let index = 0; index < size; index += 1)
    bytes[index] = (index * 31 + seed.charCodeAt(index % seed.length)) % 256;
  return bytes;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const md5 = (bytes: Buffer): string => createHash('md5').update(bytes).digest('hex');
const options = (value: Record<string, unknown>): string => JSON.stringify(value);

/** GET over HTTPS, trusting only the emulator's test certificate (as a connector test would). */
function download(url: string): Promise<Download> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca: emulatorFilesCertificate(), timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('download timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('HubSpot emulator: files', () => {
  let harness: EmulatorHarness;
  let now = START;

  beforeAll(async () => {
    harness = await startEmulator({ clock: () => now });
  });
  afterAll(async () => {
    await harness.emulator.close();
  });
  beforeEach(() => {
    now = START;
    harness.emulator.reset();
  });

  /** A multipart upload with fetch's own FormData (undici), as a plain HTTP client sends it. */
  async function upload(input: UploadInput): Promise<Answer> {
    const form = new FormData();
    if (input.file) {
      form.append('file', new Blob([input.file.bytes], { type: input.file.type }), input.file.filename);
    }
    for (const [name, value] of Object.entries(input.fields ?? {})) form.append(name, value);
    const response = await fetch(`${harness.emulator.url}/files/${input.version ?? '2026-09'}/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${input.token ?? TEST_TOKEN}` },
      body: form,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  }

  const recording = (seed: string, fields: Record<string, string>, filename = `${seed}.mp3`): UploadInput => ({
    file: { bytes: audio(seed), filename, type: 'audio/mpeg' },
    fields,
  });

  async function get(path: string): Promise<Answer> {
    const answer = await harness.request(path);
    return { status: answer.status, headers: answer.headers, body: (answer.body ?? {}) as Record<string, unknown> };
  }

  it('uploads on the 2026-09, 2026-03 and v3 paths and answers 201 with HubSpot’s File shape', async () => {
    for (const version of ['2026-09', '2026-03', 'v3']) {
      const bytes = audio(version);
      const answer = await upload({
        version,
        file: { bytes, filename: `call-${version}.mp3`, type: 'audio/mpeg' },
        fields: { folderPath: '/recordings/calls', options: options({ access: 'PUBLIC_NOT_INDEXABLE' }) },
      });
      expect(answer.status).toBe(201);
      const file = answer.body;
      expect(file).toMatchObject({
        id: expect.stringMatching(/^\d+$/),
        name: `call-${version}`,
        extension: 'mp3',
        path: `/recordings/calls/call-${version}.mp3`,
        parentFolderId: expect.stringMatching(/^\d+$/),
        size: bytes.length,
        type: 'AUDIO',
        access: 'PUBLIC_NOT_INDEXABLE',
        archived: false,
        isUsableInContent: true,
        fileMd5: md5(bytes),
        createdAt: '2026-11-30T10:00:00.000Z',
        updatedAt: '2026-11-30T10:00:00.000Z',
      });
      const url = `${harness.emulator.filesUrl}/hubfs/${PORTAL_ID}/recordings/calls/call-${version}.mp3`;
      expect(file.url).toBe(url);
      expect(file.defaultHostingUrl).toBe(url);
      expect(String(file.url)).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/hubfs\//);
      expect(answer.headers.get('x-hubspot-ratelimit-max')).toBe('100');

      const read = await get(`/files/${version}/files/${String(file.id)}`);
      expect(read.status).toBe(200);
      expect(read.body).toEqual(file);
    }
    expect(harness.emulator.files().map((file) => file.name)).toEqual(['call-2026-09', 'call-2026-03', 'call-v3']);
    expect(harness.emulator.requestLog.map((entry) => entry.endpoint)).toEqual([
      'POST /files/2026-09/files',
      'GET /files/2026-09/files/{fileId}',
      'POST /files/2026-03/files',
      'GET /files/2026-03/files/{fileId}',
      'POST /files/v3/files',
      'GET /files/v3/files/{fileId}',
    ]);
  });

  it('creates the folders of a folderPath as needed, reuses them, and takes a folderId', async () => {
    const first = await upload(recording('a', { folderPath: 'calls/2026/', options: options({ access: 'PRIVATE' }) }));
    expect(first.status).toBe(201);
    const folders = harness.emulator.fileFolders();
    expect(folders.map(({ name, path }) => ({ name, path }))).toEqual([
      { name: 'calls', path: '/calls' },
      { name: '2026', path: '/calls/2026' },
    ]);
    expect(folders[1]?.parentFolderId).toBe(folders[0]?.id);
    expect(first.body.parentFolderId).toBe(folders[1]?.id);

    const second = await upload(recording('b', { folderPath: '/calls/2026', options: options({ access: 'PRIVATE' }) }));
    const third = await upload(
      recording('c', { folderId: String(folders[0]?.id), options: options({ access: 'PRIVATE' }) }),
    );
    expect(second.body.parentFolderId).toBe(folders[1]?.id);
    expect(third.body).toMatchObject({ parentFolderId: folders[0]?.id, path: '/calls/c.mp3' });
    expect(harness.emulator.fileFolders()).toHaveLength(2);

    const both = await upload(
      recording('d', {
        folderId: String(folders[0]?.id),
        folderPath: '/calls',
        options: options({ access: 'PRIVATE' }),
      }),
    );
    const neither = await upload(recording('e', { options: options({ access: 'PRIVATE' }) }));
    const unknownFolder = await upload(recording('f', { folderId: '999', options: options({ access: 'PRIVATE' }) }));
    for (const refused of [both, neither, unknownFolder]) {
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
      expect(String(refused.body.message)).toMatch(/folder/i);
    }
    expect(harness.emulator.files()).toHaveLength(3);
  });

  it('searches by name within folders (parentFolderIds repeated), by path, with limit and after', async () => {
    const access = options({ access: 'PUBLIC_NOT_INDEXABLE' });
    await upload(recording('call-1', { folderPath: '/calls/alpha', options: access }));
    await upload(recording('call-2', { folderPath: '/calls/alpha', options: access }));
    await upload(recording('other', { folderPath: '/calls/alpha', options: access }));
    await upload(recording('call-1b', { folderPath: '/calls/beta', options: access }, 'call-1.mp3'));
    await upload(
      recording('hidden-call', { folderPath: '/calls/alpha', options: options({ access: 'HIDDEN_PRIVATE' }) }),
    );
    const [alpha, beta] = harness.emulator.fileFolders().filter((folder) => folder.path !== '/calls');

    const inAlpha = await get(`/files/2026-09/files/search?name=CALL&parentFolderIds=${String(alpha?.id)}`);
    expect(inAlpha.status).toBe(200);
    const names = (body: Record<string, unknown>) => (body.results as { path: string }[]).map((file) => file.path);
    expect(names(inAlpha.body)).toEqual(['/calls/alpha/call-1.mp3', '/calls/alpha/call-2.mp3']);
    expect(inAlpha.body.paging).toBeUndefined();

    const both = await get(
      `/files/v3/files/search?name=call-1&parentFolderIds=${String(alpha?.id)}&parentFolderIds=${String(beta?.id)}`,
    );
    expect(names(both.body)).toEqual(['/calls/alpha/call-1.mp3', '/calls/beta/call-1.mp3']);

    const byPath = await get(`/files/2026-03/files/search?path=${encodeURIComponent('/calls/beta/call-1.mp3')}`);
    expect(names(byPath.body)).toEqual(['/calls/beta/call-1.mp3']);

    const firstPage = await get('/files/2026-09/files/search?limit=2&sort=-name');
    expect(names(firstPage.body)).toEqual(['/calls/alpha/other.mp3', '/calls/alpha/call-2.mp3']);
    const paging = firstPage.body.paging as { next: { after: string; link: string } };
    expect(paging.next.after).toBe('2');
    expect(paging.next.link).toContain('/files/2026-09/files/search?');
    const secondPage = await get(`/files/2026-09/files/search?limit=2&sort=-name&after=${paging.next.after}`);
    expect(names(secondPage.body)).toEqual(['/calls/alpha/call-1.mp3', '/calls/beta/call-1.mp3']);
    expect(secondPage.body.paging).toBeUndefined();

    const commaList = await get(`/files/2026-09/files/search?parentFolderIds=${String(alpha?.id)},${String(beta?.id)}`);
    expect(commaList.status).toBe(400);
    expect(commaList.body.category).toBe('VALIDATION_ERROR');
  });

  it('answers 404 OBJECT_NOT_FOUND for an unknown file, archives with DELETE and stops serving it', async () => {
    const missing = await get('/files/2026-09/files/123');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      status: 'error',
      category: 'OBJECT_NOT_FOUND',
      correlationId: expect.any(String),
    });

    const created = await upload(
      recording('gone', { folderPath: '/calls', options: options({ access: 'PUBLIC_INDEXABLE' }) }),
    );
    const id = String(created.body.id);
    expect((await download(String(created.body.url))).status).toBe(200);
    const deleted = await harness.request(`/files/2026-09/files/${id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect((await get(`/files/2026-09/files/${id}`)).status).toBe(404);
    expect((await download(String(created.body.url))).status).toBe(404);
    expect(harness.emulator.files()).toEqual([expect.objectContaining({ id, archived: true, size: 0 })]);
    expect(harness.emulator.state.files).toBe(0);
  });

  it('serves a public file at its https URL with the uploaded bytes, type and noindex when not indexable', async () => {
    const bytes = audio('public', 50_000);
    const notIndexable = await upload({
      file: { bytes, filename: 'public.mp3', type: 'audio/mpeg' },
      fields: { folderPath: '/calls', options: options({ access: 'PUBLIC_NOT_INDEXABLE' }) },
    });
    const served = await download(String(notIndexable.body.url));
    expect(served.status).toBe(200);
    expect(sha256(served.bytes)).toBe(sha256(bytes));
    expect(served.headers['content-type']).toBe('audio/mpeg');
    expect(served.headers['content-length']).toBe(String(bytes.length));
    expect(served.headers['x-robots-tag']).toBe('noindex');
    expect(harness.emulator.files()[0]?.sha256).toBe(sha256(bytes));

    const indexable = await upload({
      file: { bytes: audio('indexable'), filename: 'page.wav', type: 'audio/wav' },
      fields: { folderPath: '/calls', options: options({ access: 'PUBLIC_INDEXABLE' }) },
    });
    const servedIndexable = await download(String(indexable.body.url));
    expect(servedIndexable.status).toBe(200);
    expect(servedIndexable.headers['content-type']).toBe('audio/wav');
    expect(servedIndexable.headers['x-robots-tag']).toBeUndefined();
  });

  it('refuses a private file at its plain URL and serves it through a signed URL until that expires', async () => {
    const bytes = audio('private');
    const created = await upload({
      file: { bytes, filename: 'secret.mp3', type: 'audio/mpeg' },
      fields: { folderPath: '/calls', options: options({ access: 'PRIVATE' }) },
    });
    expect(created.status).toBe(201);
    const plain = await download(String(created.body.url));
    expect(plain.status).toBe(403);
    expect(plain.bytes.includes(bytes.subarray(0, 64))).toBe(false);

    const signed = await get(`/files/2026-09/files/${String(created.body.id)}/signed-url?expirationSeconds=60`);
    expect(signed.status).toBe(200);
    expect(signed.body).toMatchObject({
      expiresAt: '2026-11-30T10:01:00.000Z',
      name: 'secret',
      extension: 'mp3',
      type: 'AUDIO',
      size: bytes.length,
    });
    const signedUrl = String(signed.body.url);
    expect(signedUrl.startsWith(`${String(created.body.url)}?`)).toBe(true);
    const opened = await download(signedUrl);
    expect(opened.status).toBe(200);
    expect(sha256(opened.bytes)).toBe(sha256(bytes));
    expect(opened.headers['x-robots-tag']).toBe('noindex');

    const tampered = new URL(signedUrl);
    tampered.searchParams.set('expires', String(START + 3_600_000));
    expect((await download(tampered.toString())).status).toBe(403);

    now = START + 60_000;
    expect((await download(signedUrl)).status).toBe(403);

    const defaulted = await get(`/files/v3/files/${String(created.body.id)}/signed-url`);
    expect(defaulted.body.expiresAt).toBe('2026-11-30T11:01:00.000Z');
    const tooLong = await get(`/files/v3/files/${String(created.body.id)}/signed-url?expirationSeconds=21601`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.category).toBe('VALIDATION_ERROR');
  });

  it('refuses a file over the size limit with 413 and keeps nothing of it', async () => {
    harness.emulator.setLimits({ fileUploadMaxBytes: 4096 });
    const fits = await upload({
      file: { bytes: audio('fits', 4096), filename: 'fits.mp3', type: 'audio/mpeg' },
      fields: { folderPath: '/calls', options: options({ access: 'PRIVATE' }) },
    });
    expect(fits.status).toBe(201);

    for (const size of [4097, 3 * 1024 * 1024]) {
      const tooBig = await upload({
        file: { bytes: audio('big', size), filename: 'big.mp3', type: 'audio/mpeg' },
        fields: { folderPath: '/calls', options: options({ access: 'PRIVATE' }) },
      });
      expect(tooBig.status).toBe(413);
      expect(tooBig.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
      expect(String(tooBig.body.message)).toContain('4096');
    }
    // The SDK's transport (node-fetch, form-data) reads the early 413 too.
    const form = new FormDataStream();
    form.append('file', audio('sdk-big', 2 * 1024 * 1024), { filename: 'sdk-big.mp3', contentType: 'audio/mpeg' });
    form.append('folderPath', '/calls');
    form.append('options', options({ access: 'PRIVATE' }));
    const viaSdk = await harness.client.apiRequest({
      method: 'POST',
      path: '/files/v3/files',
      body: form,
      defaultJson: false,
    });
    expect(viaSdk.status).toBe(413);
    expect(await viaSdk.json()).toMatchObject({ category: 'VALIDATION_ERROR' });
    expect(harness.emulator.files().map((file) => file.name)).toEqual(['fits']);
    expect(harness.emulator.fileFolders()).toHaveLength(1);
  });

  it('answers 400 VALIDATION_ERROR naming the problem for a missing file, access or options', async () => {
    const cases: [UploadInput, RegExp][] = [
      [{ fields: { folderPath: '/calls', options: options({ access: 'PRIVATE' }) } }, /file/],
      [recording('x', { folderPath: '/calls' }), /options/],
      [recording('x', { folderPath: '/calls', options: options({ ttl: 'P2D' }) }), /access/],
      [recording('x', { folderPath: '/calls', options: options({ access: 'SECRET' }) }), /access/],
      [recording('x', { folderPath: '/calls', options: '{"access":' }), /JSON/],
      [recording('x', { folderPath: '/calls', options: options({ access: 'PRIVATE', ttl: 'PT1H' }) }), /ttl/],
      [
        recording('x', {
          folderPath: '/calls',
          options: options({ access: 'PRIVATE', duplicateValidationStrategy: 'SKIP' }),
        }),
        /duplicateValidationStrategy/,
      ],
    ];
    for (const [input, problem] of cases) {
      const refused = await upload(input);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
      expect(String(refused.body.message)).toMatch(problem);
    }
    expect(harness.emulator.files()).toEqual([]);
  });

  it('requires the files scope on every files endpoint', async () => {
    const created = await upload(
      recording('scoped', { folderPath: '/calls', options: options({ access: 'PRIVATE' }) }),
    );
    harness.emulator.setAuth({ missingScopes: ['files'] });
    const refusedUpload = await upload(
      recording('other', { folderPath: '/calls', options: options({ access: 'PRIVATE' }) }),
    );
    expect(refusedUpload.status).toBe(403);
    expect(refusedUpload.body).toMatchObject({
      category: 'MISSING_SCOPES',
      errors: [{ context: { requiredGranularScopes: ['files'] } }],
    });
    const id = String(created.body.id);
    for (const path of [
      `/files/2026-09/files/${id}`,
      `/files/2026-09/files/${id}/signed-url`,
      '/files/v3/files/search',
    ]) {
      expect((await get(path)).status).toBe(403);
    }
    expect(harness.emulator.files().map((file) => file.name)).toEqual(['scoped']);
  });

  it('counts uploads against the burst limit', async () => {
    harness.emulator.setLimits({ burstPer10s: 1 });
    expect((await upload(recording('one', { folderPath: '/c', options: options({ access: 'PRIVATE' }) }))).status).toBe(
      201,
    );
    const limited = await upload(recording('two', { folderPath: '/c', options: options({ access: 'PRIVATE' }) }));
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ policyName: 'TEN_SECONDLY_ROLLING' });
    expect(harness.emulator.files()).toHaveLength(1);
  });

  it('refuses an upload in an outage; keeps the file of one whose answer an apply-then-5xx fault loses, which a retry finds', async () => {
    harness.emulator.setFaults({ mode: 'status', status: 503, count: 1, paths: '^/files/' });
    const refused = await upload(
      recording('outage', { folderPath: '/calls', options: options({ access: 'PRIVATE' }) }),
    );
    expect(refused.status).toBe(503);
    expect(harness.emulator.files()).toEqual([]);

    harness.emulator.setFaults({ mode: 'apply-then-status', status: 502, count: 1, paths: '^/files/' });
    const retryable = recording('lost', {
      folderPath: '/calls',
      options: options({
        access: 'PRIVATE',
        duplicateValidationStrategy: 'RETURN_EXISTING',
        duplicateValidationScope: 'EXACT_FOLDER',
      }),
    });
    const lost = await upload(retryable);
    expect(lost.status).toBe(502);
    expect(lost.body).toMatchObject({ status: 'error', category: 'BAD_GATEWAY' });
    const kept = harness.emulator.files();
    expect(kept).toHaveLength(1);
    expect(harness.emulator.requestLog.at(-1)).toMatchObject({
      status: 502,
      withheldStatus: 201,
      fault: 'apply-then-status',
    });

    const found = await get('/files/2026-09/files/search?name=lost');
    expect((found.body.results as { id: string }[]).map((file) => file.id)).toEqual([kept[0]?.id]);
    const retried = await upload(retryable);
    expect(retried.status).toBe(201);
    expect(retried.body.id).toBe(kept[0]?.id);
    expect(harness.emulator.files()).toHaveLength(1);
  });

  it('renames a second file of the same name unless overwrite, which replaces the bytes at the same id and URL', async () => {
    const access = options({ access: 'PUBLIC_NOT_INDEXABLE' });
    const first = await upload(recording('v1', { folderPath: '/calls', fileName: 'rec.mp3', options: access }));
    const second = await upload(recording('v2', { folderPath: '/calls', fileName: 'rec.mp3', options: access }));
    expect(first.body).toMatchObject({ name: 'rec', path: '/calls/rec.mp3' });
    expect(second.body).toMatchObject({ name: 'rec-1', path: '/calls/rec-1.mp3' });
    expect(second.body.id).not.toBe(first.body.id);

    now = START + 5_000;
    const replacement = audio('v3', 3000);
    const overwritten = await upload({
      file: { bytes: replacement, filename: 'whatever.mp3', type: 'audio/mpeg' },
      fields: {
        folderPath: '/calls',
        fileName: 'rec.mp3',
        options: options({ access: 'PUBLIC_NOT_INDEXABLE', overwrite: true }),
      },
    });
    expect(overwritten.status).toBe(201);
    expect(overwritten.body).toMatchObject({
      id: first.body.id,
      url: first.body.url,
      size: 3000,
      fileMd5: md5(replacement),
      createdAt: '2026-11-30T10:00:00.000Z',
      updatedAt: '2026-11-30T10:00:05.000Z',
    });
    expect(sha256((await download(String(first.body.url))).bytes)).toBe(sha256(replacement));
    expect(harness.emulator.files()).toHaveLength(2);
  });

  it('applies duplicate validation on content: REJECT refuses, RETURN_EXISTING returns, EXACT_FOLDER limits the search', async () => {
    const bytes = audio('same');
    const withOptions = (folderPath: string, fileName: string, extra: Record<string, unknown>): UploadInput => ({
      file: { bytes, filename: 'upload.mp3', type: 'audio/mpeg' },
      fields: { folderPath, fileName, options: options({ access: 'PRIVATE', ...extra }) },
    });
    const original = await upload(withOptions('/calls/a', 'first.mp3', {}));

    const rejected = await upload(withOptions('/calls/b', 'second.mp3', { duplicateValidationStrategy: 'REJECT' }));
    expect(rejected.status).toBe(409);
    expect(rejected.body).toMatchObject({ category: 'CONFLICT', context: { existingFileId: [original.body.id] } });

    const existing = await upload(
      withOptions('/calls/b', 'second.mp3', { duplicateValidationStrategy: 'RETURN_EXISTING' }),
    );
    expect(existing.status).toBe(201);
    expect(existing.body.id).toBe(original.body.id);

    const elsewhere = await upload(
      withOptions('/calls/b', 'second.mp3', {
        duplicateValidationStrategy: 'REJECT',
        duplicateValidationScope: 'EXACT_FOLDER',
      }),
    );
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.body.path).toBe('/calls/b/second.mp3');

    const unchecked = await upload(withOptions('/calls/a', 'third.mp3', { duplicateValidationStrategy: 'NONE' }));
    expect(unchecked.status).toBe(201);
    expect(harness.emulator.files().map((file) => file.path)).toEqual([
      '/calls/a/first.mp3',
      '/calls/b/second.mp3',
      '/calls/a/third.mp3',
    ]);
  });

  it('deletes a file whose ttl has passed', async () => {
    const created = await upload(
      recording('ttl', { folderPath: '/calls', options: options({ access: 'PUBLIC_INDEXABLE', ttl: 'P1D' }) }),
    );
    expect(created.body.expiresAt).toBe(START + 86_400_000);
    now = START + 86_400_000 - 1;
    expect((await get(`/files/2026-09/files/${String(created.body.id)}`)).status).toBe(200);
    now = START + 86_400_000;
    expect((await get(`/files/2026-09/files/${String(created.body.id)}`)).status).toBe(404);
    expect((await download(String(created.body.url))).status).toBe(404);
    expect(harness.emulator.files()).toEqual([]);
  });

  it('accepts the SDK’s own multipart upload: apiRequest with a form-data body and defaultJson false', async () => {
    const bytes = audio('sdk', 10_000);
    const form = new FormDataStream();
    form.append('file', bytes, { filename: 'sdk-call.wav', contentType: 'audio/wav' });
    form.append('folderPath', '/sdk');
    form.append('options', options({ access: 'PRIVATE', overwrite: false }));
    const response = await harness.client.apiRequest({
      method: 'POST',
      path: '/files/2026-09/files',
      body: form,
      defaultJson: false,
    });
    expect(response.status).toBe(201);
    const file = (await response.json()) as Record<string, unknown>;
    expect(file).toMatchObject({
      name: 'sdk-call',
      extension: 'wav',
      size: bytes.length,
      type: 'AUDIO',
      path: '/sdk/sdk-call.wav',
    });
    expect(harness.emulator.fileBytes(String(file.id))?.equals(bytes)).toBe(true);
    expect(harness.emulator.getFile(String(file.id))).toMatchObject({
      contentType: 'audio/wav',
      sha256: sha256(bytes),
    });
  });

  it('lists files on /_emulator/files and in the state, and reset forgets them', async () => {
    const created = await upload(
      recording('listed', { folderPath: '/calls', options: options({ access: 'PRIVATE' }) }),
    );
    const listed = await harness.request('/_emulator/files', { token: null });
    expect(listed.status).toBe(200);
    const body = listed.body as { results: Record<string, unknown>[]; folders: Record<string, unknown>[] };
    expect(body.results).toEqual([
      expect.objectContaining({
        id: created.body.id,
        name: 'listed',
        path: '/calls/listed.mp3',
        access: 'PRIVATE',
        size: 2048,
        sha256: sha256(audio('listed')),
        md5: md5(audio('listed')),
        createdAt: '2026-11-30T10:00:00.000Z',
      }),
    ]);
    expect(body.results[0]).not.toHaveProperty('bytes');
    expect(body.folders).toEqual([expect.objectContaining({ path: '/calls' })]);
    expect(harness.emulator.state).toMatchObject({ files: 1, fileList: [expect.objectContaining({ name: 'listed' })] });
    expect(harness.emulator.snapshot({ includeObjects: false })).not.toHaveProperty('fileList');

    harness.emulator.reset();
    expect(harness.emulator.files()).toEqual([]);
    expect(harness.emulator.fileFolders()).toEqual([]);
    expect((await download(String(created.body.url))).status).toBe(404);
  });
});
