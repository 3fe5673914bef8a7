import { signatureCost, type SignatureCost } from './signature-cost.js';
import { HubSpotEmulator } from '@ai-call-hubspot-connector/hubspot-emulator';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  BENCH_APP_SCRIPT,
  chinaMobile,
  hammer,
  MAIN_SCRIPT,
  percentile,
  post,
  REPO_DIR,
  retellSignature,
  retellWebhook,
  startProcess,
  usNumber,
  VOICEFOX_SECRET,
  voicefoxWebhook,
  waitFor,
  YUNFU_SECRET,
  yunfuCall,
  type LoadFigures,
} from './bench-support.js';
import {
  DIALECT_TITLES,
  PostgresServer,
  sqliteStore,
  BENCH_DATABASE_URL,
  type BenchDialect,
  type BenchStore,
} from './bench-stores.js';
import { floorFlow, floorSearches } from './floor-flow.js';
import { growth, harvestTemplates, type GrowthResult } from './growth.js';
import { naiveFlow } from './naive-flow.js';
import { recordingsBench, type RecordingsFigures, type RecordingsRunFigures } from './recordings-bench.js';
import { retentionBench, type RetentionFigures } from './retention-bench.js';

/**
 * `npm run bench`: ingest speed, HubSpot quota efficiency, the cost of a large store and the recordings stage's
 * throughput and memory, each against a baseline run in the same process and the same run (these machines are
 * noisy; absolute times do not carry over), on SQLite and, when a server is reachable, on PostgreSQL. Prints a table, writes bench/results.json. Traffic goes to loopback
 * only; every loop is bounded.
 *
 * `npm run bench -- <part> [<part>…] [sqlite|postgres]` runs some parts, or one dialect, and replaces only their
 * sections of results.json.
 */
const PARTS = ['ingest', 'sync', 'latency', 'memory', 'growth', 'recordings'] as const;
type Part = (typeof PARTS)[number];
const DIALECTS: BenchDialect[] = ['sqlite', 'postgres'];
const args = process.argv.slice(2);
const onlyParts = args.filter((arg) => !DIALECTS.includes(arg as BenchDialect) && arg !== 'sync-profile');
const onlyDialects = args.filter((arg): arg is BenchDialect => DIALECTS.includes(arg as BenchDialect));
const wantedPart = (name: Part) => onlyParts.length === 0 || onlyParts.includes(name);

/** One dialect's run: where its stores come from, and its sections of the results. */
interface DialectRun {
  dialect: BenchDialect;
  newStore(): Promise<BenchStore>;
  results: Record<string, unknown>;
}

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

/** The 1-minute load average, for the record: other work on the machine shows up in every figure. */
function load(): number {
  return Number(loadavg()[0]!.toFixed(2));
}

async function ingest(run: DialectRun): Promise<Record<string, unknown>> {
  const signature = signatureCost();
  log(
    `  signature check alone: ${signature.microsPerDelivery} µs per ${signature.bodyBytes}-byte Retell delivery (${signature.rounds.toLocaleString('en')} rounds)`,
  );
  return { ingest: await ingestAt(run, 'info'), ingestQuietLogs: await ingestAt(run, 'warn'), signature };
}

/** At the default log level (a line per request) and with request logging off (`warn`). */
async function ingestAt(run: DialectRun, logLevel: 'info' | 'warn'): Promise<Record<string, unknown>> {
  log(
    `ingest (LOG_LEVEL=${logLevel}): autocannon, 50 connections, 3 s warm-up then 10 s, against POST /webhooks/voicefox (a shared secret), POST /webhooks/retell (each body signed) and a bare route of the same app`,
  );
  const store = await run.newStore();
  const emulator = await HubSpotEmulator.start();
  const app = await startProcess(
    BENCH_APP_SCRIPT,
    {
      SYNC_ENABLED: 'false',
      HUBSPOT_ACCESS_TOKEN: 'pat-bench',
      HUBSPOT_BASE_URL: emulator.url,
      LOG_LEVEL: logLevel,
      DATABASE_URL: store.url,
    },
    process.env['BENCH_CPU_PROF'] ? ['--cpu-prof', `--cpu-prof-dir=${join(REPO_DIR, 'bench', 'profiles')}`] : [],
  );
  let counter = 0;
  const webhook = () => voicefoxWebhook(`bench-${process.pid}-${counter++}`, chinaMobile(counter % 100_000));
  const headers = { authorization: `Bearer ${VOICEFOX_SECRET}` };
  try {
    await hammer(app.url, '/webhooks/voicefox', 3, webhook, headers);
    const connector = await hammer(app.url, '/webhooks/voicefox', 10, webhook, headers);
    // The same ingest with the signature checked: Retell's HMAC over each body (made by the client per request).
    const retellBody = () => retellWebhook(`bench-${process.pid}-${counter++}`, usNumber(counter));
    await hammer(app.url, '/webhooks/retell', 3, retellBody, {}, retellSignature);
    const retell = await hammer(app.url, '/webhooks/retell', 10, retellBody, {}, retellSignature);
    await hammer(app.url, '/bench/bare', 3, webhook, headers);
    const bare = await hammer(app.url, '/bench/bare', 10, webhook, headers);
    return {
      logLevel,
      connector,
      retell,
      bare,
      ratio: Number((connector.requestsPerSecond / bare.requestsPerSecond).toFixed(2)),
      retellOverVoicefox: Number((retell.requestsPerSecond / connector.requestsPerSecond).toFixed(2)),
      retellRatio: Number((retell.requestsPerSecond / bare.requestsPerSecond).toFixed(2)),
      targets: { ratio: 0.5, p99Ms: 50, errors: 0, retellOverVoicefox: 0.95 },
    };
  } finally {
    await app.stop(process.env['BENCH_CPU_PROF'] ? 'SIGUSR2' : 'SIGTERM');
    await emulator.close();
    await store.drop();
  }
}

