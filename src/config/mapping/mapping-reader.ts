import { LineCounter, Scalar, type Document } from 'yaml';
import { compileTemplate, TemplateError, type CompiledTemplate } from '../../mapping/template.js';

/** The YAML walker behind `mapping-file.ts`: typed reads that collect every problem with its file, line and path. */

const HUBSPOT_NAME = /^[a-z][a-z0-9_]{0,99}$/;

export type Path = Array<string | number>;

export function formatPath(path: Path): string {
  return path
    .map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`))
    .join('');
}

/** Walks the parsed YAML, collecting every problem with its line. */
export class Reader {
  readonly problems: string[] = [];

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly fileName: string,
  ) {}

  lineOf(path: Path): number {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = (depth === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, depth), true)) as {
        range?: [number, number, number];
      } | null;
      if (node?.range) return this.lines.linePos(node.range[0]).line;
    }
    return 1;
  }

  where(path: Path): string {
    return `${this.fileName}:${this.lineOf(path)} ${formatPath(path)}`;
  }

  problem(path: Path, message: string, line?: number): void {
    this.problems.push(
      line ? `${this.fileName}:${line} ${formatPath(path)}: ${message}` : `${this.where(path)}: ${message}`,
    );
  }

  /** A map at `path` (or undefined when absent), with unknown keys reported. */
  map(value: unknown, path: Path, keys: string[]): Record<string, unknown> | undefined {
    if (value === undefined || value === null) return undefined;
    if (!isRecord(value)) {
      this.problem(path, 'must be a map');
      return undefined;
    }
    for (const key of Object.keys(value))
      if (!keys.includes(key)) this.problem([...path, key], `unknown setting (known: ${keys.join(', ')})`);
    return value;
  }

  list(value: unknown, path: Path): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.problem(path, 'must be a list');
      return [];
    }
    return value;
  }

  bool(value: unknown, path: Path, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      this.problem(path, 'must be true or false');
      return fallback;
    }
    return value;
  }

  text(value: unknown, path: Path, fallback: string | null, check?: (text: string) => string | null): string | null {
    if (value === undefined) return fallback;
    if (value === null) return null;
    if (typeof value !== 'string' || value.trim() === '') {
      this.problem(path, 'must be a non-empty text');
      return fallback;
    }
    const problem = check?.(value);
    if (problem) {
      this.problem(path, problem);
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(value: unknown, path: Path, allowed: readonly T[], fallback: T): T {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.problem(path, `must be one of ${allowed.join(', ')}`);
      return fallback;
    }
    return value as T;
  }

  propertyName(value: unknown, path: Path): string | null {
    if (typeof value !== 'string' || !HUBSPOT_NAME.test(value)) {
      this.problem(path, 'must be a HubSpot property internal name (lowercase letters, digits and _)');
      return null;
    }
    return value;
  }

  template(value: unknown, path: Path): CompiledTemplate | null {
    if (typeof value !== 'string') {
      this.problem(path, 'must be a template text');
      return null;
    }
    try {
      return compileTemplate(value);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      const node = this.doc.getIn(path, true) as Scalar | undefined;
      // A block scalar (`|`) starts on the line after its indicator.
      const blockOffset = node && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') ? 1 : 0;
      this.problem(path, error.message, this.lineOf(path) + blockOffset + error.line - 1);
      return null;
    }
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
