import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { BlockList } from 'node:net';
import { SourceForbiddenError, UnknownVendorError, UnauthorizedError } from '../common/app-error.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { APP_ENV } from '../config/config.tokens.js';
import { buildAllowList } from './sender-allow-list.js';
import { type VendorSettings } from '../config/mapping/mapping-settings.js';
import type { AppEnv } from '../config/env.schema.js';
import { InboxRepository } from '../store/inbox.repository.js';
import { RecordingRepository } from '../store/recording.repository.js';
import { ConnectorConfig } from '../config/connector-config.service.js';
import { InboxSignal } from '../store/inbox-signal.js';
import { VendorsInForce, type Vendor } from '../config/vendors-in-force.js';
import type { DeliveryOutcome } from '../vendors/vendor-webhook.js';
import { MAX_LIST_ITEMS, parseJsonBody, readBody } from './request-body.reader.js';
import { UnverifiedBodies } from './unverified-bodies.js';
import { AuthThrottle } from './auth-throttle.js';
import { checkBeforeBody, checkBody, type Presented } from './webhook-auth.js';
import { ownValue } from '../common/own-value.js';

export interface IngestRequest {
  vendorId: string;
  /** The secret from the last path segment (`/webhooks/yunfu/<secret>`), where the route has one. */
  pathSecret?: string;
  request: Request;
  correlationId: string;
}

/**
 * Takes one webhook delivery from the wire into the durable inbox: vendor → auth → sender → size → signature → JSON →
 * shape → store. The vendor gets its 2xx only after the store's transaction committed.
 */
@Injectable()
export class WebhookIngestService {
  private readonly allowLists = new WeakMap<VendorSettings, BlockList | null>();