/** Existing contacts as people type numbers: with and without +86, spaces, dashes, in phone or mobile. */
function mixedFormat(national: string, index: number): Record<string, string> {
  const spaced = `${national.slice(0, 3)} ${national.slice(3, 7)} ${national.slice(7)}`;
  const formats = [
    national,
    `+86 ${spaced}`,
    `+86-${national.slice(0, 3)}-${national.slice(3, 7)}-${national.slice(7)}`,
    spaced,
    `+86${national}`,
  ];
  const value = formats[index % formats.length]!;
  return index % 3 === 0 ? { mobilephone: value } : { phone: value };
}

/** The naive flow does not touch the store: measured once per run and shown beside each dialect's drain. */
let naiveBaseline: Awaited<ReturnType<typeof naiveRun>> | null = null;

async function sync(run: DialectRun): Promise<Record<string, unknown>> {
  const CALLS = 2_000;
  const NUMBERS = 1_400;
  const EXISTING = 420;
  log(
    `sync: ${CALLS} calls from ${NUMBERS} numbers (${EXISTING} existing contacts, mixed formats), HubSpot limits 100 / 10 s, search 5 / s, search lag 5 s`,
  );
  const numbers = Array.from({ length: NUMBERS }, (_, index) => chinaMobile(500_000 + index));
  const existing = new Set(numbers.filter((_, index) => index % 10 < 3).slice(0, EXISTING));
  const calls = Array.from({ length: CALLS }, (_, index) => ({
    key: `bench-sync-${index}`,
    number: numbers[index % NUMBERS]!,
    intention: (index % 6) + 1,
  }));
  const seed = (emulator: HubSpotEmulator) =>
    [...existing].forEach((number, index) =>
      emulator.seedObject('contacts', { firstname: `Existing ${index}`, ...mixedFormat(number, index) }),
    );

  const store = await run.newStore();
  const emulator = await HubSpotEmulator.start({ limits: { searchLagMs: 5_000 } });
  seed(emulator);
  // The burst arrives at an instance that only stores (SYNC_ENABLED=false)...
  const receiver = await startProcess(MAIN_SCRIPT, {
    HUBSPOT_ACCESS_TOKEN: 'pat-bench',
    HUBSPOT_BASE_URL: emulator.url,
    SYNC_ENABLED: 'false',
    DATABASE_URL: store.url,
  });
  const posted = Date.now();
  const posts = Array.from({ length: CALLS / 20 }, (_, index) => calls.slice(index * 20, index * 20 + 20));
  for (let index = 0; index < posts.length; index += 4) {
    await Promise.all(
      posts.slice(index, index + 4).map((part) =>
        post(`${receiver.url}/webhooks/yunfu/${YUNFU_SECRET}`, {
          count: part.length,
          data: part.map((call) => yunfuCall(call.key, call.number, call.intention)),
        }),
      ),
    );
  }
  const ingestMs = Date.now() - posted;
  await receiver.stop('SIGTERM', true);
  // ...then a connector starts on that store and drains the backlog: timed from its start to the last call in HubSpot.
  const started = Date.now();
  const connector = await startProcess(
    MAIN_SCRIPT,
    { HUBSPOT_ACCESS_TOKEN: 'pat-bench', HUBSPOT_BASE_URL: emulator.url, DATABASE_URL: store.url },
    [],
    receiver.dir,
  );
  const startupMs = Date.now() - started;
  let drainMs: number;
  try {
    await waitFor(() => emulator.listObjects('calls').length >= CALLS, 300_000, 25);
    // From the moment the connector listens (its start-up is reported on its own).
    drainMs = Date.now() - started - startupMs;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  } finally {
    await connector.stop();
    await store.drop();
  }
  const keys = emulator.listObjects('calls').map((call) => call.properties['ai_call_key']);
  const contacts = emulator.listObjects('contacts').length;
  const requests = emulator.counters.total;
  const searches = Object.entries(emulator.counters.byEndpoint)
    .filter(([endpoint]) => endpoint.endsWith('/search'))
    .reduce((sum, [, value]) => sum + value.total, 0);
  const connectorResult = {
    drainSeconds: drainMs / 1000,
    startupSeconds: startupMs / 1000,
    ingestSeconds: ingestMs / 1000,
    requests,
    searches,
    largestSearchBody: emulator.counters.largestSearchBody,
    refused: Object.entries(emulator.counters.byStatus)
      .filter(([status]) => status.startsWith('4') && status !== '429')
      .reduce((sum, [, count]) => sum + count, 0),
    requestsPerCall: Number((requests / CALLS).toFixed(3)),
    rateLimited: emulator.counters.rateLimited.total,
    duplicateCalls: keys.length - new Set(keys).size,
    duplicateContacts: contacts - NUMBERS,
  };
  await emulator.close();

  // Baseline (a): the naive per-call flow, on a sample of the same calls against a fresh, identical portal.
  naiveBaseline ??= await naiveRun(calls, existing, seed);
  const naive = naiveBaseline;

  // Baseline (b): the floor. Writes: calls and new contacts in batches of 100; finding which numbers exist: searches
  // as full as HubSpot's 3,000-character body allows. Time: what the limits force (100 requests per 10 s; 5 searches
  // per second).
  const floorBurst = Math.ceil(CALLS / 100) + Math.ceil((NUMBERS - EXISTING) / 100);
  const floorSearchCount = floorSearches(numbers).length;
  const floorSeconds = Math.max(Math.max(0, floorBurst - 100) / 10, Math.max(0, floorSearchCount - 5) / 5);
  // ...and executed, against a fresh identical portal, for the time its round trips take on this machine.
  const floorEmulator = await HubSpotEmulator.start({ limits: { searchLagMs: 5_000 } });
  seed(floorEmulator);
  const executed = await floorFlow(floorEmulator.url, calls);
  await floorEmulator.close();
  const floor = {
    burstRequests: floorBurst,
    searches: floorSearchCount,
    requestsPerCall: Number(((floorBurst + floorSearchCount) / CALLS).toFixed(3)),
    quotaSeconds: floorSeconds,
    executedSeconds: executed.seconds,
    executedRequests: executed.requests,
  };
  return {
    sync: {
      connector: connectorResult,
      naive,
      floor,
      fewerRequestsThanNaive: Number((naive.requestsPerCall / connectorResult.requestsPerCall).toFixed(1)),
      drainOverFloorQuotaTime:
        floorSeconds > 0 ? Number((connectorResult.drainSeconds / floorSeconds).toFixed(2)) : null,
      drainOverFloorExecuted: Number((connectorResult.drainSeconds / executed.seconds).toFixed(2)),
      targets: { requestsPerCall: 0.05, fewerThanNaive: 20, drainOverFloor: 1.25, duplicates: 0 },
    },
  };
}

