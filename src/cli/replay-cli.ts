import { parseArgs } from 'node:util';
import { EnvValidationError, envFromProcess } from '../config/env.schema.js';
import { InboxRepository } from '../store/inbox.repository.js';
import { RecordingRepository } from '../store/recording.repository.js';
import { openMigratedStore } from '../store/migrations/migrations.js';

const USAGE = `Usage: npm run replay -- --dead [--vendor <vendor id>] [--id N ...]
       npm run replay -- --recordings [--vendor <vendor id>]

--dead sends dead-lettered events through sync again (once their cause is fixed: a property option restored, a
config corrected). A running connector picks them up within its poll interval. See them first with:
  npm run inbox -- --status dead
--recordings tries dead recordings again (once their cause is fixed: the files scope granted, VAPI_API_KEY set, a
recording host back). A file already in HubSpot is not uploaded again: only its call is updated. Health
(/health/ready, details.recordings) and the metric connector_recordings{state="dead"} count them.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      dead: { type: 'boolean' },
      recordings: { type: 'boolean' },
      vendor: { type: 'string' },
      id: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || (!values.dead && !values.recordings) || (values.dead && values.recordings)) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (values.recordings) {
    if (values.id) {
      process.stderr.write('--id names inbox events; --recordings takes --vendor only\n');
      return 2;
    }
    const env = envFromProcess();
    const db = await openMigratedStore(env.database);
    try {
      const replayed = await new RecordingRepository(db).replayDead(
        values.vendor ? { vendor: values.vendor } : {},
        new Date(),
      );
      process.stdout.write(`${replayed} dead recording(s) queued again.\n`);
      return 0;
    } finally {
      await db.destroy();
    }
  }
  const ids = values.id?.map(Number);
  if (ids?.some((id) => !Number.isInteger(id) || id < 1)) {
    process.stderr.write('--id takes inbox event ids (whole numbers), as `npm run inbox` shows them\n');
    return 2;
  }
  const env = envFromProcess();
  const db = await openMigratedStore(env.database);
  try {
    const inbox = new InboxRepository(db);
    const filter = { ...(values.vendor ? { vendor: values.vendor } : {}), ...(ids ? { ids } : {}) };
    const replayed = await inbox.replayDead(filter, new Date());
    process.stdout.write(`${replayed} dead event(s) queued again.\n`);
    const pruned = await inbox.deadPrunedCount(filter);
    if (pruned > 0)
      process.stdout.write(
        `${pruned} dead event(s) not replayed: their payload was pruned (npm run inbox -- prune-dead), nothing is left to send.\n`,
      );
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
        : `replay: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
