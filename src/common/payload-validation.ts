import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { ValidateBy, validateSync, type ValidationError, type ValidationOptions } from 'class-validator';
import { AppError } from './app-error.js';
import { ownValue } from './own-value.js';

/** A payload of valid JSON but the wrong shape. `field` is a path such as `data[2].number_data.number`. */
export class PayloadValidationError extends AppError {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super('invalid_payload', 400, `${field}: ${problem}`);
  }
}

/** Validates plain JSON against a class-validator schema class; answers the typed instance or throws the first problem. */
export function validatePayload<T extends object>(schema: ClassConstructor<T>, value: unknown, pathPrefix = ''): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PayloadValidationError(pathPrefix || 'body', 'must be a JSON object');
  }
  // class-transformer throws on a `constructor` key in a free-form object (a customer's own variables under
  // VoiceFox's `extra`), and assigns `__proto__`: such keys are renamed while it works and given back after.
  const marker = hasTrapKey(value) ? `\u0000${randomUUID()}:` : null;
  const instance = plainToInstance(schema, marker ? shieldKeys(value, marker) : value, {
    enableImplicitConversion: false,
  });
  const errors = validateSync(instance, {
    forbidUnknownValues: false,
    validationError: { target: false, value: false },
  });
  const first = firstProblem(errors, pathPrefix);
  if (first) throw new PayloadValidationError(marker ? first.field.split(marker).join('') : first.field, first.problem);
  return marker ? unshieldKeys(instance, marker) : instance;
}

/**
 * Validates an envelope whose `shallow` fields hold what another schema checks (a Yunfu batch's calls, a VoiceFox
 * event's data): those are checked for their kind and size only, with a stand-in of the same kind, and put back
 * untouched, so that class-transformer does not copy their contents once here and again for their own schema.
 */
export function validateEnvelope<T extends object>(
  schema: ClassConstructor<T>,
  value: unknown,
  shallow: readonly string[],
  pathPrefix = '',
): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return validatePayload(schema, value, pathPrefix);
  const standIn: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of shallow) {
    if (!Object.hasOwn(standIn, key)) continue;
    const field = ownValue(standIn, key);
    if (Array.isArray(field)) standIn[key] = new Array<null>(field.length).fill(null);
    else if (typeof field === 'object' && field !== null) standIn[key] = {};
  }
  const instance = validatePayload(schema, standIn, pathPrefix) as Record<string, unknown>;
  for (const key of shallow)
    if (Object.hasOwn(value, key)) instance[key] = ownValue(value as Record<string, unknown>, key);
  return instance as T;
}

/** Keys that name `Object.prototype`'s machinery: copied under another name while class-transformer works. */
const TRAP_KEYS = new Set(['constructor', '__proto__', 'prototype']);

function hasTrapKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasTrapKey);
  if (typeof value !== 'object' || value === null) return false;
  for (const key in value)
    if (TRAP_KEYS.has(key) || hasTrapKey(ownValue(value as Record<string, unknown>, key))) return true;
  return false;
}

function shieldKeys(value: unknown, marker: string): unknown {
  if (Array.isArray(value)) return value.map((item) => shieldKeys(item, marker));
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    copy[TRAP_KEYS.has(key) ? `${marker}${key}` : key] = shieldKeys(item, marker);
  return copy;
}

function unshieldKeys<T>(value: T, marker: string): T {
  if (Array.isArray(value)) {
    for (const item of value) unshieldKeys(item, marker);
    return value;
  }
  if (typeof value !== 'object' || value === null) return value;
  for (const key of Object.keys(value)) {
    const item = ownValue(value as Record<string, unknown>, key);
    unshieldKeys(item, marker);
    if (!key.startsWith(marker)) continue;
    Object.defineProperty(value, key.slice(marker.length), {
      value: item,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    delete (value as Record<string, unknown>)[key];
  }
  return value;
}

function firstProblem(errors: ValidationError[], prefix: string): { field: string; problem: string } | null {
  for (const error of errors) {
    const field = /^\d+$/.test(error.property)
      ? `${prefix}[${error.property}]`
      : prefix
        ? `${prefix}.${error.property}`
        : error.property;
    if (error.constraints) {
      // Constraints come in reverse decorator order; the top decorator is the type check, the most basic problem.
      const [key, message] = Object.entries(error.constraints).at(-1)!;
      return {
        field,
        problem:
          key === 'nestedValidation' ? 'must be an object or a list of objects' : problemText(message, error.property),
      };
    }
    const nested = firstProblem(error.children ?? [], field);
    if (nested) return nested;
  }
  return null;
}

/** class-validator says "session_id must be a string"; the path already names the field. */
function problemText(message: string, property: string): string {
  return message.startsWith(`${property} `) ? message.slice(property.length + 1) : message;
}

/** A string, number or boolean (or null/absent with `@IsOptional`): vendors send ids and answers both ways. */
export function IsScalar(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isScalar',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' ||
          typeof value === 'boolean' ||
          (typeof value === 'number' && Number.isFinite(value)),
        defaultMessage: () => 'must be a string, number or boolean',
      },
    },
    options,
  );
}