async function naiveRun(
  calls: Array<{ key: string; number: string }>,
  existing: Set<string>,
  seed: (emulator: HubSpotEmulator) => void,
) {
  const SAMPLE = 200;
  const CALLS = calls.length;
  log(`sync baseline: the naive per-call flow on ${SAMPLE} of the calls (it does not use the store: measured once)`);
  const naiveEmulator = await HubSpotEmulator.start({ limits: { searchLagMs: 5_000 } });
  seed(naiveEmulator);
  const naiveStarted = Date.now();
  await naiveFlow(
    naiveEmulator.url,
    calls.slice(0, SAMPLE).map((call) => ({ key: call.key, number: call.number, durationMs: 43_000 })),
  );
  const naiveSeconds = (Date.now() - naiveStarted) / 1000;
  const naiveRequests = naiveEmulator.counters.total;
  const naiveContacts = naiveEmulator.listObjects('contacts').length;
  const sampleNumbers = new Set(calls.slice(0, SAMPLE).map((call) => call.number));
  const naive = {
    sampleCalls: SAMPLE,
    requests: naiveRequests,
    requestsPerCall: Number((naiveRequests / SAMPLE).toFixed(2)),
    seconds: naiveSeconds,
    extrapolatedDrainSeconds: Math.round((naiveSeconds * CALLS) / SAMPLE),
    rateLimited: naiveEmulator.counters.rateLimited.total,
    duplicateContacts:
      naiveContacts - (existing.size + [...sampleNumbers].filter((number) => !existing.has(number)).length),
  };
  await naiveEmulator.close();
  return naive;
}