  constructor(
    private readonly vendors: VendorsInForce,
    private readonly inbox: InboxRepository,
    private readonly signal: InboxSignal,
    private readonly throttle: AuthThrottle,
    private readonly unverified: UnverifiedBodies,
    private readonly recordings: RecordingRepository,
    private readonly config: ConnectorConfig,
    @Inject(APP_ENV) private readonly env: AppEnv,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async ingest({ vendorId, pathSecret, request, correlationId }: IngestRequest): Promise<Record<string, unknown>> {
    const vendor = this.vendors.find(vendorId);
    if (!vendor || !vendor.settings.enabled) throw new UnknownVendorError();
    const scheme = vendor.settings.auth;
    // The path-secret route exists only for vendors whose secret may come that way.
    if (pathSecret !== undefined && !(scheme.kind === 'secret' && scheme.from.includes('path')))
      throw new UnknownVendorError();
    const sender = senderAddress(request, this.env);
    const secret = ownValue(this.env.webhookSecrets, vendor.id) ?? null;
    const presented: Presented = { header: (name) => header(request, name), pathSecret, now: this.clock.now() };
    // A shared secret is checked whole here; a signature's headers and timestamp are, before the body is read.
    this.throttle.guard(sender, () => checkBeforeBody(scheme, presented, closedUnless(vendor, secret)));
    this.checkSender(vendor, sender);
    const limits = { maxListItems: vendor.maxListItems ?? MAX_LIST_ITEMS };
    let raw: Buffer;
    if (scheme.kind === 'secret') {
      raw = await readBody(request, vendor.settings.maxBodyBytes ?? this.env.webhookMaxBodyBytes, limits);
    } else {
      // The sender is not known until the signature over the whole body is checked: its bytes count against the
      // memory all such bodies may hold at once, until then.
      raw = await readBody(request, vendor.settings.maxBodyBytes ?? this.env.webhookMaxBodyBytes, {
        ...limits,
        budget: this.unverified,
      });
      try {
        this.throttle.guard(sender, () => checkBody(scheme, presented, closedUnless(vendor, secret), raw));
      } finally {
        this.unverified.give(raw.length);
      }
    }
    this.throttle.succeed(sender);
    return this.accept(vendor, raw, request.headers['content-type'], correlationId, request);
  }

  /**
   * A sample payload (the operator console's sandbox button) taken as its vendor's delivery would be: the vendor's
   * own secret presented where its scheme reads it and checked, then the same parsing, splitting and storing. Only for
   * vendors with a shared secret (the samples are VoiceFox's and Yunfu's); a closed or disabled vendor refuses it.
   */
  async ingestSample(vendorId: string, payload: unknown, correlationId: string): Promise<Record<string, unknown>> {
    const vendor = this.vendors.find(vendorId);
    if (!vendor || !vendor.settings.enabled) throw new UnknownVendorError();
    const scheme = vendor.settings.auth;
    if (scheme.kind !== 'secret') throw new UnknownVendorError();
    const secret = closedUnless(vendor, ownValue(this.env.webhookSecrets, vendor.id) ?? null);
    checkBeforeBody(scheme, { header: () => secret, pathSecret: secret, now: this.clock.now() }, secret);
    return this.accept(vendor, Buffer.from(JSON.stringify(payload)), 'application/json', correlationId, null);
  }

  /** An authenticated delivery's body: parsed, split, its audio kept, its events stored; the vendor's reply. */
  private async accept(
    vendor: Vendor,
    raw: Buffer,
    contentType: string | undefined,
    correlationId: string,
    request: Request | null,
  ): Promise<Record<string, unknown>> {
    const limits = { maxListItems: vendor.maxListItems ?? MAX_LIST_ITEMS };
    const body = parseJsonBody(contentType, raw, limits.maxListItems);
    const items = vendor.webhook.split(body);
    // Audio sent in a webhook is kept before the event is stored (and acknowledged): a stored audio event always
    // has its audio. With recordings off nothing keeps it (the event keeps its size and digest).
    if (this.config.current().recordings.mode !== 'off')
      for (const { audio } of items)
        if (audio)
          await this.recordings.saveAudio({ vendor: vendor.id, ...audio, audio: audio.bytes }, this.clock.now());
    const result = await this.inbox.storeDelivery(vendor.id, items, correlationId, this.clock.now());
    if (result.stored + result.revised > 0) this.signal.notify();
    // One log line per webhook: these fields join the request's own line (see the request log in app.factory.ts).
    if (request?.res) request.res.locals['log'] = { vendor: vendor.id, events: items.length, ...result };
    return replyBody(vendor.settings.reply, {
      received: items.length,
      stored: result.stored + result.revised,
      duplicates: result.duplicates,
    });
  }

  private checkSender(vendor: Vendor, address: string): void {
    let allowList = this.allowLists.get(vendor.settings);
    if (allowList === undefined) {
      allowList = buildAllowList(vendor.settings.allowedIps);
      this.allowLists.set(vendor.settings, allowList);
    }
    if (!allowList) return;
    const family = address.includes(':') ? 'ipv6' : 'ipv4';
    if (!address || !allowList.check(address, family)) throw new SourceForbiddenError();
  }
}

/** A vendor whose secret is not configured is closed: every request is refused. */
function closedUnless(vendor: Vendor, secret: string | null): string {
  if (secret === null) throw new UnauthorizedError(`webhooks for ${vendor.id} are closed: no secret is configured`);
  return secret;
}

/**
 * The sender's address: the socket's, or behind trusted proxies the one the nearest untrusted hop named (Express
 * walks `X-Forwarded-For` from the right, as far as `TRUST_PROXY` trusts), never an entry the client wrote itself.
 */
export function senderAddress(request: Request, env: AppEnv): string {
  const address = (env.trustProxy !== false ? request.ip : request.socket.remoteAddress) ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** The configured reply; a string value that is exactly {{received}}, {{stored}} or {{duplicates}} becomes that count. */
function replyBody(template: Record<string, unknown>, counts: DeliveryOutcome): Record<string, unknown> {
  const fill = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const exact = /^\{\{\s*(received|stored|duplicates)\s*\}\}$/.exec(value);
      if (exact) return counts[exact[1] as keyof DeliveryOutcome];
      return value.replace(/\{\{\s*(received|stored|duplicates)\s*\}\}/g, (_match, key: keyof DeliveryOutcome) =>
        String(counts[key]),
      );
    }
    if (Array.isArray(value)) return value.map(fill);
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, fill(inner)]));
    return value;
  };
  return fill(template) as Record<string, unknown>;
}

function header(request: Request, name: string): string | undefined {
  const value = ownValue(request.headers, name);
  return Array.isArray(value) ? value[0] : value;
}
