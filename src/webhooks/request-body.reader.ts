import type { IncomingMessage } from 'node:http';
import { InvalidJsonError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../common/app-error.js';

/** JSON nested deeper than this is refused: no vendor payload comes close, and it bounds every recursive walk. */
export const MAX_JSON_DEPTH = 32;

/**
 * JSON media types a vendor may send. `text/plain` is accepted because some webhook senders label JSON that way;
 * a missing Content-Type is tried as JSON.
 */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined || header.trim() === '') return true;
  const type = header.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json') || type === 'text/plain' || type === 'text/json';
}

/**
 * Reads a request body up to `limitBytes`. A declared Content-Length over the limit is refused before any byte is
 * read; an undeclared (chunked) body is refused as soon as it passes the limit, so it is never buffered whole.
 */
export async function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) throw new PayloadTooLargeError(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  return new Promise<Buffer>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        request.pause(); // read no more; the connection is closed after the 413
        reject(new PayloadTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new InvalidJsonError(`the body could not be read (${error.message})`));
    };
    const cleanup = (): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('aborted', onAborted);
    };
    const onAborted = (): void => onError(new Error('request aborted'));
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('aborted', onAborted);
  });
}

export function parseJsonBody(contentType: string | undefined, body: Buffer): unknown {
  if (!isJsonContentType(contentType)) throw new UnsupportedMediaTypeError();
  if (body.length === 0) throw new InvalidJsonError('the body is empty');
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    // JSON.parse's message quotes the offending text; keep only its position.
    const position = /position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
    throw new InvalidJsonError(position ? `syntax error at position ${position}` : 'syntax error');
  }
  if (jsonDepthExceeds(value, MAX_JSON_DEPTH)) throw new InvalidJsonError(`nested deeper than ${MAX_JSON_DEPTH} levels`);
  return value;
}

/** Iterative, so that a hostile document cannot overflow the stack while it is measured. */
export function jsonDepthExceeds(value: unknown, maxDepth: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > maxDepth) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
