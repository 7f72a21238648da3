import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  HttpStatus,
  Post,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { CacheAsideService, type CacheStats } from 'nest-cache-aside';
import { ErrorResponse } from '../common/error-response.dto';
import { IdParam } from '../common/id-param.decorator';
import { QueryCounter } from '../database/query-counter';
import { productKey } from '../products/product-cache.keys';
import { DemoStampedeService, type StampedeResult } from './demo-stampede.service';
import { StampedeRequestDto } from './dto/stampede-request.dto';
import { JsonRequestGuard } from './json-request.guard';

export interface DemoTtl {
  key: string;
  /** Seconds the entry stays fresh (fractional); null when there is no entry. */
  ttlSeconds: number | null;
  /** `stale`: past its TTL, kept for grace. */
  state: 'fresh' | 'stale' | 'absent';
}

export interface DemoStats {
  /** Server time of the sample, ms since the epoch. */
  at: number;
  /** CacheAsideService.stats(): what /metrics exports as cache_aside_*_total. */
  cache: CacheStats;
  /** hits / (hits + misses + stale served + bypasses), null before the first read. */
  hitRatio: number | null;
  /** SQL statements since start (catalog_db_queries_total). */
  dbQueries: number;
}

/**
 * JSON endpoints behind the demo page at `/`. The product API itself is unchanged. The two
 * that change state take JSON requests only (JsonRequestGuard), so no other site can fire them.
 */
@ApiTags('demo')
@Controller('demo')
export class DemoController {
  constructor(
    private readonly cache: CacheAsideService,
    private readonly queries: QueryCounter,
    private readonly stampede: DemoStampedeService,
  ) {}

  @Get('products/:id/ttl')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: "Remaining TTL of a product's cache entry (CacheAsideService.ttl)" })
  @ApiParam({ name: 'id', type: Number, example: 1 })
  @ApiOkResponse({ description: '{ key, ttlSeconds, state }' })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Malformed id' })
  async ttl(@IdParam() id: number): Promise<DemoTtl> {
    const key = productKey(id);
    const seconds = await this.cache.ttl(key);
    if (seconds < 0) return { key, ttlSeconds: null, state: 'absent' };
    return { key, ttlSeconds: seconds, state: seconds > 0 ? 'fresh' : 'stale' };
  }

  @Get('stats')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Cache counters since start or the last reset, as JSON' })
  @ApiOkResponse({ description: '{ at, cache: stats(), hitRatio, dbQueries }' })
  stats(): DemoStats {
    const cache = this.cache.stats();
    const reads = cache.hits + cache.misses + cache.staleServed + cache.bypasses;
    return {
      at: Date.now(),
      cache,
      hitRatio: reads === 0 ? null : cache.hits / reads,
      dbQueries: this.queries.total,
    };
  }

  @Post('stats/reset')
  @HttpCode(HttpStatus.NO_CONTENT)
  @UseGuards(JsonRequestGuard)
  @ApiOperation({
    summary: "Reset the cache counters (CacheAsideService.resetStats); this process's",
    description: 'Content-Type: application/json only; the body is ignored (send `{}`).',
  })
  @ApiBody({ required: false, schema: { type: 'object', example: {} } })
  @ApiNoContentResponse({ description: 'Reset' })
  @ApiUnsupportedMediaTypeResponse({
    type: ErrorResponse,
    description: 'Not an application/json request',
  })
  resetStats(): void {
    this.cache.resetStats();
  }

  @Post('stampede')
  @HttpCode(HttpStatus.OK)
  @UseGuards(JsonRequestGuard)
  @ApiOperation({
    summary: 'Evict a product, then fire N concurrent reads at it in-process and count DB loads',
    description: 'Content-Type: application/json only; one stampede at a time per instance.',
  })
  @ApiOkResponse({ description: 'Database loads, statuses and latency distribution of the burst' })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Invalid body' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'No product with this id' })
  @ApiUnsupportedMediaTypeResponse({
    type: ErrorResponse,
    description: 'Not an application/json request',
  })
  @ApiTooManyRequestsResponse({
    type: ErrorResponse,
    description: 'A stampede is already running on this instance',
  })
  run(@Body() dto: StampedeRequestDto): Promise<StampedeResult> {
    return this.stampede.run(dto.id, dto.n, dto.protection);
  }
}
