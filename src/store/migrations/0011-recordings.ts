import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../database.js';

/**
 * The recordings stage (after a call is logged, its audio is kept in HubSpot's File Manager): one row per call whose
 * recording is to be kept, with its own state, attempts and outcome, apart from the call's sync; and the audio that
 * arrived in a webhook (ElevenLabs' `post_call_audio`) until it is stored, since no vendor link serves it.
 */
export const recordingsMigration = (dialect: StoreDialect): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('recordings')
      .addColumn('portal_id', 'varchar(64)', (col) => col.notNull())
      .addColumn('call_key', 'varchar(330)', (col) => col.notNull())
      .addColumn('vendor', 'varchar(64)', (col) => col.notNull())
      .addColumn('vendor_call_id', 'varchar(300)', (col) => col.notNull())
      .addColumn('state', 'varchar(16)', (col) => col.notNull())
      .addColumn('source', 'text', (col) => col.notNull())
      .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'varchar(32)', (col) => col.notNull())
      .addColumn('lease_until', 'varchar(32)')
      .addColumn('file_name', 'varchar(300)')
      .addColumn('folder', 'varchar(300)')
      .addColumn('upload_started_at', 'varchar(32)')
      .addColumn('file_id', 'varchar(64)')
      .addColumn('file_url', 'text')
      .addColumn('bytes', 'bigint')
      .addColumn('sha256', 'varchar(64)')
      .addColumn('mode', 'varchar(16)')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'varchar(32)', (col) => col.notNull())
      .addColumn('updated_at', 'varchar(32)', (col) => col.notNull())
      .addColumn('stored_at', 'varchar(32)')
      .addPrimaryKeyConstraint('recordings_pkey', ['portal_id', 'call_key'])
      .execute();
    // The stage claims due rows by state and time.
    await db.schema.createIndex('recordings_due').on('recordings').columns(['state', 'next_attempt_at']).execute();

    await db.schema
      .createTable('recording_audio')
      .addColumn('portal_id', 'varchar(64)', (col) => col.notNull())
      .addColumn('vendor', 'varchar(64)', (col) => col.notNull())
      .addColumn('vendor_call_id', 'varchar(300)', (col) => col.notNull())
      .addColumn('audio', dialect === 'postgres' ? 'bytea' : 'blob', (col) => col.notNull())
      .addColumn('content_type', 'varchar(100)', (col) => col.notNull())
      .addColumn('bytes', 'integer', (col) => col.notNull())
      .addColumn('sha256', 'varchar(64)', (col) => col.notNull())
      .addColumn('received_at', 'varchar(32)', (col) => col.notNull())
      .addPrimaryKeyConstraint('recording_audio_pkey', ['portal_id', 'vendor', 'vendor_call_id'])
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('recording_audio').execute();
    await db.schema.dropTable('recordings').execute();
  },
});
