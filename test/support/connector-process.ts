import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabaseSync, POSTGRES_RUN } from './postgres.js';
import { REPO_DIR, waitFor } from './test-app.js';

/** The built entry point, as `npm start` runs it (`npm test` builds first). */
export const MAIN = join(REPO_DIR, 'dist', 'main.js');

export interface ConnectorProcess {
  child: ChildProcess;
  dir: string;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the connector's URL once it listens. */
  listening: (timeoutMs?: number) => Promise<string>;
}

const DATABASE_URL_FILE = '.test-database-url';

/** The folder's PostgreSQL database under TEST_STORE=postgres (else the default: the SQLite file in the folder). */
function folderDatabase(dir: string): Record<string, string> {
  const file = join(dir, DATABASE_URL_FILE);
  return existsSync(file) ? { DATABASE_URL: readFileSync(file, 'utf8') } : {};
}

/**
 * A fresh folder holding a copy of `config/` (optionally with another mapping.yaml), for a connector to run in.
 * `embedded`: the connector's own default store (the SQLite file in the folder) even under TEST_STORE=postgres.
 */
export function connectorDir(mappingYaml?: string, store: 'as-run' | 'embedded' = 'as-run'): string {
  const dir = mkdtempSync(join(tmpdir(), 'connector-process-'));
  cpSync(join(REPO_DIR, 'config'), join(dir, 'config'), { recursive: true });
  if (mappingYaml !== undefined) writeFileSync(join(dir, 'config', 'mapping.yaml'), mappingYaml);
  // TEST_STORE=postgres: the folder's store is a fresh PostgreSQL database (kept across restarts in the same folder).
  if (POSTGRES_RUN && store === 'as-run') writeFileSync(join(dir, DATABASE_URL_FILE), createTestDatabaseSync());
  return dir;
}

/**
 * Runs the connector as a real process in `dir`, with exactly the given environment (plus PATH, and
 * `RECORDINGS_ENABLED=false` unless given: fixtures link to recording hosts off this machine).
 */
export function startConnectorProcess(dir: string, env: Record<string, string>): ConnectorProcess {
  if (!existsSync(MAIN)) throw new Error('dist/main.js is missing: run npm run build (npm test does)');
  const child = spawn(process.execPath, [MAIN], {
    cwd: dir,
    env: { PATH: process.env['PATH'] ?? '', RECORDINGS_ENABLED: 'false', ...folderDatabase(dir), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    dir,
    output: () => output,
    exit,
    async listening(timeoutMs = 20_000) {
      await waitFor(() => output.includes('"connector listening"') || child.exitCode !== null, timeoutMs);
      const line = output.split('\n').find((entry) => entry.includes('"connector listening"'));
      if (!line) throw new Error(`the connector did not start:\n${output.slice(-2000)}`);
      return (JSON.parse(line) as { url: string }).url;
    },
  };
}
