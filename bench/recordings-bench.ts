import { HubSpotEmulator } from '@ai-call-hubspot-connector/hubspot-emulator';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chinaMobile,
  MAIN_SCRIPT,
  percentile,
  post,
  startProcess,
  VOICEFOX_SECRET,
  voicefoxWebhook,
  waitFor,
} from './bench-support.js';
import type { BenchStore } from './bench-stores.js';
import { ownValue } from '../src/common/own-value.js';

/**
 * `npm run bench -- recordings`: how fast the recordings stage keeps calls' audio in HubSpot's File Manager, what it
 * costs in HubSpot requests, and how much memory it takes. 100 VoiceFox calls, each with its own 5 MiB MP3 on a
 * recording host on loopback, are posted to a connector process; timed from the first post until the connector
 * counts all 100 recordings `stored` (`connector_recordings{state="stored"}` in /metrics). At HubSpot's Free/Starter
 * burst limit for private apps (100 requests / 10 s) and at Professional's and Enterprise's (190 / 10 s,
 * https://developers.hubspot.com/changelog/increasing-our-api-limits), each with two uploads at a time (the default
 * RECORDINGS_CONCURRENCY) and with four. A baseline posts the same calls with the stage off.
 *
 * Assumed, as the emulator does: an upload counts once against the burst limit like any request. The HubSpot
 * documentation read for this names no separate limit on uploads, but HubSpot's CLI has been refused "Rate limit
 * exceeded for creating files. Retry in 1 minute" on bulk uploads (https://github.com/HubSpot/hubspot-cli/issues/1036):
 * there may be one (unconfirmed).
 */

export const RECORDING_CALLS = 100;
/** 5 MiB: some 5 minutes of 128 kbit/s MP3, 20 of 32 kbit/s. */
export const RECORDING_BYTES = 5 * 1024 * 1024;
/** Bytes of each recording that differ from the others (the rest is one shared random body, sent again each time). */
const DISTINCT_PREFIX_BYTES = 64 * 1024;
/** The longest a run may take before the benchmark gives up (a bounded wait, not a target). */
const RUN_TIMEOUT_MS = 600_000;

export interface RecordingsRunConfig {
  label: string;
  /** The emulator's burst limit and the connector's HUBSPOT_RATE_LIMIT_PER_10S. */
  burstPer10s: number;
  /** RECORDINGS_CONCURRENCY (the connector's default is 2). */
  concurrency: number;
}

export const RECORDINGS_RUNS: RecordingsRunConfig[] = [
  {
    label: 'Free/Starter limits (100 / 10 s), RECORDINGS_CONCURRENCY=2 (the default)',
    burstPer10s: 100,
    concurrency: 2,
  },
  { label: 'Free/Starter limits (100 / 10 s), RECORDINGS_CONCURRENCY=4', burstPer10s: 100, concurrency: 4 },
  {
    label: 'Professional limits (190 / 10 s), RECORDINGS_CONCURRENCY=2 (the default)',
    burstPer10s: 190,
    concurrency: 2,
  },
  { label: 'Professional limits (190 / 10 s), RECORDINGS_CONCURRENCY=4', burstPer10s: 190, concurrency: 4 },
];

