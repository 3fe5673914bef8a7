import { Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { WebhookIngestService } from './webhook-ingest.service.js';

const SAFE_REQUEST_ID = /^[\w.:-]{1,64}$/;

/** Where vendor webhooks enter. Thin: the ingest service verifies, validates and stores; the worker does the rest. */
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly ingest: WebhookIngestService) {}

  @Post(':vendor')
  @HttpCode(200)
  receive(@Param('vendor') vendor: string, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    return this.ingest.ingest({ vendorId: vendor, request, correlationId: correlationIdFor(request, response) });
  }

  /** For vendors that cannot send headers (Yunfu), the secret may be the last path segment (see their definition). */
  @Post(':vendor/:secret')
  @HttpCode(200)
  receiveWithPathSecret(
    @Param('vendor') vendor: string,
    @Param('secret') secret: string,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.ingest.ingest({
      vendorId: vendor,
      pathSecret: secret,
      request,
      correlationId: correlationIdFor(request, response),
    });
  }
}

/** One id per webhook, returned to the sender and carried into the worker's logs. */
function correlationIdFor(request: Request, response: Response): string {
  const offered = request.headers['x-request-id'];
  const id = typeof offered === 'string' && SAFE_REQUEST_ID.test(offered) ? offered : randomUUID();
  response.setHeader('X-Correlation-Id', id);
  return id;
}
