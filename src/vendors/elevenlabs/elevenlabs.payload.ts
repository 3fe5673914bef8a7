import { TRANSCRIPT_LIST_ITEMS } from '../vendor-definition.js';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  IsCallId,
  IsNumberLike,
  IsPlainObject,
  IsScalar,
  IsWellFormedText,
  validatePayload,
} from '../../common/payload-validation.js';

/**
 * ElevenLabs Agents post-call webhooks, as https://elevenlabs.io/docs/eleven-agents/workflows/post-call-webhooks
 * describes them: `{ type, event_timestamp, data }`. The transcription's `data` is the GET Conversation model
 * (elevenlabs-js `ConversationHistoryMetadataCommonModel`, `ConversationHistoryAnalysisCommonModel`). Only what
 * identifies an event is required; fields ElevenLabs may add are ignored.
 */

export const ELEVENLABS_TRANSCRIPTION = 'post_call_transcription';
export const ELEVENLABS_AUDIO = 'post_call_audio';
export const ELEVENLABS_INITIATION_FAILURE = 'call_initiation_failure';

export const ELEVENLABS_CALL_EVENTS = [ELEVENLABS_TRANSCRIPTION, ELEVENLABS_INITIATION_FAILURE, ELEVENLABS_AUDIO];

export class ElevenLabsEnvelope {
  @IsString()
  @IsNotEmpty()
  @IsWellFormedText()
  @MaxLength(100)
  type!: string;

  /** Epoch seconds in the documentation; read leniently (a time in any form `parseVendorInstant` knows). */
  @IsOptional() @IsScalar() event_timestamp?: number | string | null;

  @IsPlainObject()
  data!: Record<string, unknown>;
}

/** `metadata.phone_call`: absent for web and widget conversations. */
export class ElevenLabsPhoneCall {
  /** `inbound` | `outbound` (elevenlabs-js `TelephonyDirection`). */
  @IsOptional() @IsString() direction?: string | null;
  /** The agent's line. Format unconfirmed (E.164 in every example): read as E.164 or in the default region. */
  @IsOptional() @IsScalar() agent_number?: string | number | null;
  /** The customer. Same format caveat as `agent_number`. */
  @IsOptional() @IsScalar() external_number?: string | number | null;
  @IsOptional() @IsScalar() call_sid?: string | number | null;
  /** `twilio` | `sip_trunking`. */
  @IsOptional() @IsString() type?: string | null;
}

export class ElevenLabsBatchCall {
  @IsOptional() @IsScalar() batch_call_id?: string | number | null;
  @IsOptional() @IsScalar() batch_call_recipient_id?: string | number | null;
}

export class ElevenLabsMetadata {
  @IsOptional() @IsNumberLike() start_time_unix_secs?: number | string | null;
  @IsOptional() @IsNumberLike() accepted_time_unix_secs?: number | string | null;
  @IsOptional() @IsNumberLike() call_duration_secs?: number | string | null;
  /** Free text (`Call ended by remote party`, `end_call tool was called.`, `Client disconnected: 1000`). */
  @IsOptional() @IsScalar() termination_reason?: string | number | null;
  @IsOptional() @IsString() main_language?: string | null;

  @IsOptional() @ValidateNested() @Type(() => ElevenLabsPhoneCall) phone_call?: ElevenLabsPhoneCall | null;
  @IsOptional() @ValidateNested() @Type(() => ElevenLabsBatchCall) batch_call?: ElevenLabsBatchCall | null;
}

export class ElevenLabsAnalysis {
  /** `success` | `failure` | `unknown`. */
  @IsOptional() @IsString() call_successful?: string | null;
  @IsOptional() @IsString() transcript_summary?: string | null;
  @IsOptional() @IsString() call_summary_title?: string | null;
  /** `{ <id>: { data_collection_id, value, json_schema: { description, … }, rationale } }`. */
  @IsOptional() @IsPlainObject() data_collection_results?: Record<string, unknown> | null;
  /** `{ <id>: { criteria_id, result: success|failure|unknown, rationale } }`. */
  @IsOptional() @IsPlainObject() evaluation_criteria_results?: Record<string, unknown> | null;
}

export class ElevenLabsInitiationClientData {
  /** The agent's variables: the caller's own (`customer_name`) and ElevenLabs' `system__*` ones. */
  @IsOptional() @IsPlainObject() dynamic_variables?: Record<string, unknown> | null;
}

/** `data` of `post_call_transcription`. */
export class ElevenLabsTranscription {
  @IsCallId() conversation_id!: string | number;
  @IsOptional() @IsScalar() agent_id?: string | number | null;
  @IsOptional() @IsString() agent_name?: string | null;
  /** `done`, `failed`, … */
  @IsOptional() @IsString() status?: string | null;
  @IsOptional() @IsScalar() user_id?: string | number | null;
  @IsOptional() @IsBoolean() has_audio?: boolean | null;

