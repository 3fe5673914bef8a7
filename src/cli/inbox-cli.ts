import { parseArgs } from 'node:util';
import { maskPersonalData } from '../common/personal-data.js';
import { EnvValidationError, envFromProcess } from '../config/env.schema.js';
import type { CallRecord } from '../vendors/call-record.js';
import { describeStore } from '../store/database.js';
import { InboxRepository, type InboxEventRow } from '../store/inbox.repository.js';
import { openMigratedStore } from '../store/migrations/migrations.js';
import { INBOX_STATUSES, type InboxStatus } from '../store/database.js';

const USAGE = `Usage: npm run inbox -- [--status pending|processing|synced|retrying|skipped|dead] [--vendor voicefox|yunfu] [--limit N]
       npm run inbox -- --show <event id>

Without --show: counts per status, then the latest events (no payloads or personal data).
With --show: one event's mapped CallRecords and HubSpot ids as JSON (they hold the customer's data: handle with care).`;

const STATUSES: InboxStatus[] = INBOX_STATUSES;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      status: { type: 'string' },
      vendor: { type: 'string' },
      limit: { type: 'string', default: '20' },
      show: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
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
      const row = (await inbox.list()).find((event) => String(event.id) === values.show);
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
      process.stdout.write(
        `${JSON.stringify({ ...detail, calls: row.records ? (JSON.parse(row.records) as CallRecord[]).map(callOutline) : null }, null, 2)}\n`,
      );
      return 0;
    }
    const counts = await inbox.countByStatus();
    process.stdout.write(`store: ${describeStore(env.database)}\n`);
    process.stdout.write(`${STATUSES.map((status) => `${status} ${counts[status]}`).join('  ')}\n\n`);
    const filter: { vendor?: string; status?: InboxStatus } = {};
    if (values.vendor) filter.vendor = values.vendor;
    if (values.status) filter.status = values.status as InboxStatus;
    const rows = (await inbox.list(filter)).slice(-limit);
    for (const row of rows) {
      const line = summary(row);
      process.stdout.write(
        `#${line.id}  ${line.vendor}  ${line.event}  ${line.status}  rev ${line.revision}  ${line.receivedAt}${line.error ? `  ${line.error}` : ''}\n`,
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
  };
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
