import { HubSpotEmulator } from '@ai-call-hubspot-connector/hubspot-emulator';
import autocannon from 'autocannon';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  chinaMobile,
  percentile,
  post,
  REPO_DIR,
  startProcess,
  VOICEFOX_SECRET,
  waitFor,
  YUNFU_SECRET,
  yunfuCall,
} from './bench-support.js';
import { floorFlow, floorSearches } from './floor-flow.js';
import { naiveFlow } from './naive-flow.js';
import { retentionBench, type RetentionFigures } from './retention-bench.js';

/**
 * `npm run bench`: ingest speed and HubSpot quota efficiency, each against a baseline run in the same process and
 * the same run (these machines are noisy; absolute times do not carry over). Prints a table, writes
 * bench/results.json. Traffic goes to loopback only; every loop is bounded.
 */
const MAIN = join(REPO_DIR, 'dist', 'main.js');
const BENCH_APP = join(REPO_DIR, 'dist-bench', 'bench', 'bench-app.js');
const only = process.argv.slice(2);
const wanted = (name: string) => only.length === 0 || only.includes(name);
const results: Record<string, unknown> = {};

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

async function ingest(): Promise<void> {
  results['ingest'] = await ingestAt('info');
  results['ingestQuietLogs'] = await ingestAt('warn');
}

