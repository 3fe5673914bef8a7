import { describe, expect, it } from 'vitest';
import { chinaContext, fixture } from '../../test/support/fixtures.js';
import type { CallRecord } from '../vendors/call-record.js';
import { VoiceFoxMapper } from '../vendors/voicefox/voicefox.mapper.js';
import { escapeHtml } from './hubspot-call-mapping.js';
import { compileTemplate, renderTemplate, TemplateError } from './template.js';

const record = (() => {
  const payload = fixture('voicefox', 'callin-collect');
  const result = new VoiceFoxMapper().map({ eventName: 'callin.collect', payload }, chinaContext());
  if (result.kind !== 'records') throw new Error('no record');
  return result.records[0]!;
})();
const render = (source: string, target: CallRecord = record, escape?: (text: string) => string) =>
  renderTemplate(compileTemplate(source), target, escape);

describe('templates', () => {
  it('renders fields, defaults and computed fields', () => {
    expect(render('{{vendorName}} {{direction}} {{customer.phone.e164}} {{talkSeconds}}s')).toBe(
      'VoiceFox inbound +8617534989887 43s',
    );
    expect(render('{{customer.name | "Unknown"}} / {{intention.label | "-"}}')).toBe('Unknown / A');
    expect(render('{{summary}}')).toBe('客户对产品感兴趣，希望销售回电介绍价格。');
  });

  it('renders if/else blocks and loops over answers, analysis and tags', () => {
    expect(render('{{#if customer.name}}named{{else}}anonymous{{/if}}')).toBe('anonymous');
    expect(render('{{#each answers}}[{{question}}={{answer | "?"}}]{{/each}}')).toBe(
      '[您对我们的产品感兴趣吗?=感兴趣][方便留一个邮箱吗?=li.wei@example.com][预算大概多少?=?]',
    );
    expect(render('{{#each tags}}#{{.}} {{/each}}')).toBe('#价格咨询 #回电 ');
    expect(render('{{#each analysis}}{{#if result}}{{title}};{{/if}}{{/each}}')).toBe('通话摘要;意向等级;标签;');
    // Inside a loop, call fields stay reachable.
    expect(render('{{#each tags}}{{vendorName}}{{/each}}')).toBe('VoiceFoxVoiceFox');
  });

  it('escapes values, and only values, when asked', () => {
    const hostile: CallRecord = { ...record, customer: { ...record.customer, name: '<script>alert(1)</script>' } };
    expect(render('<p>{{customer.name}}</p>', hostile, escapeHtml)).toBe(
      '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>',
    );
  });

  it('executes nothing: anything but fields and blocks is refused at compile time', () => {
    for (const source of [
      '{{constructor.constructor("return 1")()}}',
      '{{process.exit}}',
      '{{#with x}}{{/with}}',
      '{{> partial}}',
    ]) {
      expect(() => compileTemplate(source), source).toThrow(TemplateError);
    }
  });

  it('reports the line of a problem', () => {
    try {
      compileTemplate('line one\n{{#each answers}}\n{{nope}}\n{{/each}}');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TemplateError);
      expect((error as TemplateError).line).toBe(3);
      expect((error as TemplateError).message).toBe(
        'unknown field "nope" (in {{#each answers}}: questionId, question, answer, hit, note, or a call field)',
      );
    }
    expect(() => compileTemplate('{{/if}}')).toThrow('{{/if}} without its {{#if}}');
    expect(() => compileTemplate('{{#if tags}}{{/each}}')).toThrow('{{/each}} without its {{#each}}');
    expect(() => compileTemplate('{{#each score}}{{/each}}')).toThrow(
      '{{#each}} takes a list: answers, analysis, tags',
    );
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty'])
      expect(() => compileTemplate(`{{#each ${name}}}{{/each}}`)).toThrow(TemplateError);
    expect(() => compileTemplate('{{.}}')).toThrow('{{.}} is for {{#each tags}}');
    expect(() => compileTemplate('text }} more')).toThrow('an unmatched {{ or }}');
  });
});
