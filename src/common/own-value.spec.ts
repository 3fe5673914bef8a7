import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { hasOwnKey, ownValue } from './own-value.js';

const REPO = resolve(import.meta.dirname, '../..');

/** Every member name of Object.prototype, `__proto__` included. */
const PROTOTYPE_NAMES = [...Object.getOwnPropertyNames(Object.prototype), '__proto__'];

describe('ownValue and hasOwnKey', () => {
  it("find a table's own keys and nothing inherited", () => {
    const table: Record<string, number> = { hot: 1 };
    expect(ownValue(table, 'hot')).toBe(1);
    expect(hasOwnKey(table, 'hot')).toBe(true);
    for (const name of PROTOTYPE_NAMES) {
      expect(ownValue(table, name)).toBeUndefined();
      expect(hasOwnKey(table, name)).toBe(false);
    }
    expect(ownValue(undefined, 'hot')).toBeUndefined();
    expect(ownValue(null, 'hot')).toBeUndefined();
  });
});

/**
 * The rule, kept by the type checker: in `src/`, a string-indexed object (a `Record<string, T>`, an index signature:
 * the kind of table a vendor's or an admin's text is looked up in) is never read with a `string` key by `table[key]`
 * or tested by `key in table`; such lookups go through `ownValue`/`hasOwnKey` or use a `Map`. A key typed as a
 * union of literals is fine (it cannot be `constructor`). Writes (`table[key] = value`) and `delete` are not reads.
 */
function inheritedLookups(program: ts.Program, files: (fileName: string) => boolean): string[] {
  const checker = program.getTypeChecker();
  const found: string[] = [];
  const stringIndexed = (node: ts.Expression): boolean => {
    const type = checker.getTypeAtLocation(node).getNonNullableType();
    return (
      checker.getIndexTypeOfType(type, ts.IndexKind.String) !== undefined &&
      !checker.isArrayType(type) &&
      !checker.isTupleType(type)
    );
  };
  const plainString = (node: ts.Expression): boolean =>
    (checker.getTypeAtLocation(node).flags & ts.TypeFlags.String) !== 0;
  for (const source of program.getSourceFiles()) {
    if (!files(source.fileName)) continue;
    const report = (node: ts.Node, what: string) => {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart());
      found.push(`${relative(REPO, source.fileName)}:${line + 1}: ${what} ${node.getText().slice(0, 100)}`);
    };
    const visit = (node: ts.Node): void => {
      if (ts.isElementAccessExpression(node)) {
        const parent = node.parent;
        const written =
          ts.isBinaryExpression(parent) &&
          parent.left === node &&
          parent.operatorToken.kind === ts.SyntaxKind.EqualsToken;
        const deleted = ts.isDeleteExpression(parent);
        if (!written && !deleted && plainString(node.argumentExpression) && stringIndexed(node.expression))
          report(node, 'reads');
      } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.InKeyword) {
        if (plainString(node.left) && stringIndexed(node.right)) report(node, 'tests');
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

function programOf(rootNames: string[], tsconfig = 'tsconfig.json'): ts.Program {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(REPO, tsconfig),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  )!;
  return ts.createProgram(rootNames.length > 0 ? rootNames : config.fileNames, config.options);
}

describe('no lookup keyed by outside text reaches Object.prototype', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'own-keys-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('the rule finds such a lookup (it can fail)', () => {
    const file = join(scratch, 'bad.ts');
    writeFileSync(
      file,
      [
        'const labels: Record<string, string> = { A: "hot" };',
        'type Kind = "a" | "b";',
        'const kinds: Record<Kind, number> = { a: 1, b: 2 };',
        'export function label(text: string, kind: Kind): unknown {',
        '  const list = ["x"];',
        '  labels[text] = "written";',
        '  return [labels[text], text in labels, kinds[kind], list[0], labels.A];',
        '}',
      ].join('\n'),
    );
    const found = inheritedLookups(programOf([file]), (name) => name === file);
    expect(found.map((line) => line.replace(/^.*bad\.ts:/, ''))).toEqual([
      '7: reads labels[text]',
      '7: tests text in labels',
    ]);
  });

  it('holds for every file under src/', { timeout: 120_000 }, () => {
    const src = join(REPO, 'src') + '/';
    const found = inheritedLookups(
      programOf([]),
      (name) => name.startsWith(src) && !name.endsWith('.spec.ts') && !name.endsWith('/common/own-value.ts'),
    );
    expect(found, 'use ownValue/hasOwnKey (src/common/own-value.ts) or a Map').toEqual([]);
  });

  it("holds for the console's browser app (console-ui/src/)", { timeout: 120_000 }, () => {
    const app = join(REPO, 'console-ui', 'src') + '/';
    const found = inheritedLookups(
      programOf([], 'console-ui/tsconfig.json'),
      (name) => name.startsWith(app) && !name.endsWith('.spec.ts') && !name.endsWith('/own.ts'),
    );
    expect(found, 'use own (console-ui/src/own.ts) or a Map').toEqual([]);
  });
});
