import { NodeSDK } from '@opentelemetry/sdk-node';

/**
 * OpenTelemetry for the catalog, off by default and configured by OpenTelemetry's own
 * environment variables: it starts when `OTEL_EXPORTER_OTLP_ENDPOINT` (or the traces
 * endpoint) or `OTEL_TRACES_EXPORTER` is set, and then exports the library's spans
 * (`cache.read`, `cache.load`) and metrics as those variables say (OTLP over HTTP by
 * default; `OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_METRICS_EXPORTER`, `OTEL_SERVICE_NAME`...).
 * It must start before the Nest app is created: the library's telemetry binds to the
 * providers registered at that moment.
 *
 * @returns a function that flushes and stops it, or undefined when it is off
 */
export function startOpenTelemetry(
  env: NodeJS.ProcessEnv = process.env,
): (() => Promise<void>) | undefined {
  const configured =
    env.OTEL_EXPORTER_OTLP_ENDPOINT ||
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
    env.OTEL_TRACES_EXPORTER;
  if (!configured || env.OTEL_SDK_DISABLED === 'true') return undefined;
  const sdk = new NodeSDK({ serviceName: env.OTEL_SERVICE_NAME ?? 'catalog' });
  sdk.start();
  return () => sdk.shutdown();
}
