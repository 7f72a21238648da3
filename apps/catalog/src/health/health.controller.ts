import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { CacheHealthIndicator } from 'nest-cache-aside/terminus';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly cache: CacheHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness (same as /health/ready)' })
  check() {
    return this.readiness();
  }

  // Liveness checks nothing outside the process: a database outage should take the
  // instance out of rotation (readiness), not get it restarted.
  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process is up and serving HTTP' })
  liveness() {
    return this.health.check([]);
  }

  // Redis down makes the status "degraded" but keeps the 200 (the indicator's default): the
  // app still serves every read, from the database (X-Cache: BYPASS), and reconnects by
  // itself, so failing readiness would only take capacity away, from every instance at once,
  // during an outage that costs latency alone.
  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: the database answers a ping; Redis down only degrades (still 200)',
  })
  readiness() {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 1_500 }),
      () => this.cache.check('redis'),
    ]);
  }
}
