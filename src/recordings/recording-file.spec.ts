import { describe, expect, it } from 'vitest';
import { recordingFileName, recordingFolder } from './recording-file.js';

describe('recording file names and folders', () => {
  it('names a file by vendor and call id, kept as it is when it is safe', () => {
    expect(recordingFileName('voicefox', 'vf-5f1c2a9e')).toBe('voicefox-vf-5f1c2a9e');
    expect(recordingFileName('yunfu', '6a1b7c2d-1111-4e5f-8a9b-0c1d2e3f4a5b')).toBe(
      'yunfu-6a1b7c2d-1111-4e5f-8a9b-0c1d2e3f4a5b',
    );
  });

  it('replaces unsafe characters and adds a digest, so that two call ids never share a name', () => {
    const a = recordingFileName('acme', 'call/1?x=2');
    const b = recordingFileName('acme', 'call-1-x-2');
    expect(a).toMatch(/^acme-call-1-x-2-[0-9a-f]{10}$/);
    expect(b).toBe('acme-call-1-x-2');
    expect(a).not.toBe(b);
    expect(recordingFileName('acme', 'x'.repeat(300)).length).toBeLessThan(110);
  });

  it('files a recording under the month it was queued in (UTC)', () => {
    expect(recordingFolder('/ai-calls', '2026-11-30T23:59:59.000Z')).toBe('/ai-calls/2026-11');
    expect(recordingFolder('/ai-calls/', '2027-01-01T00:00:00.000Z')).toBe('/ai-calls/2027-01');
  });
});
