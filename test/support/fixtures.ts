import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ANALYSIS_KEYS, type MappingContext } from '../../src/vendors/vendor-mapper.js';

export const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export function fixture<T = Record<string, unknown>>(vendor: 'voicefox' | 'yunfu' | 'bland', name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, vendor, `${name}.json`), 'utf8')) as T;
}

export function fixtureText(vendor: 'voicefox' | 'yunfu' | 'bland', name: string): string {
  return readFileSync(join(FIXTURES_DIR, vendor, `${name}.json`), 'utf8');
}

/** The shipped defaults: China time, CN numbers, Yunfu's 1..6 → A..F table. */
export function chinaContext(overrides: Partial<MappingContext> = {}): MappingContext {
  return {
    timeZone: 'Asia/Shanghai',
    defaultRegion: 'CN',
    intentionLabels: { '1': 'A', '2': 'B', '3': 'C', '4': 'D', '5': 'E', '6': 'F' },
    analysisKeys: DEFAULT_ANALYSIS_KEYS,
    now: () => new Date('2025-09-26T00:00:00Z'),
    ...overrides,
  };
}