export interface RecordingsRunFigures {
  label: string;
  burstPer10s: number;
  concurrency: number;
  loadAverage: number;
  recordings: number;
  /** First post → all recordings `stored` in the connector's own count. */
  drainSeconds: number;
  /** Seconds the 100 posts took (the webhooks are answered before anything goes to HubSpot). */
  postSeconds: number;
  recordingsPerMinute: number;
  /** HubSpot requests from the first post to the end, by what they were for. */
  requests: {
    total: number;
    uploads: number;
    fileSearches: number;
    callReads: number;
    callUpdates: number;
    /** Everything else: the calls' own sync (contacts, calls, associations) and the stage's checks. */
    other: number;
    byEndpoint: Record<string, number>;
  };
  /** HubSpot requests of the recordings stage (uploads, file searches, call reads and updates) per recording. */
  recordingRequestsPerRecording: number;
  /** All HubSpot requests of the run per recording (the calls' sync included). */
  requestsPerRecording: number;
  rateLimited: number;
  /**
   * The limits-only floor: every request of the run that counts against the burst limit (all but CRM searches, as
   * counted) at the burst rate, `requests ÷ (burst / 10 s)`. A rolling window lets a fresh token send a whole
   * window's worth at once, so the strict floor is lower: `(requests − burst) ÷ (burst / 10 s)`
   * (`floorWithWindowSeconds`).
   */
  floorSeconds: number;
  floorWithWindowSeconds: number;
  drainOverFloor: number;
  /** Bytes HubSpot (the emulator) holds at the end, and what the connector counts as stored. */
  bytesUploaded: number;
  storedBytesMetric: number;
  /** Bytes the recording host sent (a retried download counts again). */
  bytesDownloaded: number;
  downloads: number;
  /** Files whose bytes are not those the host served for that call (should be 0). */
  mismatchedFiles: number;
  dead: number;
  /** Files left in the spool folder at the end (should be 0: each spooled download is deleted after its upload). */
  spoolLeftovers: number;
  /**
   * Resident set size of the connector process: before the first post, the median and peak while the recordings
   * flowed (peak: VmHWM, which also covers start-up), and the median of the first and of the second half of the
   * samples (a connector that held recordings would grow from one to the other).
   */
  rss: RssFigures & {
    firstHalfMedianMiB: number;
    secondHalfMedianMiB: number;
    /**
     * The most the connector reported (`/metrics`, sampled every 250 ms) of memory outside V8's heap, where Buffers
     * live, and of V8's heap in use: a recording held whole would show in the first as its size.
     */
    externalPeakMiB: number;
    heapUsedPeakMiB: number;
  };
  /** Seconds from the first post to the first upload's arrival at HubSpot (the calls are synced first). */
  firstUploadAfterSeconds: number;
  /** Time HubSpot (the emulator) took to take one upload, from its arrival to its answer. */
  uploadMs: { median: number; p95: number };
  /**
   * Requests the connector sent at start-up, in the second before the first post (left out of the counts above,
   * but inside the first burst window).
   */
  startupRequests: number;
  /** The most burst-limited requests (all but CRM searches) HubSpot received in any 10 s, by arrival time. */
  busiest10s: number;
}

interface RssFigures {
  idleMiB: number;
  medianMiB: number;
  peakMiB: number;
  samples: number;
}

/** The same 100 calls with the recordings stage off: what the connector takes without any audio. */
export interface CallsOnlyFigures {
  syncSeconds: number;
  requests: number;
  rss: RssFigures;
}

export interface RecordingsFigures {
  calls: number;
  bytesPerRecording: number;
  totalBytes: number;
  callsOnly: CallsOnlyFigures;
  runs: RecordingsRunFigures[];
}

/** A vendor's recording host on loopback: `/rec/<n>.mp3` serves recording n (a distinct prefix, a shared body). */
interface RecordingHost {
  url: string;
  downloads: number;
  bytesSent: number;
  /** The sha256 of recording n, as served. */
  sha256(index: number): string;
  close(): Promise<void>;
}

/** Bytes that pass for an MP3: an ID3v2.4 header, then random data. */
function prefixOf(index: number, seed: Buffer): Buffer {
  const prefix = createHash('sha256').update(seed).update(String(index)).digest();
  const bytes = Buffer.alloc(DISTINCT_PREFIX_BYTES);
  for (let offset = 0; offset < bytes.length; offset += prefix.length) prefix.copy(bytes, offset);
  bytes.write('ID3', 0, 'latin1');
  bytes[3] = 4;
  bytes[4] = 0;
  bytes.writeUInt32BE(index, 16);
  return bytes;
}

async function startRecordingHost(): Promise<RecordingHost> {
  const seed = randomBytes(32);
  // One random body shared by all recordings: each recording differs in its first 64 KiB (its own MD5 and SHA-256,
  // so that HubSpot's duplicate check sees 100 files), without the benchmark holding 500 MiB.
  const body = randomBytes(RECORDING_BYTES - DISTINCT_PREFIX_BYTES);
  const sockets = new Set<Socket>();
  const host = {
    url: '',
    downloads: 0,
    bytesSent: 0,
    sha256: (index: number) => createHash('sha256').update(prefixOf(index, seed)).update(body).digest('hex'),
    close: () => Promise.resolve(),
  };
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const match = /^\/rec\/(\d+)\.mp3$/.exec(request.url ?? '');
    const index = match ? Number(match[1]) : Number.NaN;
    if (!Number.isInteger(index) || index < 0 || index >= RECORDING_CALLS) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found');
      return;
    }
    host.downloads += 1;
    response.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': RECORDING_BYTES });
    response.write(prefixOf(index, seed));
    response.end(body);
    response.on('finish', () => (host.bytesSent += RECORDING_BYTES));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  host.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return host;
}

