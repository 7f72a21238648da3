import type * as OpenTelemetryApi from '@opentelemetry/api';

export type OpenTelemetry = typeof OpenTelemetryApi;

let loaded: OpenTelemetry | null | undefined;

/**
 * `@opentelemetry/api` when the app has it (an optional peer dependency), else null: an
 * app without it loads nothing and pays nothing. Resolved once per process.
 */
export function openTelemetry(): OpenTelemetry | null {
  if (loaded !== undefined) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('@opentelemetry/api') as OpenTelemetry;
  } catch {
    loaded = null;
  }
  return loaded;
}