async function latency(run: DialectRun): Promise<Record<string, unknown>> {
  log('latency: one call every 2 s for 60 s; webhook sent → call visible in HubSpot');
  const store = await run.newStore();
  const emulator = await HubSpotEmulator.start();
  const connector = await startProcess(MAIN_SCRIPT, {
    HUBSPOT_ACCESS_TOKEN: 'pat-bench',
    HUBSPOT_BASE_URL: emulator.url,
    DATABASE_URL: store.url,
  });
  const times: number[] = [];
  try {
    for (let index = 0; index < 30; index++) {
      const tick = Date.now();
      const session = `bench-latency-${index}`;
      await post(
        `${connector.url}/webhooks/voicefox`,
        {
          event_name: 'callin.collect',
          event_data: {
            session_id: session,
            caller: chinaMobile(900 + index),
            direction: 'inbound',
            start_at: '2025-09-25 21:39:55',
            billsec: 43,
          },
        },
        { authorization: `Bearer ${VOICEFOX_SECRET}` },
      );
      await waitFor(
        () => emulator.listObjects('calls').some((call) => call.properties['ai_call_key'] === `voicefox:${session}`),
        30_000,
        5,
      );
      times.push(Date.now() - tick);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 2_000 - (Date.now() - tick))));
    }
  } finally {
    await connector.stop();
    await emulator.close();
    await store.drop();
  }
  return {
    latency: {
      calls: times.length,
      p50Ms: percentile(times, 50),
      p95Ms: percentile(times, 95),
      maxMs: Math.max(...times),
      targets: { p95Ms: 3_000 },
    },
  };
}

async function memory(run: DialectRun): Promise<Record<string, unknown>> {
  const CALLS = 10_000;
  log(`memory: peak RSS of the connector while a ${CALLS}-call backlog arrives and drains at HubSpot's default limits`);
  const store = await run.newStore();
  const emulator = await HubSpotEmulator.start();
  const connector = await startProcess(MAIN_SCRIPT, {
    HUBSPOT_ACCESS_TOKEN: 'pat-bench',
    HUBSPOT_BASE_URL: emulator.url,
    DATABASE_URL: store.url,
  });
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(connector.rssMiB()), 250);
  const started = Date.now();
  try {
    const posts = Array.from({ length: CALLS / 50 }, (_, index) =>
      Array.from({ length: 50 }, (__, item) =>
        yunfuCall(`bench-memory-${index * 50 + item}`, chinaMobile(700_000 + ((index * 50 + item) % 5_000)), 1),
      ),
    );
    for (let index = 0; index < posts.length; index += 4) {
      await Promise.all(
        posts
          .slice(index, index + 4)
          .map((data) => post(`${connector.url}/webhooks/yunfu/${YUNFU_SECRET}`, { count: data.length, data })),
      );
    }
    const ingested = Date.now() - started;
    await waitFor(() => emulator.listObjects('calls').length >= CALLS, 600_000, 250);
    return {
      memory: {
        calls: CALLS,
        ingestSeconds: ingested / 1000,
        drainSeconds: (Date.now() - started) / 1000,
        peakRssMiB: Math.round(connector.peakRssMiB()),
        medianRssMiB: Math.round(percentile(samples, 50)),
        hubspotRequests: emulator.counters.total,
        targets: { peakRssMiB: 250 },
      },
    };
  } finally {
    clearInterval(sampler);
    await connector.stop();
    await emulator.close();
    await store.drop();
  }
}

/** Templates for the growth part's history: harvested once per run, by a real connector. */
let growthTemplates: Awaited<ReturnType<typeof harvestTemplates>> | null = null;

async function growthPart(run: DialectRun): Promise<Record<string, unknown>> {
  growthTemplates ??= await harvestTemplates(log);
  log(
    `growth: ingest and the worker's claim on an empty store and on one holding ${Number(process.env['BENCH_GROWTH_EVENTS'] ?? 1_000_000).toLocaleString('en')} events (seeded by bulk SQL)`,
  );
  return { growth: await growth(() => run.newStore(), growthTemplates, log) };
}

/**
 * Recordings kept in HubSpot's File Manager: 100 calls with a 5 MiB recording each, at Free/Starter's and
 * Professional's burst limits, two and four uploads at a time (bench/recordings-bench.ts).
 */
async function recordingsPart(run: DialectRun): Promise<Record<string, unknown>> {
  return {
    recordings: { ...(await recordingsBench(() => run.newStore(), log)), targets: { dead: 0, mismatchedFiles: 0 } },
  };
}

