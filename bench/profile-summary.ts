import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Self time per function of the newest `.cpuprofile` in a folder: `node dist-bench/bench/profile-summary.js bench/profiles`. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const dir = process.argv[2] ?? 'bench/profiles';
const file = readdirSync(dir)
  .filter((name) => name.endsWith('.cpuprofile'))
  .sort()
  .at(-1);
if (!file) throw new Error(`no .cpuprofile in ${dir}`);
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
const hits = new Map<number, number>();
for (const sample of profile.samples) hits.set(sample, (hits.get(sample) ?? 0) + 1);
const byFunction = new Map<string, number>();
const byModule = new Map<string, number>();
for (const node of profile.nodes) {
  const count = hits.get(node.id) ?? 0;
  if (count === 0) continue;
  const url = node.callFrame.url
    .replace(/^file:\/\//, '')
    .replace(/.*node_modules\//, 'node_modules/')
    .replace(/.*\/dist(-bench)?\//, '');
  const name = `${node.callFrame.functionName || '(anonymous)'}  ${url}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + count);
  const module = url.startsWith('node_modules/')
    ? url
        .split('/')
        .slice(0, url.startsWith('node_modules/@') ? 3 : 2)
        .join('/')
    : url === ''
      ? '(native / idle)'
      : url.startsWith('node:')
        ? 'node internals'
        : 'connector';
  byModule.set(module, (byModule.get(module) ?? 0) + count);
}
const total = profile.samples.length;
const top = (map: Map<string, number>, n: number) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, count]) => `${((100 * count) / total).toFixed(1).padStart(5)}%  ${name}`)
    .join('\n');
process.stdout.write(
  `${file}: ${total} samples\n\nby package:\n${top(byModule, 15)}\n\nby function (self time):\n${top(byFunction, 25)}\n`,
);
