import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { ParsePositiveIdPipe } from './parse-positive-id.pipe';

// The global ValidationPipe (transform: true) runs before param-scoped pipes and turns a
// `number` route param into +value, so '01' and '1e3' would arrive as 1 and 1000. Values
// from a custom decorator are left untouched, so ParsePositiveIdPipe sees the raw string.
const RawRouteParam = createParamDecorator(
  (name: string, context: ExecutionContext): string | undefined =>
    context.switchToHttp().getRequest<Request>().params[name] as string | undefined,
);

/** A positive INTEGER id from the route, e.g. `@IdParam() id: number`; 400 otherwise. */
export const IdParam = (name = 'id'): ParameterDecorator =>
  RawRouteParam(name, ParsePositiveIdPipe);
