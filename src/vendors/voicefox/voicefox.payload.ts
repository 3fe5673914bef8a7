import { Type } from 'class-transformer';
import { IsArray, IsNotEmpty, IsOptional, IsString, MaxLength, ArrayMaxSize, ValidateNested } from 'class-validator';
import { IsCallId, IsNumberLike, IsPlainObject, IsScalar, IsWellFormedText } from '../../common/payload-validation.js';

/**
 * VoiceFox webhook payloads, as its webhook document describes them. Fields whose format VoiceFox does not publish
 * (numbers, times) accept every plausible form; the mapper reads them. Only what identifies an event is required.
 */

export const VOICEFOX_CALL_EVENTS = [
  'callin.collect',
  'task.call.collect',
  'callin.hangup',
  'callin.transfer',
] as const;

export class VoiceFoxEnvelope {
  @IsString()
  @IsNotEmpty()
  @IsWellFormedText()
  @MaxLength(100)
  event_name!: string;

  @IsPlainObject()
  event_data!: Record<string, unknown>;
}

export class VoiceFoxCollectTarget {
  @IsOptional() @IsScalar() question?: string | number | null;
  @IsOptional() @IsScalar() hit?: boolean | string | number | null;
  @IsOptional() @IsScalar() result?: string | number | boolean | null;
  @IsOptional() @IsScalar() message?: string | number | null;
  @IsOptional() @IsScalar() question_uuid?: string | number | null;
}

export class VoiceFoxAnalysisItem {
  @IsOptional() @IsScalar() title?: string | number | null;
  @IsOptional() @IsScalar() result?: string | number | boolean | null;
}

export class VoiceFoxAssistantInfo {
  @IsOptional() @IsScalar() assistant_id?: string | number | null;
  @IsOptional() @IsScalar() assistant_vid?: string | number | null;
}

/** `event_data` of `callin.collect`, `task.call.collect`, `callin.hangup` (and `callin.transfer`, read the same way). */
export class VoiceFoxCallData {
  @IsCallId()
  session_id!: string | number;

  @IsOptional() @IsNumberLike() task_id?: number | string | null;
  @IsOptional() @IsNumberLike() task_item_id?: number | string | null;
  @IsOptional() @IsScalar() caller?: string | number | null;
  @IsOptional() @IsScalar() callee?: string | number | null;
  @IsOptional() @IsScalar() start_at?: string | number | null;
  @IsOptional() @IsScalar() answer_at?: string | number | null;
  @IsOptional() @IsScalar() end_at?: string | number | null;
  @IsOptional() @IsNumberLike() duration?: number | string | null;
  @IsOptional() @IsNumberLike() billsec?: number | string | null;
  @IsOptional() @IsNumberLike() ring_time?: number | string | null;
  @IsOptional() @IsString() direction?: string | null;
  @IsOptional() @IsString() hangup_side?: string | null;
  @IsOptional() @IsScalar() hangup_reason?: string | number | null;
  @IsOptional() @IsString() record_url?: string | null;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => VoiceFoxCollectTarget)
  collect_targets?: VoiceFoxCollectTarget[] | null;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => VoiceFoxAnalysisItem)
  conversation_analysis?: VoiceFoxAnalysisItem[] | null;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => VoiceFoxAssistantInfo)
  assistant_infos?: VoiceFoxAssistantInfo[] | null;

  @IsOptional() @IsPlainObject() extra?: Record<string, unknown> | null;
}
