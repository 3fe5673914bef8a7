import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MAIN_SCRIPT = join(REPO_DIR, 'dist', 'main.js');
/** The connector's application plus a bare route (`bench/bench-app.ts`). */
export const BENCH_APP_SCRIPT = join(REPO_DIR, 'dist-bench', 'bench', 'bench-app.js');
export const VOICEFOX_SECRET = 'bench-voicefox-secret-0123456789';
export const YUNFU_SECRET = 'bench-yunfu-secret-0123456789';
export const RETELL_API_KEY = 'bench-retell-api-key-0123456789';

export interface BenchProcess {
  url: string;
  child: ChildProcess;
  dir: string;
  /** Peak resident set size so far (Linux VmHWM), in MiB. */
  peakRssMiB(): number;
  rssMiB(): number;
  /** Stops the process; its folder (store, config) is removed unless `keepDir`. */
  stop(signal?: NodeJS.Signals, keepDir?: boolean): Promise<void>;
}

const children = new Set<ChildProcess>();
/** Whatever happens to the benchmark, no process it started outlives it. */
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts the connector (or the bench app) as its own process, in a fresh folder with a copy of config/. */
export async function startProcess(
  script: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
  reuseDir?: string,
): Promise<BenchProcess> {
  const dir = reuseDir ?? mkdtempSync(join(tmpdir(), 'connector-bench-'));
  if (!reuseDir) cpSync(join(REPO_DIR, 'config'), join(dir, 'config'), { recursive: true });
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd: dir,
    env: {
      PATH: process.env['PATH'] ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      // The connector's default; it also prints the "connector listening" line this function waits for.
      LOG_LEVEL: 'info',
      VOICEFOX_WEBHOOK_SECRET: VOICEFOX_SECRET,
      YUNFU_WEBHOOK_SECRET: YUNFU_SECRET,
      RETELL_API_KEY,
      // The payloads link to recording hosts off this machine: only the recordings benchmark fetches (from loopback).
      RECORDINGS_ENABLED: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let output = '';
  // Only the recent output is kept: a process logging every request must not grow the benchmark's own memory.
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-64 * 1024);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const url = await new Promise<string>((resolve, reject) => {
    const deadline = setTimeout(() => {
      clearInterval(check);
      child.kill('SIGKILL');
      reject(new Error(`no start within 30 s:\n${output.slice(-2000)}`));
    }, 30_000);
    const check: NodeJS.Timeout = setInterval(() => {
      const match = /"(?:benchApp|url)":"(http:\/\/[^"]+)"/.exec(output);
      if (match) {
        clearInterval(check);
        clearTimeout(deadline);
        resolve(match[1]!);
      } else if (child.exitCode !== null) {
        clearInterval(check);
        clearTimeout(deadline);
        reject(new Error(`exited:\n${output.slice(-2000)}`));
      }
    }, 20);
  });
  const status = (field: string): number => {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  };
  return {
    url,
    child,
    dir,
    peakRssMiB: () => status('VmHWM'),
    rssMiB: () => status('VmRSS'),
    async stop(signal: NodeJS.Signals = 'SIGTERM', keepDir = false) {
      if (child.exitCode === null) {
        child.kill(signal);
        await new Promise((resolve) => child.once('exit', resolve));
      }
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

export function chinaMobile(index: number): string {
  return `138${String(index).padStart(8, '0')}`;
}

/** A Yunfu call item like the seed, with its own id, number and level. */
export function yunfuCall(callid: string, number: string, intention: number): Record<string, unknown> {
  return {
    calldate: '2025-09-25 21:39:55',
    answerdate: '2025-09-25 21:39:55',
    bill: 43,
    duration: 43,
    callid,
    intention_results: intention,
    rounds: 2,
    score: 0,
    number_data: { number, hangupdate: '2025-09-25 21:40:38', province: '山西', city: '晋中', operator: '联通' },
    task: { id: 'cb4a91c2-09c0-4c71-8e67-3887f593bd4d', name: 'cky呼入任务测试' },
    tags: [{ tag_id: 't1', name: '打出来的是什么号码' }],
    customer_data: { name: '未知', email: null, company: null, extra: null },
    voice_url: 'hw.test-saas.our.top/api/agent-api/download-voice?key=Um5tQ1dGWXdlVGJYVUF1TDB',
  };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

/** A VoiceFox `callin.collect` webhook body as the ingest runs send it. */
export function voicefoxWebhook(sessionId: string, caller: string): string {
  return JSON.stringify({
    event_name: 'callin.collect',
    event_data: {
      session_id: sessionId,
      caller,
      callee: '4008001234',
      start_at: '2025-09-25 21:39:55',
      answer_at: '2025-09-25 21:40:02',
      end_at: '2025-09-25 21:40:45',
      duration: 50,
      billsec: 43,
      direction: 'inbound',
      collect_targets: [
        { question: '您对我们的产品感兴趣吗?', hit: true, result: '感兴趣', message: '', question_uuid: 'q1' },
      ],
      conversation_analysis: [{ title: '通话摘要', result: '客户对产品感兴趣。' }],
      record_url: 'https://media.voicefox.example/records/x.mp3',
      extra: {},
    },
  });
}

/**
 * A Retell `call_analyzed` webhook body as the ingest runs send it: about the size of `voicefoxWebhook`'s, so that the
 * two routes differ mainly in their auth (a signature over the body against a shared secret).
 */
export function retellWebhook(callId: string, customer: string): string {
  return JSON.stringify({
    event: 'call_analyzed',
    call: {
      call_type: 'phone_call',
      call_id: callId,
      agent_id: 'agent_3b1f8e0c27d94a6f5e8c1d2b70',
      agent_name: 'Brightside Dental – reminders',
      direction: 'outbound',
      from_number: '+14157774444',
      to_number: customer,
      call_status: 'ended',
      start_timestamp: 1764088212418,
      end_timestamp: 1764088399838,
      duration_ms: 187420,
      disconnection_reason: 'user_hangup',
      recording_url: 'https://dxc03zgurdly9.cloudfront.net/bench/recording.wav',
      retell_llm_dynamic_variables: { customer_name: 'María González' },
      call_analysis: {
        call_summary: 'The customer rescheduled to Thursday at 4:15 PM.',
        user_sentiment: 'Positive',
        call_successful: true,
        custom_analysis_data: { intention: 'hot', tags: ['rescheduled'], new_appointment: 'Thursday 4:15 PM' },
      },
    },
  });
}

/** `x-retell-signature` as Retell signs (retell-sdk's webhook_auth): HMAC-SHA256 hex of the body + ms timestamp. */
export function retellSignature(body: string, key = RETELL_API_KEY): Record<string, string> {
  const timestamp = Date.now();
  const digest = createHmac('sha256', key)
    .update(body + timestamp)
    .digest('hex');
  return { 'x-retell-signature': `v=${timestamp},d=${digest}` };
}

/** A US number per index (the 555 exchange), as Retell sends them: E.164. */
export function usNumber(index: number): string {
  return `+1415555${String(index % 10_000).padStart(4, '0')}`;
}

export interface LoadFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  total: number;
}

/**
 * autocannon, 50 connections, for `seconds` against one POST route; each request gets a fresh body. Each connection
 * is replaced after 500 requests, as the connector closes a kept-alive connection after 1,000
 * (`MAX_REQUESTS_PER_CONNECTION`) and autocannon does not recover from that: past 50,000 requests (5,000 per second
 * over 10 s, which the bare route reaches on an idle machine) every further request failed at once and counted.
 */
export async function hammer(
  url: string,
  path: string,
  seconds: number,
  body: () => string,
  headers: Record<string, string> = {},
  /** Headers that depend on each request's body (a signature over it). */
  headersFor?: (body: string) => Record<string, string>,
): Promise<LoadFigures> {
  const result = await autocannon({
    url,
    connections: 50,
    duration: seconds,
    reconnectRate: 500,
    requests: [
      {
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', ...headers },
        setupRequest: (request) => {
          const text = body();
          return headersFor
            ? { ...request, body: text, headers: { ...request.headers, ...headersFor(text) } }
            : { ...request, body: text };
        },
      },
    ],
  });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    total: result.requests.total,
  };
}
