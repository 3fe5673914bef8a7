import { fixture } from './fixtures.js';

type Json = Record<string, unknown>;

/** A distinct valid Chinese mobile number for each index (138 0000 0000 + i). */
export function chinaMobile(index: number): string {
  return `138${String(index).padStart(8, '0')}`;
}

export function e164Of(national: string): string {
  return `+86${national}`;
}

/** A Yunfu call item shaped like the seed, with its own call id, number, intention and tags. */
export function yunfuCall(options: {
  callid: string;
  number: string;
  intention?: number | string;
  tags?: string[];
}): Json {
  const seed = fixture<{ data: Json[] }>('yunfu', 'seed-inbound-success').data[0]!;
  return {
    ...seed,
    callid: options.callid,
    intention_results: options.intention ?? 1,
    number_data: { ...(seed['number_data'] as Json), number: options.number },
    tags: (options.tags ?? ['打出来的是什么号码']).map((name, index) => ({ tag_id: `tag-${index}`, name })),
  };
}

export function yunfuBatch(items: Json[]): Json {
  return { count: items.length, data: items };
}

/** A VoiceFox event shaped like the realistic collect fixture, for another session and caller. */
export function voicefoxEvent(name: 'callin-collect' | 'callin-hangup', sessionId: string, caller?: string): Json {
  const event = fixture<{ event_name: string; event_data: Json }>('voicefox', name);
  return { ...event, event_data: { ...event.event_data, session_id: sessionId, ...(caller ? { caller } : {}) } };
}