/** The connector's /metrics: a sample's value by its name and labels as printed (NaN when absent). */
async function scrape(url: string): Promise<(sample: string) => number> {
  const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  return (sample) => {
    const escaped = sample.replace(/[{}"=]/g, (character) => `\\${character}`);
    const match = new RegExp(`^${escaped} ([0-9.e+]+)$`, 'm').exec(text);
    return match ? Number(match[1]) : Number.NaN;
  };
}

function requestsByEndpoint(before: Record<string, { total: number }>, after: Record<string, { total: number }>) {
  const delta: Record<string, number> = {};
  for (const [endpoint, { total }] of Object.entries(after)) {
    const earlier = ownValue(before, endpoint)?.total ?? 0;
    if (total > earlier) delta[endpoint] = total - earlier;
  }
  return delta;
}

/** Posts the 100 calls, four at a time, each linking to its own recording; answers the seconds it took. */
async function postCalls(connectorUrl: string, host: RecordingHost, sessionOf: (index: number) => string) {
  const started = Date.now();
  for (let index = 0; index < RECORDING_CALLS; index += 4) {
    await Promise.all(
      Array.from({ length: Math.min(4, RECORDING_CALLS - index) }, async (_, offset) => {
        const call = index + offset;
        const body = JSON.parse(voicefoxWebhook(sessionOf(call), chinaMobile(600_000 + call))) as {
          event_data: Record<string, unknown>;
        };
        body.event_data['record_url'] = `${host.url}/rec/${call}.mp3`;
        const status = await post(`${connectorUrl}/webhooks/voicefox`, body, {
          authorization: `Bearer ${VOICEFOX_SECRET}`,
        });
        if (status >= 300) throw new Error(`webhook ${call} answered ${status}`);
      }),
    );
  }
  return (Date.now() - started) / 1000;
}

/** A CRM search (`POST /crm/…/search`): limited per second on its own, outside the burst window. */
function isCrmSearch(endpoint: string): boolean {
  return /^POST \/crm\/.*\/search$/.test(endpoint);
}

/** The most entries in any `windowMs` (times sorted). */
function busiestWindow(times: number[], windowMs: number): number {
  let most = 0;
  for (let first = 0, last = 0; last < times.length; last++) {
    while (times[last]! - times[first]! >= windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

/** Baseline: the same calls, recordings off (RECORDINGS_ENABLED=false), until all 100 calls are in HubSpot. */
async function callsOnly(store: BenchStore, host: RecordingHost, log: (message: string) => void) {
  const emulator = await HubSpotEmulator.start();
  const connector = await startProcess(MAIN_SCRIPT, {
    HUBSPOT_ACCESS_TOKEN: 'pat-bench',
    HUBSPOT_BASE_URL: emulator.url,
    DATABASE_URL: store.url,
    RECORDINGS_ENABLED: 'false',
  });
  const samples: number[] = [];
  try {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const idleMiB = connector.rssMiB();
    const before = emulator.counters.total;
    const sampler = setInterval(() => samples.push(connector.rssMiB()), 100);
    const started = Date.now();
    try {
      await postCalls(connector.url, host, (index) => `bench-rec-${process.pid}-calls-only-${index}`);
      await waitFor(() => emulator.listObjects('calls').length >= RECORDING_CALLS, RUN_TIMEOUT_MS, 100);
    } finally {
      clearInterval(sampler);
    }
    const figures: CallsOnlyFigures = {
      syncSeconds: (Date.now() - started) / 1000,
      requests: emulator.counters.total - before,
      rss: {
        idleMiB: Math.round(idleMiB),
        medianMiB: Math.round(percentile(samples, 50)),
        peakMiB: Math.round(connector.peakRssMiB()),
        samples: samples.length,
      },
    };
    log(
      `  baseline, recordings off: the 100 calls in HubSpot in ${figures.syncSeconds} s, ${figures.requests} requests, RSS idle ${figures.rss.idleMiB} / median ${figures.rss.medianMiB} / peak ${figures.rss.peakMiB} MiB`,
    );
    return figures;
  } finally {
    await connector.stop();
    await emulator.close();
  }
}

async function recordingsRun(
  config: RecordingsRunConfig,
  store: BenchStore,
  host: RecordingHost,
  log: (message: string) => void,
): Promise<RecordingsRunFigures> {
  const loadAverage = Number(loadavg()[0]!.toFixed(2));
  log(`  ${config.label}; load average ${loadAverage}`);
  const emulator = await HubSpotEmulator.start({
    limits: { burstPer10s: config.burstPer10s },
    requestLogCapacity: 10_000,
  });
  const spoolDir = mkdtempSync(join(tmpdir(), 'connector-bench-spool-'));
  const connector = await startProcess(MAIN_SCRIPT, {
    HUBSPOT_ACCESS_TOKEN: 'pat-bench',
    HUBSPOT_BASE_URL: emulator.url,
    HUBSPOT_RATE_LIMIT_PER_10S: String(config.burstPer10s),
    DATABASE_URL: store.url,
    RECORDINGS_ENABLED: 'true',
    // The recording host is on loopback, which the connector refuses unless allowed.
    RECORDINGS_ALLOW_NETWORKS: '127.0.0.0/8',
    RECORDINGS_CONCURRENCY: String(config.concurrency),
    RECORDINGS_SPOOL_DIR: spoolDir,
  });
  const sessionOf = (index: number) => `bench-rec-${process.pid}-${config.burstPer10s}-${config.concurrency}-${index}`;
  const downloadsBefore = host.downloads;
  const bytesBefore = host.bytesSent;
  const samples: number[] = [];
  try {
    // The connector's start-up requests (its checks of the portal) are left out of the counts below.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const idleMiB = connector.rssMiB();
    const before = emulator.counters;
    const sampler = setInterval(() => samples.push(connector.rssMiB()), 100);
    const started = Date.now();
    let postSeconds: number;
    let drainMs: number;
    let externalPeak = 0;
    let heapPeak = 0;
    try {
      postSeconds = await postCalls(connector.url, host, sessionOf);
      await waitFor(
        async () => {
          const sample = await scrape(connector.url);
          // Buffers live outside V8's heap: a recording held whole would show here as its size.
          externalPeak = Math.max(externalPeak, sample('nodejs_external_memory_bytes'));
          heapPeak = Math.max(heapPeak, sample('nodejs_heap_size_used_bytes'));
          const dead = sample('connector_recordings{state="dead"}');
          if (dead > 0) throw new Error(`${dead} recordings ended dead; see the connector's log`);
          return sample('connector_recordings{state="stored"}') >= RECORDING_CALLS;
        },
        RUN_TIMEOUT_MS,
        250,
      );
      drainMs = Date.now() - started;
    } finally {
      clearInterval(sampler);
    }
    const after = emulator.counters;
    const byEndpoint = requestsByEndpoint(before.byEndpoint, after.byEndpoint);
    const sum = (test: (endpoint: string) => boolean) =>
      Object.entries(byEndpoint)
        .filter(([endpoint]) => test(endpoint))
        .reduce((total, [, count]) => total + count, 0);
    const uploads = sum((endpoint) => /^POST \/files\/[^/]+\/files$/.test(endpoint));
    const fileSearches = sum((endpoint) => /^GET \/files\/[^/]+\/files\/search$/.test(endpoint));
    const callReads = sum((endpoint) => /\/calls\/batch\/read$/.test(endpoint));
    const callUpdates = sum((endpoint) => /\/calls\/batch\/update$/.test(endpoint));
    const total = after.total - before.total;
    const stage = uploads + fileSearches + callReads + callUpdates;
    // CRM searches count against their own limit (5 / s), not the burst window.
    const crmSearches = sum(isCrmSearch);
    const burstRequests = total - crmSearches;
    const ratePerSecond = config.burstPer10s / 10;
    const floorSeconds = burstRequests / ratePerSecond;
    const floorWithWindowSeconds = Math.max(0, burstRequests - config.burstPer10s) / ratePerSecond;

    // What HubSpot holds: one file per call, each with the bytes the host served for it.
    const files = emulator.files().filter((file) => !file.archived);
    const expected = new Map(
      Array.from({ length: RECORDING_CALLS }, (_, index) => [`voicefox-${sessionOf(index)}`, host.sha256(index)]),
    );
    const mismatchedFiles =
      RECORDING_CALLS - files.filter((file) => expected.get(file.name.replace(/\.mp3$/, '')) === file.sha256).length;
    const bytesUploaded = files.reduce((bytes, file) => bytes + file.size, 0);
    const logged = emulator.requestLog.filter((entry) => entry.time >= started);
    const uploadEntries = logged.filter((entry) => /^POST \/files\/[^/]+\/files$/.test(entry.endpoint));
    const uploadDurations = uploadEntries.map((entry) => entry.durationMs);
    const half = Math.floor(samples.length / 2);
    const end = await scrape(connector.url);
    const figures: RecordingsRunFigures = {
      label: config.label,
      burstPer10s: config.burstPer10s,
      concurrency: config.concurrency,
      loadAverage,
      recordings: RECORDING_CALLS,
      drainSeconds: drainMs / 1000,
      postSeconds,
      recordingsPerMinute: Math.round((RECORDING_CALLS / (drainMs / 1000)) * 60),
      requests: {
        total,
        uploads,
        fileSearches,
        callReads,
        callUpdates,
        other: total - stage,
        byEndpoint,
      },
      recordingRequestsPerRecording: Number((stage / RECORDING_CALLS).toFixed(2)),
      requestsPerRecording: Number((total / RECORDING_CALLS).toFixed(2)),
      rateLimited: after.rateLimited.total - before.rateLimited.total,
      floorSeconds: Number(floorSeconds.toFixed(1)),
      floorWithWindowSeconds: Number(floorWithWindowSeconds.toFixed(1)),
      drainOverFloor: Number((drainMs / 1000 / floorSeconds).toFixed(2)),
      bytesUploaded,
      storedBytesMetric: end('connector_recordings_stored_bytes'),
      bytesDownloaded: host.bytesSent - bytesBefore,
      downloads: host.downloads - downloadsBefore,
      mismatchedFiles,
      dead: end('connector_recordings{state="dead"}'),
      spoolLeftovers: readdirSync(spoolDir).length,
      rss: {
        idleMiB: Math.round(idleMiB),
        medianMiB: Math.round(percentile(samples, 50)),
        peakMiB: Math.round(connector.peakRssMiB()),
        samples: samples.length,
        firstHalfMedianMiB: Math.round(percentile(samples.slice(0, half), 50)),
        secondHalfMedianMiB: Math.round(percentile(samples.slice(half), 50)),
        externalPeakMiB: Math.round(externalPeak / 1024 / 1024),
        heapUsedPeakMiB: Math.round(heapPeak / 1024 / 1024),
      },
      firstUploadAfterSeconds:
        uploadEntries.length > 0 ? Number(((uploadEntries[0]!.time - started) / 1000).toFixed(1)) : Number.NaN,
      uploadMs: { median: percentile(uploadDurations, 50), p95: percentile(uploadDurations, 95) },
      startupRequests: before.total,
      busiest10s: busiestWindow(
        logged.filter((entry) => !isCrmSearch(entry.endpoint)).map((entry) => entry.time),
        10_000,
      ),
    };
    log(
      `    ${figures.recordingsPerMinute} recordings/min (${figures.drainSeconds} s), ${figures.requests.total} requests (${uploads} uploads, ${callReads} reads, ${callUpdates} updates, ${fileSearches} file searches, ${figures.requests.other} other), ${figures.rateLimited} × 429, floor ${figures.floorSeconds} s (${figures.drainOverFloor}×), RSS idle ${figures.rss.idleMiB} / median ${figures.rss.medianMiB} / peak ${figures.rss.peakMiB} MiB (halves ${figures.rss.firstHalfMedianMiB} → ${figures.rss.secondHalfMedianMiB}; external ≤ ${figures.rss.externalPeakMiB}, heap ≤ ${figures.rss.heapUsedPeakMiB} MiB); busiest 10 s ${figures.busiest10s} requests; upload ${figures.uploadMs.median} ms median at HubSpot; first upload ${figures.firstUploadAfterSeconds} s after the first post`,
    );
    return figures;
  } finally {
    await connector.stop();
    await emulator.close();
    rmSync(spoolDir, { recursive: true, force: true });
  }
}

export async function recordingsBench(
  newStore: () => Promise<BenchStore>,
  log: (message: string) => void,
  runs: RecordingsRunConfig[] = RECORDINGS_RUNS,
): Promise<RecordingsFigures> {
  log(
    `recordings: ${RECORDING_CALLS} VoiceFox calls, each with its own ${RECORDING_BYTES / 1024 / 1024} MiB MP3 on a loopback host; first post → all stored in HubSpot's File Manager`,
  );
  const host = await startRecordingHost();
  const results: RecordingsRunFigures[] = [];
  let baseline: CallsOnlyFigures;
  try {
    const store = await newStore();
    try {
      baseline = await callsOnly(store, host, log);
    } finally {
      await store.drop();
    }
    for (const config of runs) {
      // A fresh store and portal per run: each run keeps its own 100 recordings.
      const store = await newStore();
      try {
        results.push(await recordingsRun(config, store, host, log));
      } finally {
        await store.drop();
      }
    }
  } finally {
    await host.close();
  }
  return {
    calls: RECORDING_CALLS,
    bytesPerRecording: RECORDING_BYTES,
    totalBytes: RECORDING_CALLS * RECORDING_BYTES,
    callsOnly: baseline,
    runs: results,
  };
}
