import type { HttpClient } from './http-client';
import type { Backend } from './load-generator';
import type { Instant, SoakClock } from './soak-clock';

const POLL_MS = 50;

/**
 * Waits until every instance's readiness says its cache is `up`: Redis answers through the
 * app's own connection and no eviction that failed during an outage is still waiting to
 * be applied (the library's health indicator). Returns when the last one said so.
 */
export async function waitForHealthyCaches(
  client: HttpClient,
  clock: SoakClock,
  backends: Backend[],
  timeoutMs: number,
): Promise<Instant> {
  const deadline = performance.now() + timeoutMs;
  // Until one pass finds every instance up, so none fell back while another was polled.
  for (;;) {
    let allUp = true;
    for (const backend of backends) {
      const exchange = await client.send(backend.port, 'GET', '/health/ready');
      const body = exchange.body as { info?: { redis?: { status?: string } } } | undefined;
      if (body?.info?.redis?.status === 'up') continue;
      allUp = false;
      if (performance.now() > deadline) {
        throw new Error(
          `${backend.name}'s cache was not healthy within ${timeoutMs} ms: ` +
            `${exchange.status || exchange.error} ${JSON.stringify(exchange.body)}`,
        );
      }
    }
    if (allUp) return clock.now();
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