/** Decimal number text, however large (`1e400` and a 400-digit integer are numbers too big to hold, not text). */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * A number, or text holding one (`"43"`). One too big to hold (`1e400`) is a number still: the mapper leaves it out
 * with a warning on the call, instead of refusing the call.
 */
export function IsNumberLike(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isNumberLike',
      validator: {
        validate: (value: unknown) =>
          (typeof value === 'number' && !Number.isNaN(value)) ||
          (typeof value === 'string' &&
            value.trim() !== '' &&
            (Number.isFinite(Number(value.trim())) || DECIMAL.test(value.trim()))),
        defaultMessage: () => 'must be a number',
      },
    },
    options,
  );
}

/** A JSON object (not an array). */
export function IsPlainObject(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPlainObject',
      validator: {
        validate: (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value),
        defaultMessage: () => 'must be a JSON object',
      },
    },
    options,
  );
}

/** Whitespace and invisible characters a call id is trimmed of at its ends. */
const ID_EDGE_BLANKS = /^[\s\u200B-\u200D\u2060\uFEFF]+|[\s\u200B-\u200D\u2060\uFEFF]+$/g;

/** The longest call id taken, in characters. */
export const MAX_CALL_ID_LENGTH = 200;

/**
 * A call id as the connector keys it: a whole number as its digits, text trimmed of whitespace and invisible
 * characters at its ends; null when that leaves nothing, the text is not well-formed Unicode, or it is longer than
 * `MAX_CALL_ID_LENGTH`. The one place ids are normalised: validation, inbox keys and call records all use it.
 */
export function callIdText(value: unknown): string | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : null;
  if (typeof value !== 'string' || !isWellFormedText(value)) return null;
  const text = value.replace(ID_EDGE_BLANKS, '');
  return text !== '' && text.length <= MAX_CALL_ID_LENGTH ? text : null;
}

/** A call id `callIdText` takes; the message says what is wrong with one it does not. */
export function IsCallId(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCallId',
      validator: {
        validate: (value: unknown) => callIdText(value) !== null,
        defaultMessage: (args) => {
          const value: unknown = args?.value;
          if (typeof value === 'number') return 'must be a whole number, or text';
          if (typeof value !== 'string') return 'must be text or a whole number';
          if (!isWellFormedText(value)) return illFormedReason(value);
          if (value.replace(ID_EDGE_BLANKS, '') === '') return 'must not be empty or blank';
          return `must be at most ${MAX_CALL_ID_LENGTH} characters`;
        },
      },
    },
    options,
  );
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text every store holds unchanged: no lone surrogate (UTF-8 cannot encode one) and no NUL character (PostgreSQL's
 * text refuses it). Keys and event names must be such text; payloads are stored as JSON, which escapes both.
 */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text) && !text.includes('\u0000');
}

/** Why text is not well-formed (`isWellFormedText`), said for a field's error. */
export function illFormedReason(text: string): string {
  return text.includes('\u0000')
    ? 'must not contain the NUL character (U+0000)'
    : 'must be well-formed Unicode text (it holds a lone surrogate)';
}

/** Text the store holds unchanged (see `isWellFormedText`): what becomes part of a key must survive it. */
export function IsWellFormedText(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isWellFormedText',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || isWellFormedText(value),
        defaultMessage: (args) => (typeof args?.value === 'string' ? illFormedReason(args.value) : 'must be text'),
      },
    },
    options,
  );
}
