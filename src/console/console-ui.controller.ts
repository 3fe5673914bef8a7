import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { APP_ENV } from '../config/config.tokens.js';
import type { AppEnv } from '../config/env.schema.js';
import { assetPath, CONSOLE_HEADERS, CONSOLE_PATH } from './console-security.js';

/**
 * Where the built console is by default: `dist/console-ui/` of the package, found from this file in `src/console/`
 * (tests) and in `dist/console/` (the build) alike.
 */
export const DEFAULT_UI_DIR = resolve(import.meta.dirname, '..', '..', 'dist', 'console-ui');

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Console not built</title></head>
<body><h1>The console is not built</h1><p>Run <code>npm run build</code>, then reload this page.</p></body></html>
`;

/**
 * The console's browser app: `GET /console` serves its `index.html` (hash routes, so one page), `/console/assets/…`
 * its scripts and styles, read from the build folder (`CONSOLE_UI_DIR`, default `dist/console-ui`). Only plain file
 * names of known types below `assets/` are served (no `..`, no hidden files, no other folder), each with its type,
 * the console's CSP and security headers, and `Cache-Control: no-cache` with an ETag (the files keep their names
 * across builds: a browser asks again each time and gets 304 while unchanged). Without a build: a 503 page saying so.
 */
@Controller('console')
export class ConsoleUiController {
  private readonly dir: string;

  constructor(@Inject(APP_ENV) env: AppEnv) {
    this.dir = env.console.uiDir ?? DEFAULT_UI_DIR;
  }

  @Get()
  async index(@Req() request: Request, @Res() response: Response): Promise<void> {
    // `/console` → `/console/`: relative asset paths in index.html then resolve under /console/.
    const url = new URL(request.originalUrl, 'http://localhost');
    if (url.pathname === CONSOLE_PATH) {
      response.redirect(308, `${CONSOLE_PATH}/${url.search}`);
      return;
    }
    await this.send(request, response, join(this.dir, 'index.html'), 'text/html; charset=utf-8', true);
  }

  @Get('assets/*path')
  async asset(@Req() request: Request, @Res() response: Response): Promise<void> {
    const raw = request.params['path'] as unknown;
    const segments = Array.isArray(raw) ? (raw as unknown[]) : [raw];
    const asset = segments.every((segment) => typeof segment === 'string') ? assetPath(segments) : null;
    const assets = join(this.dir, 'assets');
    const file = asset ? resolve(assets, asset.path) : null;
    // Checked twice: the names are plain, and the file resolved is inside the assets folder.
    if (!asset || !file || !file.startsWith(assets + sep)) {
      this.headers(response);
      response.status(404).type('text/plain').send('not found');
      return;
    }
    await this.send(request, response, file, asset.contentType, false);
  }

  private headers(response: Response): void {
    for (const [name, value] of Object.entries(CONSOLE_HEADERS)) response.setHeader(name, value);
  }

  private async send(
    request: Request,
    response: Response,
    file: string,
    contentType: string,
    isIndex: boolean,
  ): Promise<void> {
    this.headers(response);
    let content: Buffer;
    try {
      content = await readFile(file);
    } catch {
      if (isIndex) response.status(503).type('text/html').setHeader('Cache-Control', 'no-store').send(NOT_BUILT);
      else response.status(404).type('text/plain').send('not found');
      return;
    }
    const etag = `"${createHash('sha256').update(content).digest('base64url').slice(0, 27)}"`;
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader('ETag', etag);
    if (request.headers['if-none-match'] === etag) {
      response.status(304).end();
      return;
    }
    response.status(200).setHeader('Content-Type', contentType);
    response.end(content);
  }
}
