import { Injectable, type LoggerService } from '@nestjs/common';
import pretty from 'pino-pretty';
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Keys whose values never reach a log line, wherever they appear. The code does not log payloads or personal data in
 * the first place; this is the net under that rule.
 */
export const REDACTED_KEYS = [
  'authorization',
  'secret',
  'token',
  'accessToken',
  'password',
  'phone',
  'e164',
  'raw',
  'caller',
  'callee',
  'number',
  'email',
  'name',
  'firstname',
  'lastname',
  'payload',
  'body',
];

/**
 * Readable lines for a person at a terminal (pino-pretty, written synchronously in this process): the same
 * redacted records, time and level first, without the fields every line shares.
 */
export function prettyDestination(): DestinationStream {
  return pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service', sync: true });
}

export function createPinoLogger(level: string, destination?: DestinationStream): Logger {
  const paths = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  return pino(
    {
      level,
      base: { service: 'ai-call-hubspot-connector' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/** Structured JSON logs (pino), also serving as NestJS's logger. */
@Injectable()
export class AppLogger implements LoggerService {
  constructor(readonly pino: Logger) {}

  child(bindings: Record<string, unknown>): Logger {
    return this.pino.child(bindings);
  }

  /** Ours: `(fields, message)`. NestJS's: `(message, context)`. Both land as one structured line. */
  info(fields: unknown, message?: unknown): void {
    this.write('info', fields, message);
  }

  warn(fields: unknown, message?: unknown): void {
    this.write('warn', fields, message);
  }

  error(fields: unknown, message?: unknown): void {
    this.write('error', fields, message);
  }

  log(message: unknown, context?: unknown): void {
    this.write('info', message, context);
  }

  debug(message: unknown, context?: unknown): void {
    this.write('debug', message, context);
  }

  verbose(message: unknown, context?: unknown): void {
    this.write('trace', message, context);
  }

  fatal(message: unknown, context?: unknown): void {
    this.write('fatal', message, context);
  }

  private write(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', first: unknown, second: unknown): void {
    if (typeof first === 'object' && first !== null) {
      this.pino[level](first as Record<string, unknown>, typeof second === 'string' ? second : level);
    } else {
      this.pino[level](typeof second === 'string' ? { context: second } : {}, String(first));
    }
  }

  flush(): void {
    this.pino.flush();
  }
}
