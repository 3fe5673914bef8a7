import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { ESLint } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Each guardrail CI runs refuses a deliberate violation, and passes its clean counterpart (so that a refusal cannot
 * come from the tool failing for another reason). The real tools with the repository's own config files run on
 * small fixtures in a temporary folder; nothing is written into src/.
 */
const REPO_DIR = join(import.meta.dirname, '..');
const DEPCRUISE = join(REPO_DIR, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const PRETTIER = join(REPO_DIR, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
const run = promisify(execFile);

let workDir: string;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'guardrails-'));
});
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

/** Writes files (path → text) under a fresh folder of the work directory and returns that folder. */
function tree(name: string, files: Record<string, string>): string {
  const root = join(workDir, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/**
 * Runs a tool's CLI to its end (at most 20 s); its exit code and everything it printed, without colour codes (a CI
 * runner may set FORCE_COLOR, and the tools then colour even a pipe).
 */
async function cli(script: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  try {
    const { stdout, stderr } = await run(process.execPath, [script, ...args], { cwd, env, timeout: 20_000 });
    return { code: 0, output: stripVTControlCharacters(stdout + stderr) };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, output: stripVTControlCharacters(`${failed.stdout ?? ''}${failed.stderr ?? ''}`) };
  }
}

describe('layer rules (dependency-cruiser)', () => {
  const TSCONFIG = JSON.stringify({
    compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' },
    include: ['src'],
  });
  const cruise = (root: string) =>
    cli(
      DEPCRUISE,
      ['src', '--config', join(REPO_DIR, '.dependency-cruiser.cjs'), '--output-type', 'err', '--no-progress'],
      root,
    );

  it('refuses a store file importing the sync, a mapping file reading the disk, and a cycle, each by its rule', async () => {
    const root = tree('layers-refused', {
      'tsconfig.json': TSCONFIG,
      'src/sync/drain.ts': 'export function drain(): number {\n  return 1;\n}\n',
      'src/store/inbox-peek.ts': "import { drain } from '../sync/drain.js';\n\nexport const peek = drain;\n",
      'src/mapping/preview.ts':
        "import { readFileSync } from 'node:fs';\n\nexport const read = () => readFileSync('x');\n",
      'src/sync/ping.ts': "import { pong } from './pong.js';\n\nexport const ping = (): number => pong() + 1;\n",
      'src/sync/pong.ts': "import { ping } from './ping.js';\n\nexport const pong = (): number => ping() - 1;\n",
    });
    const { code, output } = await cruise(root);
    expect(code).toBeGreaterThan(0);
    expect(output).toContain('error store-only-common-config-logging: src/store/inbox-peek.ts → src/sync/drain.ts');
    expect(output).toContain('error mapping-is-pure: src/mapping/preview.ts → fs');
    expect(output).toMatch(/error no-circular: src\/sync\/(ping|pong)\.ts → /);
  });

  it('refuses the HubSpot SDK outside the adapter, the emulator outside sandbox mode, a database driver outside the store and DNS in mapping, and allows each where it belongs', async () => {
    const root = tree('layers-packages', {
      'tsconfig.json': TSCONFIG,
      'src/sync/shortcut.ts':
        "import { Client } from '@hubspot/api-client';\n\nexport const client = (): Client => new Client();\n",
      'src/sync/sandbox.ts': "export const load = () => import('@ai-call-hubspot-connector/hubspot-emulator');\n",
      'src/sync/raw-sql.ts': "import pg from 'pg';\n\nexport const pool = (): pg.Pool => new pg.Pool();\n",
      'src/mapping/lookup.ts': "import { lookup } from 'node:dns';\n\nexport const resolve = lookup;\n",
      'src/store/pool.ts': "import pg from 'pg';\n\nexport const pool = (): pg.Pool => new pg.Pool();\n",
      'src/hubspot/hubspot-sdk.adapter.ts':
        "import { Client } from '@hubspot/api-client';\n\nexport const client = (): Client => new Client();\n",
      'src/hubspot/hubspot.module.ts':
        "export const load = () => import('@ai-call-hubspot-connector/hubspot-emulator');\n",
    });
    // The repository's packages, so that the imports resolve as they do in src/.
    symlinkSync(join(REPO_DIR, 'node_modules'), join(root, 'node_modules'), 'dir');
    const { code, output } = await cruise(root);
    expect(code).toBe(4);
    expect(output).toMatch(
      /error sdk-only-in-adapter: src\/sync\/shortcut\.ts → \S*node_modules\/@hubspot\/api-client\//,
    );
    expect(output).toMatch(
      /error emulator-only-for-sandbox-mode: src\/sync\/sandbox\.ts → \S*packages\/hubspot-emulator\//,
    );
    expect(output).not.toContain('src/hubspot/hubspot-sdk.adapter.ts →');
    expect(output).not.toContain('src/hubspot/hubspot.module.ts →');
    expect(output).toMatch(/error database-only-in-store: src\/sync\/raw-sql\.ts → \S*node_modules\/pg\//);
    expect(output).toContain('error mapping-is-pure: src/mapping/lookup.ts → dns');
    expect(output).not.toContain('src/store/pool.ts →');
  });

  it('passes the same layers when each imports only what it may', async () => {
    const root = tree('layers-clean', {
      'tsconfig.json': TSCONFIG,
      'src/common/clock.ts': 'export const now = (): number => Date.now();\n',
      'src/store/inbox-peek.ts': "import { now } from '../common/clock.js';\n\nexport const peek = now;\n",
      'src/hubspot/hubspot.port.ts': 'export type Properties = Record<string, string>;\n',
      'src/mapping/preview.ts':
        "import type { Properties } from '../hubspot/hubspot.port.js';\nimport { now } from '../common/clock.js';\n\n" +
        'export const preview = (): Properties => ({ at: String(now()) });\n',
      'src/sync/drain.ts':
        "import { peek } from '../store/inbox-peek.js';\n\nexport const drain = (): number => peek();\n",
    });
    const { code, output } = await cruise(root);
    expect(output).toContain('no dependency violations found');
    expect(code).toBe(0);
  });
});

describe('lint (ESLint, type-aware)', () => {
  // The text is linted in place of src/main.ts, in memory: the type-aware rules need a file the repository's
  // tsconfig holds, and nothing may be written into src/.
  const lint = async (text: string) => {
    const [result] = await new ESLint({ cwd: REPO_DIR }).lintText(text, { filePath: join(REPO_DIR, 'src', 'main.ts') });
    return result!.messages.map((message) => `${message.ruleId ?? 'fatal'}: ${message.message}`);
  };
  const verifier =
    'async function verify(secret: string): Promise<boolean> {\n  return Promise.resolve(secret.length > 16);\n}\n';

  it(
    "refuses a promise nobody awaits, and a promise taken for the verifier's answer",
    { timeout: 60_000 },
    async () => {
      const messages = await lint(
        `${verifier}\nexport function accept(secret: string): boolean {\n  verify(secret);\n` +
          '  if (verify(secret)) return true;\n  return false;\n}\n',
      );
      expect(messages.filter((message) => message.startsWith('@typescript-eslint/no-floating-promises'))).toHaveLength(
        1,
      );
      expect(messages.filter((message) => message.startsWith('@typescript-eslint/no-misused-promises'))).toHaveLength(
        1,
      );
    },
  );

  it('passes the same code with the promises awaited, and never judges formatting', { timeout: 60_000 }, async () => {
    const messages = await lint(
      `${verifier}\nexport async function accept(secret: string):Promise<boolean>{ await verify( secret )\n` +
        '  if (await verify(secret)) return true; return false }\n',
    );
    expect(messages).toEqual([]);
  });
});

describe('format (Prettier)', () => {
  const check = (root: string, file: string) =>
    cli(PRETTIER, ['--check', '--config', join(REPO_DIR, '.prettierrc.json'), file], root);
  // 108 characters: Prettier's default of 80 would wrap it, the repository's 120 keeps it; single quotes too.
  const wide = `export const message = (name: string): string => \`the value of \${name} is not what the mapping expects here\`;\n`;

  it('refuses a badly formatted file', async () => {
    const root = tree('format-refused', { 'bad.ts': 'export const answer = {code:"ok" ,  status :200}\n' });
    const { code, output } = await check(root, 'bad.ts');
    expect(code).toBe(1);
    expect(output).toContain('[warn] bad.ts');
  });

  it("passes a file written in the repository's style (120 columns, single quotes)", async () => {
    const root = tree('format-clean', { 'good.ts': `export const answer = { code: 'ok', status: 200 };\n${wide}` });
    const { code, output } = await check(root, 'good.ts');
    expect(output).toContain('All matched files use Prettier code style!');
    expect(code).toBe(0);
  });
});
