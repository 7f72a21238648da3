import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { Request } from 'express';

/**
 * Lets a request through only when it says `Content-Type: application/json`, body or not.
 * A browser sends a cross-site request without asking the server first (a CORS preflight)
 * only when it is a "simple" one: a form, text/plain, or no body at all. Requiring JSON turns
 * any such request into a 415, and a cross-site JSON request needs a preflight this app never
 * grants (it sets no CORS headers), so another site's page can't trigger the route.
 */
@Injectable()
export class JsonRequestGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const type = req.headers['content-type'];
    const mediaType = type?.split(';')[0].trim().toLowerCase();
    if (mediaType !== 'application/json') {
      throw new UnsupportedMediaTypeException(
        `${req.method} ${req.path} takes Content-Type: application/json only` +
          (type ? `, got ${JSON.stringify(type)}` : ', got none') +
          ' (so that no cross-site form or simple request can trigger it)',
      );
    }
    return true;
  }
}
