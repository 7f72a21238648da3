import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startCatalogProcess, type CatalogProcess } from './support/catalog-process';
import { TEST_REDIS_URL } from './support/test-catalog-config';
import { connectTestRedis, deleteKeysUnder } from './support/test-redis';

jest.setTimeout(60_000);

interface ExportedSpan {
  name: string;
  attributes: Array<{ key: string; value: { stringValue?: string } }>;
}

/**
 * The catalog with OpenTelemetry's standard variables pointing at an OTLP/HTTP (JSON)
 * receiver of the test's own on loopback: the library's spans arrive there. Without those
 * variables the export is off (the other e2e processes start without them).
 */
describe('the catalog exports OpenTelemetry spans when OTEL_* variables say so', () => {
  const keyPrefix = `test-catalog-otel-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'catalog-otel-e2e-'));
  const received: ExportedSpan[] = [];
  let receiver: Server;
  let catalog: CatalogProcess;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (req.url === '/v1/traces') {
          const payload = JSON.parse(body) as {
            resourceSpans: Array<{ scopeSpans: Array<{ spans: ExportedSpan[] }> }>;
          };
          for (const resource of payload.resourceSpans) {
            for (const scope of resource.scopeSpans) received.push(...scope.spans);
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as { port: number };
    catalog = await startCatalogProcess({
      HOST: '127.0.0.1',
      PORT: '0',
      DB_PATH: join(dir, 'catalog.sqlite'),
      DEMO_SEED: 'true',
      REDIS_URL: TEST_REDIS_URL,
      CACHE_KEY_PREFIX: keyPrefix,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
  });

  afterAll(async () => {
    await catalog?.stop();
    await new Promise((resolve) => receiver.close(resolve));
    rmSync(dir, { recursive: true, force: true });
    const redis = await connectTestRedis(TEST_REDIS_URL);
    await deleteKeysUnder(redis, keyPrefix);
    redis.destroy();
  });

  it('a miss then a hit of a product: cache.read spans with their status, the miss with its cache.load', async () => {
    expect(catalog.output()).toMatch(/OpenTelemetry export on/);
    await request(catalog.baseUrl).get('/products/7').expect(200);
    await request(catalog.baseUrl).get('/products/7').expect(200);
    const attribute = (span: ExportedSpan, key: string) =>
      span.attributes.find((a) => a.key === key)?.value.stringValue;
    const deadline = Date.now() + 10_000;
    const reads = () =>
      received.filter(
        (s) => s.name === 'cache.read default' && attribute(s, 'cache.key') === 'product:7',
      );
    while (reads().length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(reads().map((span) => attribute(span, 'cache.status'))).toEqual(['MISS', 'HIT']);
    expect(received.some((s) => s.name === 'cache.load default')).toBe(true);
  });
});
