import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileError, buildAllowList, parseConnectorSettings } from './connector-settings.js';

const problemsOf = (yaml: string): string[] => {
  try {
    parseConnectorSettings(yaml, 'config/mapping.yaml');
  } catch (error) {
    if (error instanceof ConfigFileError) return error.problems;
    throw error;
  }
  return [];
};

describe('connector settings (config/mapping.yaml)', () => {
  it('reads the shipped file', () => {
    const settings = parseConnectorSettings(readFileSync(join(import.meta.dirname, '../../config/mapping.yaml'), 'utf8'), 'mapping.yaml');
    expect(settings.vendors.yunfu).toMatchObject({ enabled: true, timeZone: 'Asia/Shanghai', defaultRegion: 'CN', allowedIps: [] });
    expect(settings.vendors.yunfu.intentions).toEqual({ '1': 'A', '2': 'B', '3': 'C', '4': 'D', '5': 'E', '6': 'F' });
    expect(settings.vendors.voicefox).toMatchObject({ enabled: true, timeZone: 'Asia/Shanghai', defaultRegion: 'CN' });
  });

  it('defaults a vendor that is not mentioned', () => {
    expect(parseConnectorSettings('vendors:\n  yunfu: {}\n', 'f').vendors.voicefox).toEqual({
      enabled: true,
      timeZone: 'Asia/Shanghai',
      defaultRegion: 'CN',
      intentions: {},
      allowedIps: [],
    });
  });

  it('names the file, line and setting of each problem', () => {
    const yaml = [
      'vendors:',
      '  voicefox:',
      '    timeZone: Mars/Olympus',
      '    defaultRegion: XX',
      '    enabled: "yes"',
      '  yunfu:',
      '    allowedIps: [10.0.0.1, not-an-ip, 10.0.0.0/99]',
      '    intentions:',
      '      "1": ""',
      '    colour: blue',
      '  acme: {}',
    ].join('\n');
    expect(problemsOf(yaml)).toEqual([
      'config/mapping.yaml:11 vendors.acme: unknown vendor (known: voicefox, yunfu)',
      'config/mapping.yaml:5 vendors.voicefox.enabled: must be true or false',
      'config/mapping.yaml:3 vendors.voicefox.timeZone: must be an IANA time zone such as Asia/Shanghai',
      'config/mapping.yaml:4 vendors.voicefox.defaultRegion: must be a two-letter region code such as CN',
      'config/mapping.yaml:10 vendors.yunfu.colour: unknown setting (known: enabled, timeZone, defaultRegion, intentions, allowedIps)',
      'config/mapping.yaml:9 vendors.yunfu.intentions.1: must be a non-empty label',
      'config/mapping.yaml:7 vendors.yunfu.allowedIps.1: must be an IP address or CIDR range such as 203.0.113.0/24',
      'config/mapping.yaml:7 vendors.yunfu.allowedIps.2: must be an IP address or CIDR range such as 203.0.113.0/24',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problemsOf('vendors:\n  yunfu:\n    timeZone: [unclosed\n')[0]).toMatch(/^config\/mapping\.yaml:\d+ YAML syntax: /);
    expect(problemsOf('vendors:\n  yunfu: {}\n  yunfu: {}\n')[0]).toMatch(/^config\/mapping\.yaml:3 YAML syntax: /);
    expect(problemsOf('- just a list\n')).toEqual(['config/mapping.yaml:1 vendors: must be a map of vendor settings']);
  });

  it('builds an allow-list that matches addresses and ranges', () => {
    const list = buildAllowList(['203.0.113.0/24', '198.51.100.7', '2001:db8::/32'])!;
    expect(list.check('203.0.113.200', 'ipv4')).toBe(true);
    expect(list.check('198.51.100.7', 'ipv4')).toBe(true);
    expect(list.check('198.51.100.8', 'ipv4')).toBe(false);
    expect(list.check('2001:db8::1', 'ipv6')).toBe(true);
    expect(buildAllowList([])).toBeNull();
  });
});
