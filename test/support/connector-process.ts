import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** A fresh folder holding a copy of `config/` (optionally with another mapping.yaml), for a connector to run in. */
export function connectorDir(mappingYaml?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'connector-process-'));
  cpSync(join(REPO_DIR, 'config'), join(dir, 'config'), { recursive: true });
  if (mappingYaml !== undefined) writeFileSync(join(dir, 'config', 'mapping.yaml'), mappingYaml);
  return dir;
}

/** Runs the connector as a real process in `dir`, with exactly the given environment (plus PATH). */
export function startConnectorProcess(dir: string, env: Record<string, string>): ConnectorProcess {
  if (!existsSync(MAIN)) throw new Error('dist/main.js is missing: run npm run build (npm test does)');
  const child = spawn(process.execPath, [MAIN], {
    cwd: dir,
    env: { PATH: process.env['PATH'] ?? '', ...env },
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
