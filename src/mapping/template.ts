import { LIST_ITEM_FIELDS, isKnownSource, readSource } from './source-fields.js';
import type { CallRecord } from '../vendors/call-record.js';
import { hasOwnKey, ownValue } from '../common/own-value.js';

/**
 * The templates admins write for call titles, bodies and custom properties: a small, safe language with no code.
 *
 *   {{customer.name}}                 a field (see source-fields.ts); empty when the call has none
 *   {{customer.name | "unknown"}}     with a default
 *   {{#if intention.label}}…{{else}}…{{/if}}
 *   {{#each answers}}{{question}}: {{answer}}{{/each}}    also `analysis` (title, result) and `tags` ({{.}})
 *
 * Values are HTML-escaped when rendering the call body; the template's own text is the admin's and kept as is.
 */
type Node =
  | { type: 'text'; text: string }
  | { type: 'field'; path: string; fallback: string | null }
  | { type: 'if'; path: string; then: Node[]; otherwise: Node[] }
  | { type: 'each'; path: string; body: Node[] };

export interface CompiledTemplate {
  source: string;
  nodes: Node[];
}

/** A template error with the line within the template where it was found (1-based). */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const TAG = /\{\{\s*([^{}]*?)\s*\}\}/g;
const FIELD = /^([\w.-]+|\.)(?:\s*\|\s*"([^"]*)")?$/;

export function compileTemplate(source: string): CompiledTemplate {
  const root: Node[] = [];
  const stack: Array<{
    node: Extract<Node, { type: 'if' | 'each' }>;
    target: Node[];
    line: number;
    item: string | null;
  }> = [];
  let current = root;
  let last = 0;
  const lineAt = (offset: number): number => source.slice(0, offset).split('\n').length;
  const itemList = (): string | null => [...stack].reverse().find((frame) => frame.item !== null)?.item ?? null;
  const checkPath = (path: string, offset: number): void => {
    const item = itemList();
    if (item && (ownValue(LIST_ITEM_FIELDS, item) ?? []).includes(path)) return;
    if (path === '.' || !isKnownSource(path)) {
      const inLoop = item
        ? ` (in {{#each ${item}}}: ${(ownValue(LIST_ITEM_FIELDS, item) ?? []).join(', ')}, or a call field)`
        : '';
      throw new TemplateError(`unknown field "${path}"${inLoop}`, lineAt(offset));
    }
  };

  for (const match of source.matchAll(TAG)) {
    const offset = match.index;
    if (offset > last) current.push({ type: 'text', text: source.slice(last, offset) });
    last = offset + match[0].length;
    const tag = match[1]!;
    if (tag.startsWith('#if ')) {
      const path = tag.slice(4).trim();
      checkPath(path, offset);
      const node: Node = { type: 'if', path, then: [], otherwise: [] };
      current.push(node);
      stack.push({ node, target: current, line: lineAt(offset), item: null });
      current = node.then;
    } else if (tag.startsWith('#each ')) {
      const path = tag.slice(6).trim();
      if (!hasOwnKey(LIST_ITEM_FIELDS, path))
        throw new TemplateError(`{{#each}} takes a list: ${Object.keys(LIST_ITEM_FIELDS).join(', ')}`, lineAt(offset));
      const node: Node = { type: 'each', path, body: [] };
      current.push(node);
      stack.push({ node, target: current, line: lineAt(offset), item: path });
      current = node.body;
    } else if (tag === 'else') {
      const frame = stack.at(-1);
      if (frame?.node.type !== 'if' || current !== frame.node.then)
        throw new TemplateError('{{else}} outside {{#if}}', lineAt(offset));
      current = frame.node.otherwise;
    } else if (tag === '/if' || tag === '/each') {
      const frame = stack.pop();
      if (!frame || frame.node.type !== tag.slice(1))
        throw new TemplateError(`{{${tag}}} without its {{#${tag.slice(1)}}}`, lineAt(offset));
      current = frame.target;
    } else {
      const field = FIELD.exec(tag);
      if (!field)
        throw new TemplateError(
          `cannot read {{${tag}}}: write a field, a field | "default", or a block`,
          lineAt(offset),
        );
      const path = field[1]!;
      if (path === '.' && itemList() !== 'tags') throw new TemplateError('{{.}} is for {{#each tags}}', lineAt(offset));
      if (path !== '.') checkPath(path, offset);
      current.push({ type: 'field', path, fallback: field[2] ?? null });
    }
  }
  if (stack.length > 0) {
    const open = stack.at(-1)!;
    throw new TemplateError(`{{#${open.node.type}}} is never closed`, open.line);
  }
  if (last < source.length) current.push({ type: 'text', text: source.slice(last) });
  if (/\{\{|\}\}/.test(source.replace(TAG, ''))) throw new TemplateError('an unmatched {{ or }}', 1);
  return { source, nodes: root };
}

export function renderTemplate(
  template: CompiledTemplate,
  record: CallRecord,
  escape: (text: string) => string = (text) => text,
): string {
  return renderNodes(template.nodes, record, null, escape);
}

function renderNodes(nodes: Node[], record: CallRecord, item: unknown, escape: (text: string) => string): string {
  let out = '';
  for (const node of nodes) {
    if (node.type === 'text') out += node.text;
    else if (node.type === 'field') {
      const text = display(lookup(node.path, record, item));
      out += text === '' ? escape(node.fallback ?? '') : escape(text);
    } else if (node.type === 'if') {
      out += renderNodes(truthy(lookup(node.path, record, item)) ? node.then : node.otherwise, record, item, escape);
    } else {
      const list = readSource(record, node.path);
      if (Array.isArray(list)) for (const entry of list) out += renderNodes(node.body, record, entry, escape);
    }
  }
  return out;
}

function lookup(path: string, record: CallRecord, item: unknown): unknown {
  if (path === '.') return item;
  if (item !== null && typeof item === 'object' && hasOwnKey(item, path))
    return ownValue(item as Record<string, unknown>, path);
  return readSource(record, path);
}

function truthy(value: unknown): boolean {
  return Array.isArray(value)
    ? value.length > 0
    : value !== null && value !== undefined && value !== '' && value !== false;
}

function display(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value))
    return value
      .map(display)
      .filter((text) => text !== '')
      .join(', ');
  if (typeof value === 'object') return '';
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- objects are handled above; JSON holds no functions
  return String(value);
}