  /** The turns; only counted (the transcript itself is not copied into HubSpot). */
  @IsOptional() @IsArray() @ArrayMaxSize(TRANSCRIPT_LIST_ITEMS) transcript?: unknown[] | null;

  @IsOptional() @ValidateNested() @Type(() => ElevenLabsMetadata) metadata?: ElevenLabsMetadata | null;
  @IsOptional() @ValidateNested() @Type(() => ElevenLabsAnalysis) analysis?: ElevenLabsAnalysis | null;
  @IsOptional()
  @ValidateNested()
  @Type(() => ElevenLabsInitiationClientData)
  conversation_initiation_client_data?: ElevenLabsInitiationClientData | null;
}

/** Base64 as ElevenLabs sends it (the standard alphabet; the URL-safe one is taken too), padding optional. */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** `data` of `post_call_audio` as delivered: the whole call's MP3 in base64 (several MB). */
export class ElevenLabsAudioDelivery {
  @IsCallId() conversation_id!: string | number;
  @IsOptional() @IsScalar() agent_id?: string | number | null;

  @IsString()
  @IsNotEmpty()
  @Matches(BASE64, { message: 'must be base64 (the MP3 of the call)' })
  full_audio!: string;
}

/** What is stored in place of the audio: its size and digest. ElevenLabs keeps the audio itself. */
export class ElevenLabsAudioDigest {
  @IsInt() @Min(0) bytes!: number;
  @IsString() @Matches(/^[0-9a-f]{64}$/, { message: 'must be a SHA-256 in hex' }) sha256!: string;
}

/** `data` of `post_call_audio` as stored (see `ElevenLabsWebhook`). */
export class ElevenLabsStoredAudio {
  @IsCallId() conversation_id!: string | number;
  @IsOptional() @IsScalar() agent_id?: string | number | null;
  @ValidateNested() @Type(() => ElevenLabsAudioDigest) full_audio!: ElevenLabsAudioDigest;
}

/** Twilio's StatusCallback fields ElevenLabs forwards (`metadata.type: twilio`). */
export class ElevenLabsTwilioFailure {
  @IsOptional() @IsScalar() From?: string | number | null;
  @IsOptional() @IsScalar() To?: string | number | null;
  /** `outbound-api`, `outbound-dial`, `inbound`. */
  @IsOptional() @IsString() Direction?: string | null;
  @IsOptional() @IsString() CallStatus?: string | null;
  @IsOptional() @IsScalar() CallSid?: string | number | null;
  @IsOptional() @IsScalar() SipResponseCode?: string | number | null;
}

/** The SIP trunk's failure (`metadata.type: sip`); its numbers are documented as numbers, sent as text in examples. */
export class ElevenLabsSipFailure {
  @IsOptional() @IsScalar() from_number?: string | number | null;
  @IsOptional() @IsScalar() to_number?: string | number | null;
  @IsOptional() @IsScalar() sip_status_code?: string | number | null;
  @IsOptional() @IsScalar() sip_status?: string | number | null;
  @IsOptional() @IsScalar() error_reason?: string | number | null;
  @IsOptional() @IsScalar() call_sid?: string | number | null;
}

export class ElevenLabsFailureMetadata {
  /** `twilio` | `sip`: says how to read `body`. */
  @IsOptional() @IsString() type?: string | null;
  @IsOptional() @IsPlainObject() body?: Record<string, unknown> | null;
}

/** `data` of `call_initiation_failure`: a telephony call that never connected. */
export class ElevenLabsInitiationFailure {
  @IsCallId() conversation_id!: string | number;
  @IsOptional() @IsScalar() agent_id?: string | number | null;
  /** `busy` | `no-answer` | `unknown`. */
  @IsOptional() @IsScalar() failure_reason?: string | number | null;
  @IsOptional() @ValidateNested() @Type(() => ElevenLabsFailureMetadata) metadata?: ElevenLabsFailureMetadata | null;
}

/** The provider's part of a failure, validated by the schema its `metadata.type` names (none for other types). */
export type ProviderFailure =
  | { kind: 'twilio'; provider: string; twilio: ElevenLabsTwilioFailure }
  | { kind: 'sip'; provider: string; sip: ElevenLabsSipFailure }
  | { kind: 'other'; provider: string | null };

export function providerFailure(data: ElevenLabsInitiationFailure): ProviderFailure {
  const provider = data.metadata?.type?.trim().toLowerCase() || null;
  const body = data.metadata?.body ?? {};
  if (provider === 'twilio')
    return { kind: provider, provider, twilio: validatePayload(ElevenLabsTwilioFailure, body, 'data.metadata.body') };
  if (provider === 'sip')
    return { kind: provider, provider, sip: validatePayload(ElevenLabsSipFailure, body, 'data.metadata.body') };
  return { kind: 'other', provider };
}
