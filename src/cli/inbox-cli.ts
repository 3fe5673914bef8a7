import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { maskPersonalData } from '../common/personal-data.js';
import { EnvValidationError, envFromProcess } from '../config/env.schema.js';
import type { CallRecord } from '../vendors/call-record.js';
import { describeStore } from '../store/database.js';
import { InboxRepository, type InboxEventRow } from '../store/inbox.repository.js';
import { openMigratedStore } from '../store/migrations/migrations.js';
import { INBOX_STATUSES, type InboxStatus } from '../store/database.js';

const USAGE = `Usage: npm run inbox -- [--status pending|processing|synced|retrying|skipped|dead] [--vendor <vendor id>] [--limit N]
       npm run inbox -- --show <event id>
       npm run inbox -- prune-dead --older-than <90d|12h> [--vendor <vendor id>] [--yes]

Without --show: counts per status, then the latest events (no payloads or personal data).
With --show: one event's mapped CallRecords and HubSpot ids as JSON (they hold the customer's data: handle with care).
prune-dead: dead events that died longer ago than --older-than lose their payload, call records and error (they stay
listed as dead, and can no longer be replayed). Without --yes it only counts them.`;

const STATUSES: InboxStatus[] = INBOX_STATUSES;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      status: { type: 'string' },
      vendor: { type: 'string' },
      limit: { type: 'string', default: '20' },
      show: { type: 'string' },
      'older-than': { type: 'string' },
      yes: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command, ...extra] = positionals;
  if ((command !== undefined && command !== 'prune-dead') || extra.length > 0) {
    process.stderr.write(`unknown command ${[command, ...extra].join(' ')}\n\n${USAGE}\n`);
    return 2;
  }
  if (command === 'prune-dead') return pruneDead(values['older-than'], values.vendor, values.yes === true);
  if (values.status !== undefined && !STATUSES.includes(values.status as InboxStatus)) {
    process.stderr.write(`--status must be one of ${STATUSES.join(', ')}\n`);
    return 2;
  }
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    process.stderr.write('--limit must be a positive whole number\n');
    return 2;
  }

  const env = envFromProcess();
  const db = await openMigratedStore(env.database);
  try {
    const inbox = new InboxRepository(db);
    if (values.show !== undefined) {
      const id = Number(values.show);
      const row = Number.isSafeInteger(id) ? await inbox.findById(id) : undefined;
      if (!row) {
        process.stderr.write(`no inbox event with id ${values.show}\n`);
        return 1;
      }
      const detail = {
        ...summary(row),
        hubspotContactId: row.hubspot_contact_id,
        hubspotCallId: row.hubspot_call_id,
        nextAttemptAt: row.next_attempt_at,
      };
      const calls = row.records ? (JSON.parse(row.records) as CallRecord[]).map(callOutline) : null;
      const pruned =
        row.pruned_at === null
          ? {}
          : {
              note: `payload pruned ${row.pruned_at} (retention): the vendor's data, the call records and the error are gone; the ids above remain`,
            };
      process.stdout.write(`${JSON.stringify({ ...detail, calls, ...pruned }, null, 2)}\n`);
      return 0;
    }
    const counts = await inbox.countByStatus();
    process.stdout.write(`store: ${describeStore(env.database)}\n`);
    process.stdout.write(
      `${STATUSES.map((status) => `${status} ${counts[status]}`).join('  ')}  (payload pruned: ${await inbox.prunedCount()})\n\n`,
    );
    const filter: { vendor?: string; status?: InboxStatus } = {};
    if (values.vendor) filter.vendor = values.vendor;
    if (values.status) filter.status = values.status as InboxStatus;
    const rows = (await inbox.list(filter)).slice(-limit);
    for (const row of rows) {
      const line = summary(row);
      process.stdout.write(
        `#${line.id}  ${line.vendor}  ${line.event}  ${line.status}  rev ${line.revision}  ${line.receivedAt}${line.error ? `  ${line.error}` : ''}${line.payloadPrunedAt ? '  (payload pruned)' : ''}\n`,
      );
    }
    if (rows.length === 0) process.stdout.write('(no events)\n');
    return 0;
  } finally {
    await db.destroy();
  }
}

