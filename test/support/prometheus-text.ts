/** Prometheus text exposition format 0.0.4 (what prom-client writes), read into metric families. */

export interface Sample {
  /** The sample's own name: a histogram's `_bucket`, `_sum` and `_count` belong to one family. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const family = (name: string): MetricFamily => {
    let found = families.get(name);
    if (!found) {
      found = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, found);
    }
    return found;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const comment = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (comment) {
      const [, kind, name, rest] = comment;
      if (kind === 'TYPE') family(name!).type = rest!;
      else family(name!).help = rest!;
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = parseSample(line);
    const owner = [...families.values()].find(
      (candidate) =>
        candidate.name === sample.name ||
        (candidate.type === 'histogram' &&
          HISTOGRAM_SUFFIXES.some((suffix) => candidate.name + suffix === sample.name)),
    );
    if (!owner) throw new Error(`sample ${sample.name} comes before its # TYPE line`);
    owner.samples.push(sample);
  }
  return families;
}

function parseSample(line: string): Sample {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
  if (!name) throw new Error(`not a sample line: ${line}`);
  let at = name.length;
  const labels: Record<string, string> = {};
  if (line[at] === '{') {
    at++;
    while (line[at] !== '}') {
      const key = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(at));
      if (!key) throw new Error(`bad label at ${at}: ${line}`);
      at += key[0].length;
      let value = '';
      for (; line[at] !== '"'; at++) {
        if (at >= line.length) throw new Error(`unterminated label value: ${line}`);
        if (line[at] === '\\') {
          at++;
          value += line[at] === 'n' ? '\n' : line[at];
        } else value += line[at];
      }
      labels[key[1]!] = value;
      at++;
      if (line[at] === ',') at++;
    }
    at++;
  }
  const [valueText] = line.slice(at).trim().split(' ');
  const value = /^nan$/i.test(valueText!)
    ? Number.NaN
    : valueText === '+Inf'
      ? Infinity
      : valueText === '-Inf'
        ? -Infinity
        : Number(valueText);
  if (valueText === '' || (Number.isNaN(value) && !/^nan$/i.test(valueText!))) throw new Error(`bad value: ${line}`);
  return { name, labels, value };
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when there is none. */
export function sampleValue(
  families: Map<string, MetricFamily>,
  family: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const matching = (families.get(family)?.samples ?? []).filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (matching.length > 1) throw new Error(`${matching.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matching[0]?.value;
}
