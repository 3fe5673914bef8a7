import type { RecordingsEnv } from '../config/env.schema.js';
import { ownValue } from '../common/own-value.js';
import type { RecordingRepository, RecordingRow } from '../store/recording.repository.js';
import type { RecordingSource } from '../vendors/recording-source.js';
import { downloadRecording, RecordingDownloadError, type DownloadLimits } from './recording-download.js';

/** A recording's bytes, ready to upload: a spooled download (`path`) or audio the store kept (`bytes`). */
export interface RecordingAudio {
  content: { path: string } | { bytes: Buffer };
  bytes: number;
  sha256: string;
  contentType: string;
  extension: string;
  /** Deletes the spooled file, if any. */
  dispose(): Promise<void>;
}

const EXTENSIONS: Record<string, string> = {
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
};

/**
 * Gets a recording's audio from where its vendor serves it (see `RecordingSource`): a link, the vendor's API with
 * its key (the key goes to the vendor's own host only, never to a host it redirects to), or the audio a webhook
 * brought. Failures are `RecordingDownloadError`s saying whether another try may help.
 */
export class RecordingAudioSource {
  constructor(
    private readonly env: RecordingsEnv,
    private readonly recordings: RecordingRepository,
  ) {}

  private get limits(): DownloadLimits {
    return {
      maxBytes: this.env.maxBytes,
      connectTimeoutMs: this.env.connectTimeoutMs,
      totalTimeoutMs: this.env.timeoutMs,
      maxRedirects: 5,
      allowedNetworks: this.env.allowNetworks,
      spoolDir: this.env.spoolDir,
    };
  }

  async fetch(row: RecordingRow, signal?: AbortSignal): Promise<RecordingAudio> {
    const source = JSON.parse(row.source) as RecordingSource;
    switch (source.kind) {
      case 'url':
        return this.download(source.url, undefined, signal);
      case 'vendor-api': {
        const api = ownValue(this.env.vendorApis, row.vendor);
        if (api?.apiKey)
          return this.download(`${api.baseUrl}${source.path}`, { authorization: `Bearer ${api.apiKey}` }, signal);
        if (source.fallbackUrl) return this.download(source.fallbackUrl, undefined, signal);
        throw new RecordingDownloadError(
          `${row.vendor} serves recordings through its API only: set ${row.vendor.toUpperCase()}_API_KEY`,
          false,
        );
      }
      case 'webhook-audio': {
        const kept = await this.recordings.audio(row.vendor, row.vendor_call_id);
        if (!kept)
          throw new RecordingDownloadError(
            'the audio the vendor sent was not kept (recordings were off when it arrived); the vendor still has it',
            false,
          );
        if (kept.audio.length === 0) throw new RecordingDownloadError('the vendor sent an empty audio file', false);
        return {
          content: { bytes: kept.audio },
          bytes: kept.audio.length,
          sha256: kept.sha256,
          contentType: kept.contentType,
          extension: ownValue(EXTENSIONS, kept.contentType) ?? 'mp3',
          dispose: () => Promise.resolve(),
        };
      }
    }
  }

  private async download(
    url: string,
    headers: Record<string, string> | undefined,
    signal: AbortSignal | undefined,
  ): Promise<RecordingAudio> {
    const downloaded = await downloadRecording({ url, ...(headers ? { headers } : {}) }, this.limits, signal);
    return {
      content: { path: downloaded.path },
      bytes: downloaded.bytes,
      sha256: downloaded.sha256,
      contentType: downloaded.contentType,
      extension: downloaded.extension,
      dispose: () => downloaded.dispose(),
    };
  }
}
