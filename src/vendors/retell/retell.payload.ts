import { Type } from 'class-transformer';
import { IsNotEmpty, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { IsCallId, IsNumberLike, IsPlainObject, IsScalar, IsWellFormedText } from '../../common/payload-validation.js';

/**
 * Retell AI webhook payloads (docs.retellai.com/features/webhook-overview; the call object as retell-sdk 5.66
 * `PhoneCallResponse` / `WebCallResponse` types it). Only what identifies an event is required; fields Retell marks
 * "available after the call ends" are optional, since `call_started` and calls that never connected lack them.
 */

/** The events of one call that become one HubSpot call. Transfer, transcript and chat events are only stored. */
export const RETELL_CALL_EVENTS = ['call_started', 'call_ended', 'call_analyzed'] as const;

/**
 * `{ "event": "...", "call": {...} }`. One page of Retell's docs (post-call analysis) names the event `event_type`:
 * either is taken (`event` first). Chat events carry `chat` instead of `call`.
 */
export class RetellEnvelope {
  @IsOptional() @IsString() @IsNotEmpty() @IsWellFormedText() @MaxLength(100) event?: string | null;
  @IsOptional() @IsString() @IsNotEmpty() @IsWellFormedText() @MaxLength(100) event_type?: string | null;
  @IsOptional() @IsPlainObject() call?: Record<string, unknown> | null;
}

/** `call.call_analysis`, present on `call_analyzed` only. */
export class RetellCallAnalysis {
  @IsOptional() @IsString() call_summary?: string | null;
  /** `Negative`, `Positive`, `Neutral`, `Unknown`. */
  @IsOptional() @IsString() user_sentiment?: string | null;
  @IsOptional() @IsScalar() call_successful?: boolean | string | null;
  @IsOptional() @IsScalar() in_voicemail?: boolean | string | null;
  /** The customer's own post-call schema: an object of key → value (left unchecked: its shape is the customer's). */
  @IsOptional() custom_analysis_data?: unknown;
}

/** The call object of `call_started`, `call_ended`, `call_analyzed` (and of transfer and transcript events). */
export class RetellCall {
  @IsCallId()
  call_id!: string | number;

  @IsOptional() @IsScalar() agent_id?: string | number | null;
  @IsOptional() @IsScalar() agent_name?: string | number | null;
  @IsOptional() @IsNumberLike() agent_version?: number | string | null;
  /** `phone_call` | `web_call`. */
  @IsOptional() @IsString() call_type?: string | null;
  /** `registered` | `not_connected` | `ongoing` | `ended` | `error`. */
  @IsOptional() @IsString() call_status?: string | null;
  /** `inbound` | `outbound`; absent on web calls. */
  @IsOptional() @IsString() direction?: string | null;
  /** E.164 per Retell; phone calls only. */
  @IsOptional() @IsScalar() from_number?: string | number | null;
  @IsOptional() @IsScalar() to_number?: string | number | null;
  /** Epoch milliseconds. */
  @IsOptional() @IsNumberLike() start_timestamp?: number | string | null;
  @IsOptional() @IsNumberLike() end_timestamp?: number | string | null;
  @IsOptional() @IsNumberLike() duration_ms?: number | string | null;
  @IsOptional() @IsString() disconnection_reason?: string | null;
  @IsOptional() @IsString() recording_url?: string | null;
  @IsOptional() @IsString() transfer_destination?: string | null;
  /** Anything the customer attached to the call (Retell: "an arbitrary object for storage purpose only"). */
  @IsOptional() metadata?: unknown;
  @IsOptional() @IsPlainObject() retell_llm_dynamic_variables?: Record<string, unknown> | null;
  @IsOptional() @IsPlainObject() collected_dynamic_variables?: Record<string, unknown> | null;

  @IsOptional()
  @ValidateNested()
  @Type(() => RetellCallAnalysis)
  call_analysis?: RetellCallAnalysis | null;
}