/** `npm run bench -- sync-profile`: a CPU profile of the sync loop draining a stored 2,000-call backlog. */
async function syncProfile(): Promise<void> {
  const emulator = await HubSpotEmulator.start();
  const receiver = await startProcess(MAIN_SCRIPT, {
    HUBSPOT_ACCESS_TOKEN: 'pat-bench',
    HUBSPOT_BASE_URL: emulator.url,
    SYNC_ENABLED: 'false',
  });
  for (let index = 0; index < 100; index++) {
    const data = Array.from({ length: 20 }, (_, item) =>
      yunfuCall(`bench-profile-${index * 20 + item}`, chinaMobile(800_000 + ((index * 20 + item) % 1_400)), 1),
    );
    await post(`${receiver.url}/webhooks/yunfu/${YUNFU_SECRET}`, { count: data.length, data });
  }
  await receiver.stop('SIGTERM', true);
  // The bench app is the connector's own application; it exits normally on SIGUSR2, so the profile gets written.
  const app = await startProcess(
    BENCH_APP_SCRIPT,
    { HUBSPOT_ACCESS_TOKEN: 'pat-bench', HUBSPOT_BASE_URL: emulator.url },
    ['--cpu-prof', `--cpu-prof-dir=${join(REPO_DIR, 'bench', 'profiles')}`],
    receiver.dir,
  );
  await waitFor(() => emulator.listObjects('calls').length >= 2_000, 120_000, 25);
  await app.stop('SIGUSR2');
  await emulator.close();
  log('profile written to bench/profiles/ (summary: node dist-bench/bench/profile-summary.js bench/profiles)');
}

const RUNNERS: Record<Part, (run: DialectRun) => Promise<Record<string, unknown>>> = {
  ingest,
  sync,
  latency,
  memory,
  growth: growthPart,
  recordings: recordingsPart,
};

async function main(): Promise<void> {
  if (args.includes('sync-profile')) {
    await syncProfile();
    return;
  }
  // `retention` is a part of its own, run only when asked (below).
  const unknown = onlyParts.filter((arg) => !PARTS.includes(arg as Part) && arg !== 'retention');
  if (unknown.length > 0)
    throw new Error(
      `unknown part ${unknown.join(', ')}: the parts are ${PARTS.join(', ')}, retention (and sqlite or postgres)`,
    );
  const machine = {
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: process.platform,
  };
  log(
    `machine: ${machine.cpus}, ${machine.memoryGiB} GiB, Node ${machine.node}; load average ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  );

  const runs: DialectRun[] = [];
  let retention: Record<'sqlite' | 'postgres', RetentionFigures> | undefined;
  const wantDialect = (dialect: BenchDialect) => onlyDialects.length === 0 || onlyDialects.includes(dialect);
  if (wantDialect('sqlite'))
    runs.push({ dialect: 'sqlite', newStore: () => Promise.resolve(sqliteStore()), results: {} });
  let server: PostgresServer | null = null;
  if (wantDialect('postgres')) {
    const reached = await PostgresServer.reach();
    if (reached instanceof PostgresServer) {
      server = reached;
      log(`postgres: a fresh database per run on ${server.describe()}, dropped after (BENCH_DATABASE_URL to change)`);
      runs.push({ dialect: 'postgres', newStore: () => reached.createStore(), results: {} });
    } else {
      const where = new URL(BENCH_DATABASE_URL);
      log(
        `postgres: SKIPPED, cannot use ${where.hostname}:${where.port || '5432'} (${reached.unreachable}); set BENCH_DATABASE_URL=postgres://… to use another server`,
      );
    }
  }
  try {
    // Part by part, each dialect in turn: the two dialects' figures of a part are taken close together in time.
    for (const part of PARTS.filter(wantedPart)) {
      for (const run of runs) {
        const loadAverage = load();
        log(`\n[${part} on ${DIALECT_TITLES[run.dialect]}] load average ${loadAverage}`);
        const sections = await RUNNERS[part](run);
        for (const [name, section] of Object.entries(sections))
          run.results[name] = { ...(section as object), measuredAt: new Date().toISOString(), loadAverage };
      }
    }
    // Only when asked (`npm run bench -- retention`): it needs a PostgreSQL server (the tests' one by default).
    if (onlyParts.includes('retention')) retention = await retentionBench(log);
  } finally {
    await server?.dropLeftovers();
  }
  // Each run replaces only the sections it measured, per dialect: a partial run (`npm run bench -- sync`) or a run
  // without a PostgreSQL server keeps the other figures of the last run.
  const file = join(REPO_DIR, 'bench', 'results.json');
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<BenchReport>) : {};
  const report: BenchReport = { at: new Date().toISOString(), machine };
  const retentionFigures = retention ?? previous.retention;
  if (retentionFigures) report.retention = retentionFigures;
  for (const dialect of DIALECTS) {
    const measured = runs.find((run) => run.dialect === dialect)?.results ?? {};
    const merged = { ...(previous[dialect] ?? {}), ...measured };
    if (Object.keys(merged).length > 0) report[dialect] = merged;
  }
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  log(`\n${renderTable(report)}`);
}

