import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { join } from 'node:path';

/**
 * Where the page's static files are: next to this file, in the sources and in the build
 * (nest-cli.json copies `demo/page/*` to the same place under dist).
 */
export const DEMO_PAGE_DIR = join(__dirname, 'page');

/** The files the page is made of; nothing else in the folder is served. */
const ASSETS = new Set(['demo.css', 'demo.js']);

/**
 * Serves the demo page at `/` and its two assets at `/demo/assets/<file>`: plain files, no
 * CDN, so it works offline. Only these routes, rather than a static handler in front of
 * every request, so the API's hot path doesn't pay a file lookup.
 */
@ApiExcludeController()
@Controller()
export class DemoPageController {
  @Get()
  page(@Res() res: Response): void {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile('index.html', { root: DEMO_PAGE_DIR });
  }

  @Get('demo/assets/:file')
  asset(@Param('file') file: string, @Res() res: Response): void {
    if (!ASSETS.has(file)) throw new NotFoundException(`No demo asset ${file}`);
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(file, { root: DEMO_PAGE_DIR });
  }
}
