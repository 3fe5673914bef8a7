import type { CallRecord } from '../vendors/call-record.js';

/**
 * Folds a later event of a call into what is known of it, so that the HubSpot call carries every event's data
 * whatever order they came in (VoiceFox `callin.hangup` has the timings, `callin.collect` the answers). A value
 * the newer event has replaces the older; an empty one does not erase it.
 */
export function mergeCallRecords(known: CallRecord, next: CallRecord): CallRecord {
  const pick = <T>(newer: T | null, older: T | null): T | null =>
    newer === null || newer === undefined ? older : newer;
  const pickList = <T>(newer: T[], older: T[]): T[] => (newer.length > 0 ? newer : older);
  // A collect event is the richer one: once seen, the call is named after it.
  const named = known.eventKind === 'collect' && next.eventKind !== 'collect' ? known : next;
  return {
    ...next,
    eventKind: named.eventKind,
    eventName: named.eventName,
    direction: pick(next.direction, known.direction),
    customer: {
      phone: next.customer.phone.e164 ? next.customer.phone : known.customer.phone,
      name: pick(next.customer.name, known.customer.name),
      email: pick(next.customer.email, known.customer.email),
      company: pick(next.customer.company, known.customer.company),
    },
    linePhone: next.linePhone.e164 || next.linePhone.raw ? next.linePhone : known.linePhone,
    startedAt: pick(next.startedAt, known.startedAt),
    answeredAt: pick(next.answeredAt, known.answeredAt),
    endedAt: pick(next.endedAt, known.endedAt),
    durationSeconds: pick(next.durationSeconds, known.durationSeconds),
    talkSeconds: pick(next.talkSeconds, known.talkSeconds),
    ringSeconds: pick(next.ringSeconds, known.ringSeconds),
    outcome: pick(next.outcome, known.outcome),
    hangup: { side: pick(next.hangup.side, known.hangup.side), reason: pick(next.hangup.reason, known.hangup.reason) },
    recordingUrl: pick(next.recordingUrl, known.recordingUrl),
    intention: pick(next.intention, known.intention),
    tags: pickList(next.tags, known.tags),
    answers: pickList(next.answers, known.answers),
    analysis: pickList(next.analysis, known.analysis),
    campaign: pick(next.campaign, known.campaign),
    script: pick(next.script, known.script),
    account: pick(next.account, known.account),
    location: pick(next.location, known.location),
    score: pick(next.score, known.score),
    rounds: pick(next.rounds, known.rounds),
    summary: pick(next.summary, known.summary),
    sentiment: pick(next.sentiment, known.sentiment),
    success: pick(next.success, known.success),
    audio: pick(next.audio ?? null, known.audio ?? null),
    extras: { ...known.extras, ...next.extras },
  };
}
