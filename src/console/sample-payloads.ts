import { randomUUID } from 'node:crypto';

/**
 * Sample webhooks for sandbox mode's "send samples" button: a VoiceFox `callin.collect` (copied from VoiceFox's
 * documented example, with real-looking numbers: the one in its document has placeholders) and a Yunfu inbound call
 * (Yunfu's documented sample), kept here as data so that the built connector ships them (the test fixtures under
 * `test/fixtures/` are test code). Each send gets fresh call ids, so that every press logs new calls.
 */
export interface SamplePayload {
  vendor: string;
  payload: unknown;
}

export function samplePayloads(id: () => string = randomUUID): SamplePayload[] {
  const voicefox = structuredClone(VOICEFOX_COLLECT);
  voicefox.event_data.session_id = `sample-${id()}`;
  const yunfu = structuredClone(YUNFU_INBOUND);
  for (const call of yunfu.data) call.callid = `sample-${id()}`;
  return [
    { vendor: 'voicefox', payload: voicefox },
    { vendor: 'yunfu', payload: yunfu },
  ];
}

const VOICEFOX_COLLECT = {
  event_name: 'callin.collect',
  event_data: {
    collect_targets: [
      {
        question: '您对我们的产品感兴趣吗?',
        hit: true,
        result: '感兴趣',
        message: '客户主动询问价格',
        question_uuid: 'q-interest-01',
      },
      {
        question: '方便留一个邮箱吗?',
        hit: true,
        result: 'li.wei@example.com',
        message: '',
        question_uuid: 'q-email-02',
      },
      {
        question: '预算大概多少?',
        hit: false,
        result: '',
        message: '未回答',
        question_uuid: 'q-budget-03',
      },
    ],
    conversation_analysis: [
      {
        title: '通话摘要',
        result: '客户对产品感兴趣，希望销售回电介绍价格。',
      },
      {
        title: '意向等级',
        result: 'A',
      },
      {
        title: '标签',
        result: '价格咨询，回电',
      },
    ],
    session_id: 'vf-5f1c2a9e-0b7d-4c1e-9a53-2d8e6f4b7c10',
    task_id: 0,
    task_item_id: 0,
    callee: '4008001234',
    caller: '17534989887',
    start_at: '2025-09-25 21:39:55',
    answer_at: '2025-09-25 21:40:02',
    end_at: '2025-09-25 21:40:45',
    duration: 50,
    billsec: 43,
    direction: 'inbound',
    ring_time: 7,
    hangup_side: 'caller',
    hangup_reason: 'normal clearing',
    record_url: 'https://media.voicefox.example/records/vf-5f1c2a9e.mp3?expires=1758808845&sig=abc123',
    assistant_infos: [
      {
        assistant_id: 1201,
        assistant_vid: 88,
      },
    ],
    extra: {},
  },
};

const YUNFU_INBOUND = {
  count: 1,
  data: [
    {
      calldate: '2025-09-25 21:39:55',
      answerdate: '2025-09-25 21:39:55',
      bill: 43,
      duration: 43,
      callid: '3e7ff3fb-2e65-4a51-b322-a01db56f8a90',
      customer_id: '794b99dd-1039-4049-953b-b623f8ea959a',
      master_user_id: '40863af8-db4a-41c6-a269-eb5bc386d97f',
      user_id: '40863af8-db4a-41c6-a269-eb5bc386d97f',
      type: 4,
      intention_results: 1,
      rounds: 2,
      score: 0,
      number_data: {
        number: '17534989887',
        hangupdate: '2025-09-25 21:40:38',
        province: '山西',
        city: '晋中',
        operator: '联通',
      },
      group: {
        id: 11032,
        name: 'cky测试',
      },
      task: {
        id: 'cb4a91c2-09c0-4c71-8e67-3887f593bd4d',
        name: 'cky呼入任务测试',
      },
      user: {
        id: '40863af8-db4a-41c6-a269-eb5bc386d97f',
        name: '官方系统测试账号',
      },
      level: {
        level_id: '7049b435-3781-4f01-9c42-325bb12f743c',
        level_name: '评分中',
      },
      tags: [
        {
          tag_id: 'db97dd4e-d7d7-4f7d-bc1c-f347dacc146b',
          name: '打出来的是什么号码',
        },
      ],
      customer_data: {
        name: '未知',
        email: null,
        company: null,
        extra: null,
      },
      voice_url: 'hw.test-saas.our.top/api/agent-api/download-voice?key=Um5tQ1dGWXdlVGJYVUF1TDB',
    },
  ],
};
