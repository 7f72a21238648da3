import { BadRequestException, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** How deep a request body may nest, the body itself being level 1. Our DTOs are flat. */
export const MAX_BODY_DEPTH = 32;

/**
 * Answers 400 to a parsed body nested deeper than MAX_BODY_DEPTH, before guards and pipes
 * run: the validation pipe recurses per level (class-transformer's plainToInstance, then
 * class-validator), and 2,000 levels (a 4 kB body) overflowed the stack into a logged 500.
 * The body parser itself is not at risk: V8's JSON.parse doesn't recurse (100,000 levels
 * parse fine), and the body is capped at 100 kB.
 *
 * Measured on the parsed value rather than by scanning the raw bytes so it sees exactly what
 * the validator will, whatever the parser (JSON in any UTF charset, urlencoded forms) and
 * without a second JSON lexer that could disagree with the real one. An iterative walk that
 * stops at the first node too deep: a dozen nodes for a usual body, one pass at most.
 */
@Injectable()
export class BodyDepthMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    if (nestsDeeperThan(req.body, MAX_BODY_DEPTH)) {
      throw new BadRequestException(`The request body nests deeper than ${MAX_BODY_DEPTH} levels`);
    }
    next();
  }
}

export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  if (!isContainer(value)) return false;
  const pending: Array<{ node: object; depth: number }> = [{ node: value, depth: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    for (const child of Object.values(next.node)) {
      if (!isContainer(child)) continue;
      if (next.depth + 1 > maxDepth) return true;
      pending.push({ node: child, depth: next.depth + 1 });
    }
  }
  return false;
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
