import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
export const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export function fixture(vendor, name) {
    return JSON.parse(readFileSync(join(FIXTURES_DIR, vendor, `${name}.json`), 'utf8'));
}
export function fixtureText(vendor, name) {
    return readFileSync(join(FIXTURES_DIR, vendor, `${name}.json`), 'utf8');
}
/** The shipped defaults: China time, CN numbers, Yunfu's 1..6 → A..F table. */
export function chinaContext(overrides = {}) {
    return {
        timeZone: 'Asia/Shanghai',
        defaultRegion: 'CN',
        intentionLabels: { '1': 'A', '2': 'B', '3': 'C', '4': 'D', '5': 'E', '6': 'F' },
        now: () => new Date('2025-09-26T00:00:00Z'),
        ...overrides,
    };
}
//# sourceMappingURL=fixtures.js.map