/** What the table reads of bench/results.json (sections of an earlier partial run included). */
interface DialectReport {
  ingest?: {
    connector: LoadFigures;
    bare: LoadFigures;
    ratio: number;
    logLevel: string;
    /** Signed Retell deliveries in the same run (absent from results measured before Retell was added). */
    retell?: LoadFigures;
    retellOverVoicefox?: number;
    /** Retell req/s ÷ bare req/s: the ingest ratio of a signed vendor, beside VoiceFox's `ratio`. */
    retellRatio?: number;
  };
  ingestQuietLogs?: DialectReport['ingest'];
  signature?: SignatureCost;
  sync?: {
    connector: Record<
      | 'drainSeconds'
      | 'startupSeconds'
      | 'ingestSeconds'
      | 'requestsPerCall'
      | 'requests'
      | 'searches'
      | 'largestSearchBody'
      | 'refused'
      | 'rateLimited'
      | 'duplicateCalls'
      | 'duplicateContacts',
      number
    >;
    naive: Record<
      'requestsPerCall' | 'sampleCalls' | 'seconds' | 'extrapolatedDrainSeconds' | 'duplicateContacts',
      number
    >;
    floor: Record<'requestsPerCall' | 'quotaSeconds' | 'executedRequests' | 'executedSeconds', number>;
    fewerRequestsThanNaive: number;
    drainOverFloorQuotaTime: number | null;
    drainOverFloorExecuted: number;
  };
  latency?: Record<'p50Ms' | 'p95Ms' | 'maxMs', number>;
  memory?: Record<'peakRssMiB' | 'medianRssMiB' | 'drainSeconds', number>;
  growth?: GrowthResult;
  recordings?: RecordingsFigures;
}
interface BenchReport {
  at: string;
  machine: Record<string, unknown>;
  sqlite?: DialectReport;
  postgres?: DialectReport;
  /** `npm run bench -- retention`: ingest alone and while pruning, on both dialects. */
  retention?: Record<'sqlite' | 'postgres', RetentionFigures>;
}

/** A row of the table: one cell per dialect; `met` when the row has a target. */
interface TableRow {
  measure: string;
  target: string;
  cell(report: DialectReport): { figure: string; met?: boolean } | undefined;
}

const ingestRows = (section: 'ingest' | 'ingestQuietLogs', logLevel: string): TableRow[] => [
  {
    measure: `ingest req/s, LOG_LEVEL=${logLevel} (connector / bare)`,
    target: '',
    cell: (r) =>
      r[section] && { figure: `${r[section].connector.requestsPerSecond} / ${r[section].bare.requestsPerSecond}` },
  },
  {
    measure: '  ratio connector / bare',
    target: '≥ 0.5',
    cell: (r) => r[section] && { figure: String(r[section].ratio), met: r[section].ratio >= 0.5 },
  },
  {
    measure: '  p50 / p99 latency',
    target: 'p99 ≤ 50 ms',
    cell: (r) =>
      r[section] && {
        figure: `${r[section].connector.p50Ms} / ${r[section].connector.p99Ms} ms`,
        met: r[section].connector.p99Ms <= 50,
      },
  },
  {
    measure: "  Retell (signed) ratio / bare, beside VoiceFox's",
    target: '',
    cell: (r) => {
      const figures = r[section];
      if (figures?.retellRatio === undefined) return undefined;
      return { figure: `${figures.retellRatio} / ${figures.ratio}` };
    },
  },
  {
    measure: '  Retell, signed: req/s, ratio to VoiceFox',
    target: '≥ 0.95',
    cell: (r) => {
      const figures = r[section];
      if (!figures?.retell || figures.retellOverVoicefox === undefined) return undefined;
      return {
        figure: `${figures.retell.requestsPerSecond} (${figures.retellOverVoicefox}; p99 ${figures.retell.p99Ms} ms, errors ${figures.retell.errors})`,
        met: figures.retellOverVoicefox >= 0.95 && figures.retell.errors === 0,
      };
    },
  },
  {
    measure: '  errors (connector / bare)',
    target: '0',
    cell: (r) =>
      r[section] && {
        figure: `${r[section].connector.errors} / ${r[section].bare.errors}`,
        met: r[section].connector.errors === 0 && r[section].bare.errors === 0,
      },
  },
];

