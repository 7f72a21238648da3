import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MetricsService } from './metrics.service';

/**
 * Times every request, labelled by route template (`/products/:id`) rather than the URL so
 * ids don't explode the label set. Express sets req.route only once a route matches, which
 * has happened by the time the response finishes.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: MetricsService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const stop = this.metrics.httpRequestDuration.startTimer();
    res.once('finish', () => {
      const routePath = (req.route as { path?: string } | undefined)?.path;
      stop({
        method: req.method,
        route: routePath === undefined ? 'unmatched' : `${req.baseUrl}${routePath}`,
        status_code: String(res.statusCode),
      });
    });
    next();
  }
}
