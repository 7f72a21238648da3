import { CacheOptionsError } from '../errors/cache-options.error';
import type { NearCacheOptions } from '../interfaces/near-cache-options.interface';

/** The module's near cache options with defaults applied. */
export type NearCacheSettings = Required<NearCacheOptions>;

export const NEAR_CACHE_DEFAULTS: NearCacheSettings = {
  maxEntries: 10_000,
  maxBytes: 64 * 1024 * 1024,
  maxTtlSeconds: 60,
  byDefault: true,
  values: 'copy',
};

/** Undefined when the module has no near cache (`nearCache` absent or false). */
export function nearCacheSettingsOf(
  option: boolean | NearCacheOptions | undefined,
): NearCacheSettings | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return NEAR_CACHE_DEFAULTS;
  if (typeof option !== 'object' || option === null) {
    throw new CacheOptionsError(
      `nearCache must be true, false or an options object, got ${String(option)}`,
    );
  }
  const settings: NearCacheSettings = { ...NEAR_CACHE_DEFAULTS };
  for (const [name, value] of Object.entries(option)) {
    if (value !== undefined) (settings as Record<string, unknown>)[name] = value;
  }
  positive('maxEntries', settings.maxEntries, true);
  positive('maxBytes', settings.maxBytes, true);
  positive('maxTtlSeconds', settings.maxTtlSeconds, false);
  if (typeof settings.byDefault !== 'boolean') {
    throw new CacheOptionsError(`nearCache.byDefault must be a boolean`);
  }
  if (settings.values !== 'copy' && settings.values !== 'frozen') {
    throw new CacheOptionsError(
      `nearCache.values must be 'copy' or 'frozen', got ${String(settings.values)}`,
    );
  }
  return settings;
}

function positive(name: string, value: unknown, integer: boolean): void {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    (integer && !Number.isInteger(value))
  ) {
    throw new CacheOptionsError(
      `nearCache.${name} must be a ${integer ? 'whole ' : ''}number above 0, got ${String(value)}`,
    );
  }
}
