import { Controller, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { AppError, UnauthorizedError } from '../common/app-error.js';
import { ConnectorConfig } from '../config/connector-config.service.js';
import { shownDigest } from '../config/mapping-version-store.js';
import { APP_ENV } from '../config/config.tokens.js';
import type { AppEnv } from '../config/env.schema.js';
import { AuditLog } from '../store/audit-log.js';
import { MappingPreview } from './mapping-preview.js';
import { parseJsonBody, readBody } from '../webhooks/request-body.reader.js';
import { AuthThrottle } from '../webhooks/auth-throttle.js';
import { secretMatches } from '../webhooks/webhook-auth.js';
import { senderAddress } from '../webhooks/webhook-ingest.service.js';
import { vendorIds } from '../vendors/vendors.js';

class MissingVendorError extends AppError {
  constructor() {
    super(
      'invalid_request',
      400,
      `vendor: give the vendor as ${vendorIds()
        .map((id) => `?vendor=${id}`)
        .join(' or ')}`,
    );
  }
}

/**
 * Admin endpoints, closed unless `ADMIN_TOKEN` is set; the token goes in `Authorization: Bearer <token>`.
 *  - `POST /admin/mapping/preview?vendor=voicefox` with a vendor payload: what it would write to HubSpot.
 *  - `POST /admin/mapping/reload`: reload `config/mapping.yaml` now (as a file save or SIGHUP would); a good file is
 *    stored as the new version of the mapping, which every instance on the store then takes. Recorded in the audit log
 *    (`admin-api`), beside the console's actions.
 */
@Controller('admin')
export class AdminController {
  constructor(
    private readonly preview: MappingPreview,
    private readonly config: ConnectorConfig,
    private readonly throttle: AuthThrottle,
    private readonly auditLog: AuditLog,
    @Inject(APP_ENV) private readonly env: AppEnv,
  ) {}

  @Post('mapping/preview')
  @HttpCode(200)
  async previewMapping(@Query('vendor') vendor: string | undefined, @Req() request: Request) {
    this.authorize(request);
    if (!vendor) throw new MissingVendorError();
    const payload = parseJsonBody(
      request.headers['content-type'],
      await readBody(request, this.env.webhookMaxBodyBytes),
    );
    return this.preview.preview(vendor, payload, this.config.current());
  }

  @Post('mapping/reload')
  @HttpCode(200)
  async reload(@Req() request: Request) {
    this.authorize(request);
    const result = await this.config.reload('admin request');
    const { loadedAt, version } = this.config.reloadStatus();
    const detail = { ok: result.ok, version: version?.version ?? null, problems: result.problems.length };
    // As the console's reload is: the action is done whether or not the audit log takes it (a failure is logged).
    await this.auditLog.record({ actor: 'admin-api', session: null, action: 'mapping.reload', detail });
    // The version in force afterwards (new when the file changed; the one before when refused or unchanged), which
    // every instance's health reports once it took it.
    return {
      ...result,
      inForceSince: loadedAt,
      ...(version ? { version: version.version, digest: shownDigest(version.digest) } : {}),
    };
  }

  /** The admin token, with guesses slowed down as webhook secrets are (per address, 429 with `Retry-After`). */
  private authorize(request: Request): void {
    const token = this.env.adminToken;
    if (token === null) throw new UnauthorizedError('admin endpoints are closed: ADMIN_TOKEN is not set');
    const sender = senderAddress(request, this.env);
    this.throttle.guard(sender, () => {
      const presented = request.headers['authorization'];
      if (!secretMatches(typeof presented === 'string' ? presented : undefined, token)) {
        throw new UnauthorizedError(presented ? 'wrong admin token' : 'missing admin token');
      }
    });
    this.throttle.succeed(sender);
  }
}
