import { Type } from 'class-transformer';
import { IsNotEmpty, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { IsCallId, IsNumberLike, IsPlainObject, IsScalar, IsWellFormedText } from '../../common/payload-validation.js';

/**
 * Vapi server messages, as its server events page and OpenAPI describe them (docs.vapi.ai/server-url/events;
 * `ServerMessageEndOfCallReport`, `Call`, `Artifact`, `Analysis`, `CreateCustomerDTO` in the API reference). Every
 * message is `{ "message": { "type": …, "call": {…}, … } }`. Only what identifies a report is required; the rest is
 * read leniently by the mapper, since Vapi adds fields often.
 */

/** The one message that carries a finished call. */
export const VAPI_END_OF_CALL_REPORT = 'end-of-call-report';

export class VapiDelivery {
  @IsPlainObject()
  message!: Record<string, unknown>;
}

/** Just the message's type: every message type is stored, only the report is read further. */
export class VapiMessageType {
  @IsString()
  @IsNotEmpty()
  @IsWellFormedText()
  @MaxLength(100)
  type!: string;
}

export class VapiCustomer {
  /** E.164 unless the customer's `numberE164CheckEnabled` is false (then any `^\+?[a-zA-Z0-9]+$`). */
  @IsOptional() @IsScalar() number?: string | number | null;
  @IsOptional() @IsScalar() name?: string | null;
  @IsOptional() @IsScalar() email?: string | null;
  @IsOptional() @IsScalar() externalId?: string | number | null;
}

export class VapiPhoneNumber {
  /** The Vapi line, E.164. */
  @IsOptional() @IsScalar() number?: string | number | null;
}

export class VapiAnalysis {
  @IsOptional() @IsString() summary?: string | null;
  /** The customer's own schema (`assistant.analysisPlan.structuredDataSchema`). */
  @IsOptional() @IsPlainObject() structuredData?: Record<string, unknown> | null;
  /** Text in the schema; in practice also `true`/`false` or a number, by the rubric chosen. */
  @IsOptional() @IsScalar() successEvaluation?: string | boolean | number | null;
}

export class VapiMonoRecording {
  @IsOptional() @IsString() combinedUrl?: string | null;
}

export class VapiRecording {
  @IsOptional() @ValidateNested() @Type(() => VapiMonoRecording) mono?: VapiMonoRecording | null;
}

export class VapiArtifact {
  /** Deprecated in the schema in favour of `recording.mono.combinedUrl`, still sent. */
  @IsOptional() @IsString() recordingUrl?: string | null;
  @IsOptional() @ValidateNested() @Type(() => VapiRecording) recording?: VapiRecording | null;
}

export class VapiAssistantOverrides {
  @IsOptional() @IsPlainObject() metadata?: Record<string, unknown> | null;
}

/** The `Call` object: its id keys the report; the rest backs up the message's own fields. */
export class VapiCall {
  @IsCallId()
  id!: string | number;

  /** `inboundPhoneCall`, `outboundPhoneCall`, `webCall`, `vapi.websocketCall`. */
  @IsOptional() @IsString() @MaxLength(100) type?: string | null;
  @IsOptional() @IsScalar() assistantId?: string | null;
  @IsOptional()
  @ValidateNested()
  @Type(() => VapiAssistantOverrides)
  assistantOverrides?: VapiAssistantOverrides | null;
  @IsOptional() @IsScalar() startedAt?: string | number | null;
  @IsOptional() @IsScalar() endedAt?: string | number | null;
  @IsOptional() @IsString() endedReason?: string | null;
  @IsOptional() @ValidateNested() @Type(() => VapiCustomer) customer?: VapiCustomer | null;
  @IsOptional() @ValidateNested() @Type(() => VapiPhoneNumber) phoneNumber?: VapiPhoneNumber | null;
  @IsOptional() @ValidateNested() @Type(() => VapiAnalysis) analysis?: VapiAnalysis | null;
  @IsOptional() @ValidateNested() @Type(() => VapiArtifact) artifact?: VapiArtifact | null;
}

/** `message` of an `end-of-call-report`. */
export class VapiEndOfCallReport {
  @IsString() type!: string;

  @IsPlainObject()
  @ValidateNested()
  @Type(() => VapiCall)
  call!: VapiCall;

  /** Hundreds of values, more added often: read by prefix (see the mapper). */
  @IsOptional() @IsString() @MaxLength(300) endedReason?: string | null;
  /** ISO 8601 (`2025-10-02T15:04:11.512Z`). */
  @IsOptional() @IsScalar() startedAt?: string | number | null;
  @IsOptional() @IsScalar() endedAt?: string | number | null;
  /** Not in the OpenAPI, but sent (VapiAI/server-sdk-typescript#26): read only when the times are missing. */
  @IsOptional() @IsNumberLike() durationSeconds?: number | string | null;
  @IsOptional() @IsNumberLike() durationMs?: number | string | null;
  /** The message's own time, epoch ms. */
  @IsOptional() @IsScalar() timestamp?: number | string | null;
  /** USD. */
  @IsOptional() @IsNumberLike() cost?: number | string | null;
  @IsOptional() @ValidateNested() @Type(() => VapiCustomer) customer?: VapiCustomer | null;
  @IsOptional() @ValidateNested() @Type(() => VapiPhoneNumber) phoneNumber?: VapiPhoneNumber | null;
  @IsOptional() @ValidateNested() @Type(() => VapiAnalysis) analysis?: VapiAnalysis | null;
  @IsOptional() @ValidateNested() @Type(() => VapiArtifact) artifact?: VapiArtifact | null;
  /** Older reports carried these at the top of the message. */
  @IsOptional() @IsString() summary?: string | null;
  @IsOptional() @IsString() recordingUrl?: string | null;
}
