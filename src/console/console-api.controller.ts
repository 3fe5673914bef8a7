import { Controller, Inject, Param, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { MappingPreview, type MappingPreviewResult } from '../admin/mapping-preview.js';
import { AppError, UnknownVendorError, UnauthorizedError } from '../common/app-error.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { APP_ENV } from '../config/config.tokens.js';
import { ConnectorConfig } from '../config/connector-config.service.js';
import type { AppEnv } from '../config/env.schema.js';
import { shownDigest } from '../config/mapping-version-store.js';
import { MAPPING_FILE, type ConnectorSettings } from '../config/mapping/mapping-settings.js';
import { AuditLog } from '../store/audit-log.js';
import { ConsoleRepository } from '../store/console.repository.js';
import { InboxRepository } from '../store/inbox.repository.js';
import { parseJsonBody, readBody } from '../webhooks/request-body.reader.js';
import { senderAddress, WebhookIngestService } from '../webhooks/webhook-ingest.service.js';
import {
  ConsoleDeliveries,
  keysetPage,
  NotFoundError,
  pageLimit,
  wholeQuery,
  type DeliveryQuery,
} from './console-deliveries.js';
import { ConsoleGuard, sessionOf } from './console.guard.js';
import { ConsoleOverview } from './console-overview.js';
import { ConsoleRoute } from './console-routes.js';
import { clearedCookie, sessionCookie } from './console-security.js';
import { actorOf, ConsoleSessions, sessionTag, type ConsoleKind, type ConsoleSession } from './console-sessions.js';
import { ConsoleTimeline } from './console-timeline.js';
import { parseProblem } from './console-views.js';
import { samplePayloads } from './sample-payloads.js';

class InvalidBodyError extends AppError {
  constructor(problem: string) {
    super('invalid_request', 400, problem);
  }
}

class StaleMappingError extends AppError {
  constructor(digest: string) {
    super('stale', 409, `the mapping changed since this edit began (now ${digest}): load it again and redo the edit`);
  }
}

/** Audit entries listed at most per page (default 50). */
const MAX_AUDIT = 200;

/**
 * The operator console's JSON API (`/console/api`, the contract in `docs`: console-api). Every route is declared with
 * `ConsoleRoute` and passes `ConsoleGuard` first (session, CSRF, kind). Admin actions write the audit log. No answer
 * carries a secret: the tokens are compared, never echoed; the session's secret travels only in its cookie.
 */
@Controller('console/api')
@UseGuards(ConsoleGuard)
export class ConsoleApiController {
  constructor(
    private readonly sessions: ConsoleSessions,
    private readonly repository: ConsoleRepository,
    private readonly overviewSource: ConsoleOverview,
    private readonly deliveries: ConsoleDeliveries,
    private readonly timelines: ConsoleTimeline,
    private readonly config: ConnectorConfig,
    private readonly preview: MappingPreview,
    private readonly inbox: InboxRepository,
    private readonly ingest: WebhookIngestService,
    private readonly auditLog: AuditLog,
    @Inject(APP_ENV) private readonly env: AppEnv,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @ConsoleRoute('GET', 'session')
  session(@Req() request: Request) {
    return this.view(sessionOf(request));
  }

  @ConsoleRoute('POST', 'session')
  async signIn(@Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const body = await this.body(request);
    let kind: ConsoleKind;
    try {
      kind = this.sessions.authenticateToken(body['token'], senderAddress(request, this.env));
    } catch (error) {
      // A wrong or missing token is audited (how many, when: a guesser shows); one refused unread because its address
      // is over the limit (429) is not, so that a guesser cannot make the store write a row per request.
      if (error instanceof UnauthorizedError)
        await this.auditLog.record({
          actor: 'unknown',
          session: null,
          action: 'session.sign-in-refused',
          detail: { reason: error.message },
        });
      throw error;
    }
    return this.begin(kind, 'token', request, response);
  }

  /** Sandbox mode's one-time start-up link (`/console/#/sign-in?code=…`): an admin session. */
  @ConsoleRoute('POST', 'session/link')
  async signInWithLink(@Req() request: Request, @Res({ passthrough: true }) response: Response) {
    if (!this.sessions.sandbox) throw new NotFoundError('sign-in link');
    const body = await this.body(request);
    this.sessions.redeemSandboxLink(body['code'], senderAddress(request, this.env));
    return this.begin('admin', 'sandbox-link', request, response);
  }

  @ConsoleRoute('POST', 'session/sign-out')
  async signOut(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<void> {
    const session = sessionOf(request);
    await this.sessions.end(session);
    response.setHeader('Set-Cookie', clearedCookie(request.secure));
    await this.record(session, 'session.sign-out', {});
  }

  @ConsoleRoute('GET', 'overview')
  overview() {
    return this.overviewSource.overview();
  }

  @ConsoleRoute('GET', 'deliveries')
  list(@Query() query: Record<string, unknown>) {
    const text = (name: keyof DeliveryQuery) => (typeof query[name] === 'string' ? query[name] : undefined);
    return this.deliveries.list({
      vendor: text('vendor'),
      status: text('status'),
      from: text('from'),
      to: text('to'),
      q: text('q'),
      before: text('before'),
      limit: text('limit'),
    });
  }

  @ConsoleRoute('GET', 'deliveries/:id')
  delivery(@Param('id') id: string) {
    return this.deliveries.detail(id, this.overviewSource.portalId());
  }

  @ConsoleRoute('GET', 'dead-letters')
  deadLetters() {
    return this.deliveries.deadLetters();
  }

  @ConsoleRoute('POST', 'replay')
  async replay(@Req() request: Request) {
    const body = await this.body(request);
    const result = await this.deliveries.replay(body);
    await this.record(sessionOf(request), 'replay', {
      by: Array.isArray(body['ids']) ? 'ids' : 'reason',
      queued: result.queued,
      ids: result.ids.slice(0, 100),
    });
    return result;
  }

  @ConsoleRoute('GET', 'mapping')
  mapping() {
    const { text, digest } = this.config.textInForce();
    return {
      text,
      fileName: MAPPING_FILE,
      version: this.config.reloadStatus().version?.version ?? null,
      digest: shownDigest(digest),
    };
  }

  @ConsoleRoute('POST', 'mapping/check')
  async checkMapping(@Req() request: Request) {
    const { problems } = await this.config.checkText(this.text(await this.body(request)));
    return { ok: problems.length === 0, problems: problems.map(parseProblem) };
  }

  /**
   * What a stored event, or a given vendor payload, would write under the submitted text (`proposed`, null when the
   * text does not parse) and under the mapping in force.
   */
  @ConsoleRoute('POST', 'mapping/preview')
  async previewMapping(@Req() request: Request) {
    const body = await this.body(request);
    const { problems, settings } = await this.config.checkText(this.text(body));
    const run = await this.previewSubject(body);
    let proposed: MappingPreviewResult | null = null;
    if (settings) {
      try {
        proposed = await run(settings);
      } catch (error) {
        // The vendor is not in the submitted mapping (a defined vendor removed): nothing to show for it.
        if (!(error instanceof UnknownVendorError)) throw error;
      }
    }
    return { problems: problems.map(parseProblem), proposed, inForce: await run(this.config.current()) };
  }

  @ConsoleRoute('POST', 'mapping')
  async saveMapping(@Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const body = await this.body(request);
    const text = this.text(body);
    const base = body['baseDigest'];
    if (base !== undefined && base !== null && typeof base !== 'string')
      throw new InvalidBodyError('baseDigest: must be the digest GET /console/api/mapping answered');
    const outcome = await this.config.saveText(text, 'console', typeof base === 'string' ? base : null);
    const session = sessionOf(request);
    if (outcome.status === 'stale') {
      await this.record(session, 'mapping.save', { ok: false, stale: true });
      throw new StaleMappingError(outcome.digest);
    }
    if (outcome.status === 'refused') {
      await this.record(session, 'mapping.save', { ok: false, problems: outcome.problems.length });
      response.status(400);
      return { ok: false, problems: outcome.problems.map(parseProblem) };
    }
    const version = outcome.version?.version ?? null;
    await this.record(session, 'mapping.save', { ok: true, version, digest: shownDigest(outcome.digest) });
    return {
      ok: true,
      version,
      digest: shownDigest(outcome.digest),
      ...(outcome.warnings.length > 0 ? { warnings: outcome.warnings } : {}),
    };
  }

  /** Reloads `mapping.yaml` from this instance's disk, as `POST /admin/mapping/reload` does (an addition to the contract). */
  @ConsoleRoute('POST', 'mapping/reload')
  async reloadMapping(@Req() request: Request) {
    const result = await this.config.reload('console');
    const { version } = this.config.reloadStatus();
    const answer = {
      ok: result.ok,
      problems: result.problems.map(parseProblem),
      version: version?.version ?? null,
      digest: version ? shownDigest(version.digest) : null,
    };
    await this.record(sessionOf(request), 'mapping.reload', {
      ok: answer.ok,
      version: answer.version,
      problems: answer.problems.length,
    });
    return answer;
  }

  @ConsoleRoute('GET', 'timeline')
  timeline(@Query('phone') phone: unknown) {
    return this.timelines.timeline(typeof phone === 'string' ? phone : undefined, this.overviewSource.portalId());
  }

  /** Sandbox mode only: VoiceFox's and Yunfu's sample webhooks, through the real ingest path with this run's secrets. */
  @ConsoleRoute('POST', 'samples')
  async samples(@Req() request: Request) {
    if (!this.sessions.sandbox) throw new NotFoundError('samples (sandbox mode only)');
    const vendors: string[] = [];
    let sent = 0;
    for (const sample of samplePayloads()) {
      try {
        await this.ingest.ingestSample(sample.vendor, sample.payload, randomUUID());
        sent++;
        vendors.push(sample.vendor);
      } catch (error) {
        // A vendor disabled in the mapping, or with a secret of another scheme: its sample is left out.
        if (!(error instanceof UnknownVendorError || error instanceof UnauthorizedError)) throw error;
      }
    }
    await this.record(sessionOf(request), 'samples.send', { sent, vendors });
    return { sent, vendors };
  }

  /** A page of the audit log, newest first: `limit` (1 to 200, 50 if not given), `before` (the `nextBefore` answered). */
  @ConsoleRoute('GET', 'audit')
  async audit(@Query('limit') limitText: unknown, @Query('before') beforeText: unknown) {
    const limit = pageLimit(limitText, MAX_AUDIT);
    const before = wholeQuery(beforeText, 'before');
    // One past the page: whether an older page exists (a full last page answers no cursor).
    const page = keysetPage(await this.repository.auditList(limit + 1, before), limit);
    return {
      items: page.rows.map((entry) => ({
        id: entry.id,
        at: entry.at,
        actor: entry.actor,
        action: entry.action,
        detail: entry.detail,
        session: entry.session,
      })),
      nextBefore: page.nextBefore,
    };
  }

  private async begin(kind: ConsoleKind, via: ConsoleSession['via'], request: Request, response: Response) {
    const { secret, session } = await this.sessions.create(kind, via);
    response.setHeader('Set-Cookie', sessionCookie(secret, this.sessions.secondsLeft(session), request.secure));
    await this.record(session, 'session.sign-in', { kind, via });
    return this.view(session);
  }

  private view(session: ConsoleSession) {
    return {
      kind: session.kind,
      csrfToken: session.csrfToken,
      expiresAt: session.expiresAt,
      sandbox: this.sessions.sandbox,
    };
  }

  /** Writes the audit log; a store that does not take it is logged (the action itself is done). */
  private async record(session: ConsoleSession, action: string, detail: Record<string, unknown>): Promise<void> {
    await this.auditLog.record({ actor: actorOf(session), session: sessionTag(session), action, detail });
  }

  /** The request's JSON object (at most twice `WEBHOOK_MAX_BODY_BYTES`: a mapping text and a payload to preview). */
  private async body(request: Request): Promise<Record<string, unknown>> {
    const value = parseJsonBody(
      request.headers['content-type'],
      await readBody(request, this.env.webhookMaxBodyBytes * 2),
    );
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new InvalidBodyError('the body must be a JSON object');
    return value as Record<string, unknown>;
  }

  private text(body: Record<string, unknown>): string {
    const text = body['text'];
    if (typeof text !== 'string') throw new InvalidBodyError('text: must be the mapping text');
    return text;
  }

  /** What a preview looks at: a stored event (`eventId`), or a vendor's payload (`vendor`, `payload`). */
  private async previewSubject(
    body: Record<string, unknown>,
  ): Promise<(settings: ConnectorSettings) => Promise<MappingPreviewResult>> {
    const now = this.clock.now();
    if (body['eventId'] !== undefined) {
      const id = body['eventId'];
      if (!Number.isSafeInteger(id)) throw new InvalidBodyError('eventId: must be a delivery id');
      const row = await this.inbox.findById(id as number);
      if (!row) throw new NotFoundError('delivery');
      if (row.pruned_at !== null)
        throw new AppError('pruned', 409, 'this delivery was pruned (retention): its payload is gone');
      const event = { eventKey: row.event_key, eventName: row.event_name, payload: JSON.parse(row.payload) as unknown };
      return (settings) => this.preview.previewEvent(row.vendor, event, settings, now);
    }
    const vendor = body['vendor'];
    if (typeof vendor !== 'string' || body['payload'] === undefined)
      throw new InvalidBodyError('give eventId (a delivery id), or vendor and payload');
    return (settings) => this.preview.preview(vendor, body['payload'], settings, now);
  }
}