/** At the default log level (a line per request) and with request logging off (`warn`). */
async function ingestAt(logLevel: 'info' | 'warn'): Promise<Record<string, unknown>> {
  log(
    `ingest (LOG_LEVEL=${logLevel}): autocannon, 50 connections, 3 s warm-up then 10 s, against POST /webhooks/voicefox and a bare route of the same app`,
  );
  const emulator = await HubSpotEmulator.start();
  const app = await startProcess(
    BENCH_APP,
    { SYNC_ENABLED: 'false', HUBSPOT_ACCESS_TOKEN: 'pat-bench', HUBSPOT_BASE_URL: emulator.url, LOG_LEVEL: logLevel },
    process.env['BENCH_CPU_PROF'] ? ['--cpu-prof', `--cpu-prof-dir=${join(REPO_DIR, 'bench', 'profiles')}`] : [],
  );
  let counter = 0;
  const webhook = (): string =>
    JSON.stringify({
      event_name: 'callin.collect',
      event_data: {
        session_id: `bench-${process.pid}-${counter++}`,
        caller: chinaMobile(counter % 100_000),
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
  const run = (path: string, duration: number) =>
    autocannon({
      url: app.url,
      connections: 50,
      duration,
      requests: [
        {
          method: 'POST',
          path,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${VOICEFOX_SECRET}` },
          setupRequest: (request) => ({ ...request, body: webhook() }),
        },
      ],
    });
  try {
    await run('/webhooks/voicefox', 3);
    const connector = await run('/webhooks/voicefox', 10);
    await run('/bench/bare', 3);
    const bare = await run('/bench/bare', 10);
    const summary = (result: Awaited<ReturnType<typeof run>>) => ({
      requestsPerSecond: Math.round(result.requests.average),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      errors: result.errors + result.timeouts + result.non2xx,
      total: result.requests.total,
    });
    const ratio = connector.requests.average / bare.requests.average;
    return {
      logLevel,
      connector: summary(connector),
      bare: summary(bare),
      ratio: Number(ratio.toFixed(2)),
      targets: { ratio: 0.5, p99Ms: 50, errors: 0 },
    };
  } finally {
    await app.stop(process.env['BENCH_CPU_PROF'] ? 'SIGUSR2' : 'SIGTERM');
    await emulator.close();
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

async function sync(): Promise<void> {
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

  const emulator = await HubSpotEmulator.start({ limits: { searchLagMs: 5_000 } });
  seed(emulator);
  // The burst arrives at an instance that only stores (SYNC_ENABLED=false)...
  const receiver = await startProcess(MAIN, {
    HUBSPOT_ACCESS_TOKEN: 'pat-bench',
    HUBSPOT_BASE_URL: emulator.url,
    SYNC_ENABLED: 'false',
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
    MAIN,
    { HUBSPOT_ACCESS_TOKEN: 'pat-bench', HUBSPOT_BASE_URL: emulator.url },
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
  const SAMPLE = 200;
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
    duplicateContacts: naiveContacts - (EXISTING + [...sampleNumbers].filter((number) => !existing.has(number)).length),
  };
  await naiveEmulator.close();

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
  results['sync'] = {
    connector: connectorResult,
    naive,
    floor,
    fewerRequestsThanNaive: Number((naive.requestsPerCall / connectorResult.requestsPerCall).toFixed(1)),
    drainOverFloorQuotaTime: floorSeconds > 0 ? Number((connectorResult.drainSeconds / floorSeconds).toFixed(2)) : null,
    drainOverFloorExecuted: Number((connectorResult.drainSeconds / executed.seconds).toFixed(2)),
    targets: { requestsPerCall: 0.05, fewerThanNaive: 20, drainOverFloor: 1.25, duplicates: 0 },
  };
}

async function latency(): Promise<void> {
  log('latency: one call every 2 s for 60 s; webhook sent → call visible in HubSpot');
  const emulator = await HubSpotEmulator.start();
  const connector = await startProcess(MAIN, { HUBSPOT_ACCESS_TOKEN: 'pat-bench', HUBSPOT_BASE_URL: emulator.url });
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
  }
  results['latency'] = {
    calls: times.length,
    p50Ms: percentile(times, 50),
    p95Ms: percentile(times, 95),
    maxMs: Math.max(...times),
    targets: { p95Ms: 3_000 },
  };
}

async function memory(): Promise<void> {
  const CALLS = 10_000;
  log(`memory: peak RSS of the connector while a ${CALLS}-call backlog arrives and drains at HubSpot's default limits`);
  const emulator = await HubSpotEmulator.start();
  const connector = await startProcess(MAIN, { HUBSPOT_ACCESS_TOKEN: 'pat-bench', HUBSPOT_BASE_URL: emulator.url });
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
    results['memory'] = {
      calls: CALLS,
      ingestSeconds: ingested / 1000,
      drainSeconds: (Date.now() - started) / 1000,
      peakRssMiB: Math.round(connector.peakRssMiB()),
      medianRssMiB: Math.round(percentile(samples, 50)),
      hubspotRequests: emulator.counters.total,
      targets: { peakRssMiB: 250 },
    };
  } finally {
    clearInterval(sampler);
    await connector.stop();
    await emulator.close();
  }
}

/** `npm run bench -- sync-profile`: a CPU profile of the sync loop draining a stored 2,000-call backlog. */
async function syncProfile(): Promise<void> {
  const emulator = await HubSpotEmulator.start();
  const receiver = await startProcess(MAIN, {
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
    BENCH_APP,
    { HUBSPOT_ACCESS_TOKEN: 'pat-bench', HUBSPOT_BASE_URL: emulator.url },
    ['--cpu-prof', `--cpu-prof-dir=${join(REPO_DIR, 'bench', 'profiles')}`],
    receiver.dir,
  );
  await waitFor(() => emulator.listObjects('calls').length >= 2_000, 120_000, 25);
  await app.stop('SIGUSR2');
  await emulator.close();
  log('profile written to bench/profiles/ (summary: node dist-bench/bench/profile-summary.js bench/profiles)');
}

async function main(): Promise<void> {
  if (only.includes('sync-profile')) {
    await syncProfile();
    return;
  }
  const machine = {
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: process.platform,
  };
  log(`machine: ${machine.cpus}, ${machine.memoryGiB} GiB, Node ${machine.node}`);
  if (wanted('ingest')) await ingest();
  if (wanted('sync')) await sync();
  if (wanted('latency')) await latency();
  if (wanted('memory')) await memory();
  // Only when asked: it needs a PostgreSQL server (the tests' one by default).
  if (only.includes('retention')) results['retention'] = await retentionBench(log);
  // A partial run (`npm run bench -- sync`) replaces only its own sections of the last results.
  const file = join(REPO_DIR, 'bench', 'results.json');
  const previous =
    only.length > 0 && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const report = { ...previous, at: new Date().toISOString(), machine, ...results };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  log(renderTable(report as BenchReport));
}

/** What the table reads of bench/results.json (sections of an earlier partial run included). */
interface LoadFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}
interface BenchReport {
  ingest?: { connector: LoadFigures; bare: LoadFigures; ratio: number; logLevel: string };
  ingestQuietLogs?: BenchReport['ingest'];
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
  retention?: Record<'sqlite' | 'postgres', RetentionFigures>;
}

function renderTable(report: BenchReport): string {
  const rows: string[][] = [['measure', 'figure', 'target', 'met']];
  const check = (ok: boolean) => (ok ? 'yes' : 'NO');
  for (const section of ['ingest', 'ingestQuietLogs'] as const) {
    const figures = report[section];
    if (!figures) continue;
    const { connector, bare, ratio, logLevel } = figures;
    rows.push([
      `ingest req/s, LOG_LEVEL=${logLevel} (connector / bare)`,
      `${connector.requestsPerSecond} / ${bare.requestsPerSecond}`,
      '',
      '',
    ]);
    rows.push([`  ratio connector/bare`, String(ratio), '≥ 0.5', check(ratio >= 0.5)]);
    rows.push([
      `  p50 / p99 latency`,
      `${connector.p50Ms} / ${connector.p99Ms} ms`,
      'p99 ≤ 50 ms',
      check(connector.p99Ms <= 50),
    ]);
    rows.push([`  errors`, String(connector.errors), '0', check(connector.errors === 0)]);
  }
  if (report['sync']) {
    const { connector, naive, floor, fewerRequestsThanNaive, drainOverFloorQuotaTime } = report['sync'];
    rows.push([
      'sync drain of a 2,000-call backlog',
      `${connector.drainSeconds} s once started (+ ${connector.startupSeconds} s start-up; the burst was stored in ${connector.ingestSeconds} s)`,
      '',
      '',
    ]);
    rows.push([
      'sync requests per call',
      `${connector.requestsPerCall} (${connector.requests} requests, ${connector.searches} searches)`,
      '≤ 0.05',
      check(connector.requestsPerCall <= 0.05),
    ]);
    rows.push([
      'largest search body / refused requests',
      `${connector.largestSearchBody} characters / ${connector.refused}`,
      '≤ 3,000 / 0',
      check(connector.largestSearchBody <= 3_000 && connector.refused === 0),
    ]);
    rows.push([
      'naive flow requests per call',
      `${naive.requestsPerCall} (sample of ${naive.sampleCalls}: ${naive.seconds.toFixed(1)} s, ~${naive.extrapolatedDrainSeconds} s for 2,000)`,
      '',
      '',
    ]);
    rows.push([
      'fewer requests than naive',
      `${fewerRequestsThanNaive}×`,
      '≥ 20×',
      check(fewerRequestsThanNaive >= 20),
    ]);
    rows.push([
      'floor (fewest requests)',
      `${floor.requestsPerCall} per call; limits force ${floor.quotaSeconds} s`,
      '',
      '',
    ]);
    rows.push(['floor executed', `${floor.executedRequests} requests in ${floor.executedSeconds} s`, '', '']);
    rows.push([
      'drain / floor (limits only)',
      drainOverFloorQuotaTime === null ? 'floor is not quota-bound' : String(drainOverFloorQuotaTime),
      '≤ 1.25',
      drainOverFloorQuotaTime === null ? 'n/a' : check(drainOverFloorQuotaTime <= 1.25),
    ]);
    rows.push([
      'drain / floor (executed)',
      String(report['sync'].drainOverFloorExecuted),
      '≤ 1.25',
      check(report['sync'].drainOverFloorExecuted <= 1.25),
    ]);
    rows.push(['429s received', String(connector.rateLimited), '', '']);
    rows.push([
      'duplicates (calls / contacts)',
      `${connector.duplicateCalls} / ${connector.duplicateContacts} (naive: contacts ${naive.duplicateContacts})`,
      '0',
      check(connector.duplicateCalls === 0 && connector.duplicateContacts === 0),
    ]);
  }
  if (report['latency']) {
    const { p50Ms, p95Ms, maxMs } = report['latency'];
    rows.push([
      'webhook → HubSpot p50 / p95 / max',
      `${p50Ms} / ${p95Ms} / ${maxMs} ms`,
      'p95 ≤ 3 s',
      check(p95Ms <= 3_000),
    ]);
  }
  if (report['memory']) {
    const { peakRssMiB, medianRssMiB, drainSeconds } = report['memory'];
    rows.push([
      'peak RSS, 10,000-call backlog',
      `${peakRssMiB} MiB (median ${medianRssMiB}, drained in ${drainSeconds.toFixed(0)} s)`,
      '≤ 250 MiB',
      check(peakRssMiB <= 250),
    ]);
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
