/**
 * Streams a `multipart/form-data` upload (HubSpot's `POST /files/v3/files`) with busboy: text fields are kept, the
 * `file` part is kept in memory up to the size limit and no further. Once the file passes the limit the answer is
 * a 413 at once, the bytes read so far are let go, and the rest of the request is read only to be discarded (so the
 * client can finish sending and read the answer).
 */
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { HubSpotApiError } from './emulator-error.js';

export interface MultipartFilePart {
  /** The part's `filename` (empty when the client sent none). */
  filename: string;
  /** The part's Content-Type (busboy's default, `application/octet-stream`, when the client sent none). */
  mimeType: string;
  bytes: Buffer;
}

export interface MultipartUpload {
  /** Text fields by name; the first value of a repeated name wins. */
  fields: Map<string, string>;
  /** The part named `file`, when there was one. */
  file?: MultipartFilePart;
  /** How many parts named `file` were sent (HubSpot takes one file per request). */
  fileParts: number;
}

/** Protects the emulator from a flood of tiny parts; far above the six fields HubSpot's upload has. */
const MAX_PARTS = 100;
/** Per text field; HubSpot's upload fields (paths, names, a small JSON) are far shorter. */
const MAX_FIELD_BYTES = 1024 * 1024;

export function readMultipartUpload(req: IncomingMessage, maxFileBytes: number): Promise<MultipartUpload> {
  return new Promise<MultipartUpload>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { fileSize: maxFileBytes + 1, parts: MAX_PARTS, fieldSize: MAX_FIELD_BYTES },
      });
    } catch {
      // Assumption (undocumented): HubSpot refuses a body that is not multipart with 415.
      reject(new HubSpotApiError(415, 'VALIDATION_ERROR', 'Content-Type must be multipart/form-data with a boundary.'));
      return;
    }
    const upload: MultipartUpload = { fields: new Map(), fileParts: 0 };
    let settled = false;
    const fail = (error: HubSpotApiError): void => {
      if (settled) return;
      settled = true;
      // Stop parsing; whatever is still coming is read and dropped, never kept.
      req.unpipe(parser);
      req.resume();
      reject(error);
    };

    parser.on('field', (name, value) => {
      if (!upload.fields.has(name)) upload.fields.set(name, value);
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file') {
        // Assumption: parts HubSpot does not name are ignored.
        stream.resume();
        return;
      }
      upload.fileParts += 1;
      if (upload.fileParts > 1) {
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      let received = 0;
      const tooLarge = (): void => {
        chunks.length = 0;
        stream.resume();
        fail(
          new HubSpotApiError(
            413,
            'VALIDATION_ERROR',
            `File is too large: the maximum file size is ${maxFileBytes} bytes.`,
          ),
        );
      };
      stream.on('data', (chunk: Buffer) => {
        if (settled) return;
        received += chunk.length;
        if (received > maxFileBytes) tooLarge();
        else chunks.push(chunk);
      });
      // busboy stops the file at `fileSize` (one byte past the limit, so that a file of exactly the limit fits).
      stream.on('limit', tooLarge);
      stream.on('end', () => {
        if (settled || stream.truncated) return;
        upload.file = { filename: info.filename ?? '', mimeType: info.mimeType, bytes: Buffer.concat(chunks) };
      });
    });
    parser.on('partsLimit', () => {
      fail(HubSpotApiError.validation(`Too many parts in the multipart body (at most ${MAX_PARTS}).`));
    });
    parser.on('error', (error: unknown) => {
      fail(HubSpotApiError.validation(`Malformed multipart body: ${(error as Error).message ?? String(error)}`));
    });
    parser.on('close', () => {
      if (settled) return;
      settled = true;
      resolve(upload);
    });
    req.on('error', (error: Error) => {
      fail(new HubSpotApiError(400, 'VALIDATION_ERROR', `The request body could not be read: ${error.message}`));
    });
    req.on('close', () => {
      // The client went away mid-body: nothing more will come (nobody reads the answer either).
      if (!req.complete) fail(HubSpotApiError.validation('The request body ended early.'));
    });
    req.pipe(parser);
  });
}
