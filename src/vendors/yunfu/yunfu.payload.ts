import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsString, ValidateNested } from 'class-validator';
import { IsCallId, IsNumberLike, IsPlainObject, IsScalar } from '../../common/payload-validation.js';

/**
 * Yunfu (云蝠智能 agent-api and its white-label deployments) success callback: `{count, data: [call, …]}`.
 * The envelope is checked at ingest; each call is checked on its own by the worker, so that one bad item is
 * dead-lettered with its reason while the others go through.
 */
export class YunfuCallback {
  @IsOptional() @IsNumberLike() count?: number | string | null;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  data!: unknown[];
}

export class YunfuNumberData {
  @IsScalar() number!: string | number;
  @IsOptional() @IsScalar() hangupdate?: string | number | null;
  @IsOptional() @IsString() province?: string | null;
  @IsOptional() @IsString() city?: string | null;
  @IsOptional() @IsString() operator?: string | null;
}

export class YunfuRef {
  @IsOptional() @IsScalar() id?: string | number | null;
  @IsOptional() @IsScalar() name?: string | number | null;
}

export class YunfuLevel {
  @IsOptional() @IsScalar() level_id?: string | number | null;
  @IsOptional() @IsScalar() level_name?: string | null;
}

export class YunfuTag {
  @IsOptional() @IsScalar() tag_id?: string | number | null;
  @IsOptional() @IsScalar() name?: string | number | null;
}

export class YunfuCustomerData {
  @IsOptional() @IsScalar() name?: string | null;
  @IsOptional() @IsScalar() email?: string | null;
  @IsOptional() @IsScalar() company?: string | null;
  /** Per-customer extra fields of the platform's customer pool; usually null. */
  @IsOptional() extra?: unknown;
}

export class YunfuCall {
  @IsCallId()
  callid!: string | number;

  @IsOptional() @IsScalar() calldate?: string | number | null;
  @IsOptional() @IsScalar() answerdate?: string | number | null;
  @IsOptional() @IsNumberLike() bill?: number | string | null;
  @IsOptional() @IsNumberLike() duration?: number | string | null;
  @IsOptional() @IsScalar() customer_id?: string | null;
  @IsOptional() @IsScalar() master_user_id?: string | null;
  @IsOptional() @IsScalar() user_id?: string | null;
  @IsOptional() @IsNumberLike() type?: number | string | null;
  /** An integer level in the sample (1), letters A–F elsewhere: both accepted. */
  @IsOptional() @IsScalar() intention_results?: number | string | null;
  @IsOptional() @IsNumberLike() rounds?: number | string | null;
  @IsOptional() @IsNumberLike() score?: number | string | null;

  @IsPlainObject()
  @ValidateNested()
  @Type(() => YunfuNumberData)
  number_data!: YunfuNumberData;

  @IsOptional() @ValidateNested() @Type(() => YunfuRef) group?: YunfuRef | null;
  @IsOptional() @ValidateNested() @Type(() => YunfuRef) task?: YunfuRef | null;
  @IsOptional() @ValidateNested() @Type(() => YunfuRef) user?: YunfuRef | null;
  @IsOptional() @ValidateNested() @Type(() => YunfuLevel) level?: YunfuLevel | null;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => YunfuTag)
  tags?: YunfuTag[] | null;

  @IsOptional() @ValidateNested() @Type(() => YunfuCustomerData) customer_data?: YunfuCustomerData | null;
  @IsOptional() @IsString() voice_url?: string | null;
}
