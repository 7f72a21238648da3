import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { RedisHealthIndicator } from './redis-health.indicator';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
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

  // Redis down makes the status "degraded" but keeps the 200: the app still serves, from the
  // database (see RedisHealthIndicator).
  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: the database answers a ping; Redis down only degrades (still 200)',
  })
  readiness() {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 1_500 }),
      () => this.redis.check('redis'),
    ]);
  }
}
