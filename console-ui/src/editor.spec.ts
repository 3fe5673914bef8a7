import { Text } from '@codemirror/state';
import { describe, expect, it } from 'vitest';
import { problemsToDiagnostics } from './editor';

describe('problemsToDiagnostics', () => {
  it("marks each problem's whole line, and leaves problems without a (real) line to the list", () => {
    const doc = Text.of(['vendors:', '  voicefox:', '    enabled: maybe']);
    const diagnostics = problemsToDiagnostics(doc, [
      { line: 3, path: 'vendors.voicefox.enabled', message: 'expected a boolean' },
      { line: null, path: 'hubspot', message: 'missing' },
      { line: 9, path: 'x', message: 'past the end' },
      { line: 1, path: '', message: 'no path' },
    ]);
    expect(diagnostics).toEqual([
      { from: 21, to: 39, severity: 'error', message: 'vendors.voicefox.enabled: expected a boolean' },
      { from: 0, to: 8, severity: 'error', message: 'no path' },
    ]);
  });
});
