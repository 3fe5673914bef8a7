import type { IncomingMessage } from 'node:http';
import {
  InvalidJsonError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  UnverifiedBodiesBusyError,
} from '../common/app-error.js';

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

/** Bytes that bodies not yet authenticated may hold at once (see `UnverifiedBodies`). */
export interface ByteBudget {
  /** Takes `bytes` from the budget; false (nothing taken) when it does not have them. */
  take(bytes: number): boolean;
  give(bytes: number): void;
}

export interface BodyLimits {
  /** The widest list or object taken (see MAX_LIST_ITEMS). */
  maxListItems?: number;
  /**
   * For a body read before its sender is known (a signature is checked over it): each chunk is taken from this
   * budget as it arrives, and the read is refused with 503 when the budget is spent. What a failed read took is given
   * back here; the caller gives back the body's length once the signature is judged.
   */
  budget?: ByteBudget;
}

/**
 * Reads a request body up to `limitBytes`. A declared Content-Length over the limit is refused before any byte is
 * read; an undeclared (chunked) body is refused as soon as it passes the limit, so it is never buffered whole.
 */
export async function readBody(
  request: IncomingMessage,
  limitBytes: number,
  { maxListItems = MAX_LIST_ITEMS, budget }: BodyLimits = {},
): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) throw new PayloadTooLargeError(limitBytes);
  const chunks: Buffer[] = [];
  const width = new JsonWidthScanner(maxListItems);
  let size = 0;
  return new Promise<Buffer>((resolve, reject) => {
    const stop = (error: Error): void => {
      budget?.give(size);
      cleanup();
      request.pause(); // read no more; the connection is closed after the answer
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      if (budget && !budget.take(chunk.length)) return stop(new UnverifiedBodiesBusyError());
      size += chunk.length;
      if (size > limitBytes) return stop(new PayloadTooLargeError(limitBytes));
      const tooWide = width.feed(chunk);
      if (tooWide) return stop(new TooWideError(tooWide, maxListItems));
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      budget?.give(size);
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

export function parseJsonBody(
  contentType: string | undefined,
  body: Buffer,
  maxListItems: number = MAX_LIST_ITEMS,
): unknown {
  if (!isJsonContentType(contentType)) throw new UnsupportedMediaTypeError();
  if (body.length === 0) throw new InvalidJsonError('the body is empty');

  let value: unknown;
  try {
    value = JSON.parse(quoteLongIntegers(body.toString('utf8')));
  } catch (error) {
    // JSON.parse's message quotes the offending text; keep only its position.
    const position = /position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
    throw new InvalidJsonError(position ? `syntax error at position ${position}` : 'syntax error');
  }
  const problem = jsonShapeProblem(value, MAX_JSON_DEPTH, maxListItems);
  if (problem) throw new InvalidJsonError(problem);
  return value;
}

/**
 * No list in a vendor payload holds more than 1,000 items (Yunfu's batches, VoiceFox's answers), and no object more
 * than 1,000 members (VoiceFox's `extra`, a customer's own task variables, holds a few dozen): a wider one is refused
 * while the body arrives and again in one cheap walk after parsing, before validation would transform and check it
 * member by member (class-transformer's cost grows faster than an object's size: 40,000 keys took seconds).
 */
export const MAX_LIST_ITEMS = 1_000;

/** Whole numbers of more digits than this are not exact as JavaScript numbers (2^53 has 16). */
const EXACT_DIGITS = 15;

/**
 * Numbers `JSON.parse` would not keep become text before parsing, digits intact: whole numbers too long to be exact
 * (a 19-digit call id, which it would round) and numbers too large to hold (`1e400`, which it would make Infinity,
 * stored as null). Strings are left alone; a body without such a number is returned as it is.
 */
export function quoteLongIntegers(text: string): string {
  if (!/\d{16}|\d[eE][+-]?\d{3}/.test(text)) return text;
  let out = '';
  let last = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') {
      inString = true;
      continue;
    }
    if (char !== '-' && (char < '0' || char > '9')) continue;
    let end = index + (char === '-' ? 1 : 0);
    while (end < text.length && text[end]! >= '0' && text[end]! <= '9') end++;
    const digits = end - index - (char === '-' ? 1 : 0);
    const fractional = text[end] === '.' || text[end] === 'e' || text[end] === 'E';
    if (fractional) while (end < text.length && /[\d.eE+-]/.test(text[end]!)) end++;
    if ((digits > EXACT_DIGITS && !fractional) || (fractional && !Number.isFinite(Number(text.slice(index, end))))) {
      out += `${text.slice(last, index)}"${text.slice(index, end)}"`;
      last = end;
    }
    index = end - 1;
  }
  return last === 0 ? text : out + text.slice(last);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_LIST = 0x5b;
const CLOSE_LIST = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Watches the raw bytes of a body as they arrive, before any parsing, for a list of more than `maxItems` items or
 * an object of more than `maxItems` members: the body is refused at the chunk that shows it, so a body of 100,000
 * items costs the scan of its first few kilobytes, and the rest is never read. Strings are skipped; malformed JSON
 * is left to the parser.
 */
export class JsonWidthScanner {
  /** One counter per open bracket: items so far for a list (positive), members so far for an object (negative). */
  private readonly counts: number[] = [];
  private inString = false;
  private escaped = false;

  constructor(private readonly maxItems: number) {}

  /** `list` or `object` once one is wider than allowed, else null. */
  feed(chunk: Buffer): 'list' | 'object' | null {
    const counts = this.counts;
    for (let index = 0; index < chunk.length; index++) {
      const byte = chunk[index]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) this.inString = false;
        continue;
      }
      if (byte === QUOTE) this.inString = true;
      else if (byte === OPEN_LIST) counts.push(1);
      else if (byte === OPEN_OBJECT) counts.push(-1);
      else if (byte === CLOSE_LIST || byte === CLOSE_OBJECT) counts.pop();
      else if (byte === COMMA && counts.length > 0) {
        const count = counts[counts.length - 1]!;
        const next = count > 0 ? count + 1 : count - 1;
        if (Math.abs(next) > this.maxItems) return count > 0 ? 'list' : 'object';
        counts[counts.length - 1] = next;
      }
    }
    return null;
  }
}

export class TooWideError extends InvalidJsonError {
  constructor(kind: 'list' | 'object', maxItems: number = MAX_LIST_ITEMS) {
    super(
      kind === 'list'
        ? `a list holds more than ${maxItems} items; at most ${maxItems} are taken`
        : `an object holds more than ${maxItems} members; at most ${maxItems} are taken`,
    );
  }
}

/** Iterative, so that a hostile document cannot overflow the stack while it is measured. */
export function jsonShapeProblem(value: unknown, maxDepth: number, maxItems: number): string | null {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > maxDepth) return `nested deeper than ${maxDepth} levels`;
    if (Array.isArray(current) && current.length > maxItems)
      return `a list holds ${current.length} items; at most ${maxItems} are taken`;
    const children = Array.isArray(current) ? current : Object.values(current);
    if (!Array.isArray(current) && children.length > maxItems)
      return `an object holds ${children.length} members; at most ${maxItems} are taken`;
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return null;
}
