import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
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

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the database answers a ping' })
  readiness() {
    return this.health.check([() => this.database.pingCheck('database', { timeout: 1_500 })]);
  }
}