/**
 * What an operator needs to follow a call: its ids and the shape of what was mapped, never the content (no phone
 * numbers, names, emails, answers or summaries: those are in HubSpot, for those allowed to see them).
 */
function callOutline(record: CallRecord) {
  return {
    vendorCallId: record.vendorCallId,
    event: record.eventName,
    direction: record.direction,
    outcome: record.outcome,
    startedAt: record.startedAt,
    durationSeconds: record.durationSeconds,
    talkSeconds: record.talkSeconds,
    hasCustomerPhone: record.customer.phone.e164 !== null,
    intention: record.intention?.label ?? null,
    tags: record.tags.length,
    answers: record.answers.length,
    hasRecording: record.recordingUrl !== null,
    warnings: (record.extras['warnings'] as string[] | undefined) ?? [],
  };
}

function summary(row: InboxEventRow) {
  return {
    id: row.id,
    vendor: row.vendor,
    event: row.event_name,
    status: row.status,
    revision: row.revision,
    attempts: row.attempts,
    receivedAt: row.received_at,
    correlationId: row.correlation_id,
    error: row.last_error === null ? null : maskPersonalData(row.last_error),
    payloadPrunedAt: row.pruned_at,
  };
}

/** A duration as `--older-than` takes it: whole days (`90d`) or hours (`12h`). */
function durationMs(value: string): number | null {
  const match = /^(\d{1,6})([dh])$/.exec(value.trim());
  if (!match) return null;
  return Number(match[1]) * (match[2] === 'd' ? 86_400_000 : 3_600_000);
}

/** Between two batches on a store a running connector also writes to: its webhooks go first. */
const PAUSE_BETWEEN_BATCHES_MS = 10;

/**
 * Prunes dead events that died longer ago than `olderThan` (dead events are kept until replayed or pruned so); without
 * `yes`, only says how many it would prune.
 */
async function pruneDead(olderThan: string | undefined, vendor: string | undefined, yes: boolean): Promise<number> {
  const ageMs = olderThan === undefined ? null : durationMs(olderThan);
  if (ageMs === null) {
    process.stderr.write('prune-dead needs --older-than with a duration such as 90d (days) or 12h (hours)\n');
    return 2;
  }
  const env = envFromProcess();
  const db = await openMigratedStore(env.database);
  try {
    const inbox = new InboxRepository(db);
    const filter = { before: new Date(Date.now() - ageMs), ...(vendor ? { vendor } : {}) };
    const which = `dead ${vendor ? `${vendor} ` : ''}event(s) that died over ${olderThan} ago`;
    process.stdout.write(`store: ${describeStore(env.database)}\n`);
    if (!yes) {
      const count = await inbox.deadToPruneCount(filter);
      process.stdout.write(
        `${count} ${which} still hold their payload.\n` +
          (count > 0
            ? 'Pruning blanks their payload, call records and error: they stay listed as dead and can no longer be replayed.\nRun again with --yes to prune them.\n'
            : ''),
      );
      return 0;
    }
    const batchSize = env.retention.pruneBatchSize;
    let pruned = 0;
    // Bounded: every round prunes a full batch of the finite set of such events, or ends.
    for (;;) {
      const count = await inbox.pruneDeadPayloads(filter, batchSize, new Date());
      pruned += count;
      if (count < batchSize) break;
      await sleep(PAUSE_BETWEEN_BATCHES_MS);
    }
    process.stdout.write(`Pruned the payloads of ${pruned} ${which}.\n`);
    return 0;
  } finally {
    await db.destroy();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(
      error instanceof EnvValidationError
        ? `${error.message}\n`
        : `inbox: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