const TABLE: TableRow[] = [
  ...ingestRows('ingest', 'info'),
  ...ingestRows('ingestQuietLogs', 'warn'),
  {
    measure: 'signature check alone, per Retell delivery (share of a signed delivery at the quiet-log rate)',
    target: 'a few %',
    cell: (r) => {
      if (!r.signature) return undefined;
      const rate = r.ingestQuietLogs?.retell?.requestsPerSecond;
      // One event loop serves every request: a delivery costs it about 1 / rate seconds.
      const share = rate ? (r.signature.microsPerDelivery * rate) / 10_000 : undefined;
      return {
        figure: `${r.signature.microsPerDelivery} µs${share === undefined ? '' : ` (${share.toFixed(1)} %)`}`,
        ...(share === undefined ? {} : { met: share <= 5 }),
      };
    },
  },
  {
    measure: 'sync drain of a 2,000-call backlog',
    target: '',
    cell: ({ sync }) =>
      sync && { figure: `${sync.connector.drainSeconds} s (+ ${sync.connector.startupSeconds} s start-up)` },
  },
  {
    measure: 'sync requests per call',
    target: '≤ 0.05',
    cell: ({ sync }) =>
      sync && {
        figure: `${sync.connector.requestsPerCall} (${sync.connector.requests} requests, ${sync.connector.searches} searches)`,
        met: sync.connector.requestsPerCall <= 0.05,
      },
  },
  {
    measure: 'largest search body / refused requests',
    target: '≤ 3,000 / 0',
    cell: ({ sync }) =>
      sync && {
        figure: `${sync.connector.largestSearchBody} / ${sync.connector.refused}`,
        met: sync.connector.largestSearchBody <= 3_000 && sync.connector.refused === 0,
      },
  },
  {
    measure: 'naive flow requests per call',
    target: '',
    cell: ({ sync }) =>
      sync && { figure: `${sync.naive.requestsPerCall} (~${sync.naive.extrapolatedDrainSeconds} s for 2,000)` },
  },
  {
    measure: 'fewer requests than naive',
    target: '≥ 20×',
    cell: ({ sync }) => sync && { figure: `${sync.fewerRequestsThanNaive}×`, met: sync.fewerRequestsThanNaive >= 20 },
  },
  {
    measure: 'floor executed (fewest requests)',
    target: '',
    cell: ({ sync }) =>
      sync && { figure: `${sync.floor.executedRequests} requests in ${sync.floor.executedSeconds} s` },
  },
  {
    measure: 'drain / floor (executed)',
    target: '≤ 1.25',
    cell: ({ sync }) =>
      sync && { figure: String(sync.drainOverFloorExecuted), met: sync.drainOverFloorExecuted <= 1.25 },
  },
  {
    measure: 'drain / floor (limits only)',
    target: '≤ 1.25',
    cell: ({ sync }) =>
      sync &&
      (sync.drainOverFloorQuotaTime === null
        ? { figure: 'floor is not quota-bound' }
        : { figure: String(sync.drainOverFloorQuotaTime), met: sync.drainOverFloorQuotaTime <= 1.25 }),
  },
  {
    measure: '429s received',
    target: '',
    cell: ({ sync }) => sync && { figure: String(sync.connector.rateLimited) },
  },
  {
    measure: 'duplicates (calls / contacts)',
    target: '0',
    cell: ({ sync }) =>
      sync && {
        figure: `${sync.connector.duplicateCalls} / ${sync.connector.duplicateContacts} (naive: contacts ${sync.naive.duplicateContacts})`,
        met: sync.connector.duplicateCalls === 0 && sync.connector.duplicateContacts === 0,
      },
  },
  {
    measure: 'webhook → HubSpot p50 / p95 / max',
    target: 'p95 ≤ 3 s',
    cell: ({ latency }) =>
      latency && { figure: `${latency.p50Ms} / ${latency.p95Ms} / ${latency.maxMs} ms`, met: latency.p95Ms <= 3_000 },
  },
  {
    measure: 'peak RSS, 10,000-call backlog',
    target: '≤ 250 MiB',
    cell: ({ memory }) =>
      memory && {
        figure: `${memory.peakRssMiB} MiB (median ${memory.medianRssMiB}, drained in ${memory.drainSeconds.toFixed(0)} s)`,
        met: memory.peakRssMiB <= 250,
      },
  },
  {
    measure: 'growth: ingest req/s, empty / 1M-event store',
    target: '',
    cell: ({ growth }) =>
      growth && {
        figure: `${growth.ingest.empty.requestsPerSecond} / ${growth.ingest.full.requestsPerSecond} (rounds ${growth.ingest.empty.rounds.join(', ')} / ${growth.ingest.full.rounds.join(', ')})`,
      },
  },
  {
    measure: '  ingest slowdown at 1M events',
    target: '≤ 1.2×',
    cell: ({ growth }) => growth && { figure: `${growth.ingest.slowdown}×`, met: growth.ingest.slowdown <= 1.2 },
  },
  {
    measure: 'growth: claim median / p95, empty store',
    target: '',
    cell: ({ growth }) => growth && { figure: `${growth.claim.empty.medianMs} / ${growth.claim.empty.p95Ms} ms` },
  },
  {
    measure: '  the same at 1M events',
    target: '',
    cell: ({ growth }) => growth && { figure: `${growth.claim.full.medianMs} / ${growth.claim.full.p95Ms} ms` },
  },
  {
    measure: '  claim slowdown at 1M events (median / p95)',
    target: '≤ 1.2×',
    cell: ({ growth }) =>
      growth && {
        figure: `${growth.claim.medianSlowdown}× / ${growth.claim.p95Slowdown}×`,
        met: growth.claim.medianSlowdown <= 1.2,
      },
  },
  ...recordingsRows(),
];

/** A row per recordings run (HubSpot's limit × RECORDINGS_CONCURRENCY), then memory and correctness over all runs. */
function recordingsRows(): TableRow[] {
  const runRow = (burst: number, concurrency: number): TableRow => ({
    measure: `recordings stored per minute, 100 × 5 MiB, ${burst} / 10 s, concurrency ${concurrency}`,
    target: '',
    cell: (r) => {
      const run = r.recordings?.runs.find((each) => each.burstPer10s === burst && each.concurrency === concurrency);
      if (!run) return undefined;
      const { uploads, callReads, callUpdates } = run.requests;
      return {
        figure: `${run.recordingsPerMinute} (${run.drainSeconds.toFixed(1)} s; ${run.recordingRequestsPerRecording} req/rec: ${uploads} up, ${callReads} rd, ${callUpdates} upd, + ${run.requests.other} for the calls; ${run.rateLimited} × 429; floor ${run.floorSeconds} / ${run.floorWithWindowSeconds} s)`,
      };
    },
  });
  const most = (runs: RecordingsRunFigures[], figure: (run: RecordingsRunFigures) => number) =>
    Math.max(...runs.map(figure));
  return [
    runRow(100, 2),
    runRow(100, 4),
    runRow(190, 2),
    runRow(190, 4),
    {
      measure: '  peak / median RSS while 500 MiB flows (calls only: peak)',
      target: '',
      cell: ({ recordings }) =>
        recordings && recordings.runs.length > 0
          ? {
              figure: `${most(recordings.runs, (run) => run.rss.peakMiB)} / ${most(recordings.runs, (run) => run.rss.medianMiB)} MiB (${recordings.callsOnly.rss.peakMiB}; Buffers ≤ ${most(recordings.runs, (run) => run.rss.externalPeakMiB)} MiB)`,
            }
          : undefined,
    },
    {
      measure: '  dead / wrong files / spool files left',
      target: '0',
      cell: ({ recordings }) => {
        if (!recordings || recordings.runs.length === 0) return undefined;
        const sum = (figure: (run: RecordingsRunFigures) => number) =>
          recordings.runs.reduce((total, run) => total + figure(run), 0);
        const [dead, wrong, left] = [
          sum((run) => run.dead),
          sum((run) => run.mismatchedFiles),
          sum((run) => run.spoolLeftovers),
        ];
        return { figure: `${dead} / ${wrong} / ${left}`, met: dead + wrong + left === 0 };
      },
    },
  ];
}

function renderTable(report: BenchReport): string {
  const dialects = DIALECTS.filter((dialect) => report[dialect]);
  const rows: string[][] = [['measure', 'target', ...dialects.map((dialect) => DIALECT_TITLES[dialect])]];
  for (const row of TABLE) {
    const cells = dialects.map((dialect) => {
      const cell = row.cell(report[dialect]!);
      if (!cell) return '–';
      return cell.met === undefined ? cell.figure : `${cell.figure} ${cell.met ? '(met)' : '(MISSED)'}`;
    });
    if (cells.some((cell) => cell !== '–')) rows.push([row.measure, row.target, ...cells]);
  }
  for (const [dialect, figures] of Object.entries(report['retention'] ?? {})) {
    const { events, ingestAlone, ingestWhilePruning, ratio, prunedPerSecond, passSeconds } = figures;
    rows.push([
      `retention (${dialect}): ingest/s alone / while pruning ${events.toLocaleString('en')} events`,
      `${ingestAlone.perSecond} / ${ingestWhilePruning.perSecond} (ratio ${ratio}; p99 ${ingestAlone.p99Ms} / ${ingestWhilePruning.p99Ms} ms)`,
      '',
      '',
    ]);
    rows.push([`  pruning pass`, `${passSeconds} s (${prunedPerSecond} events/s)`, '', '']);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')).join('\n');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
