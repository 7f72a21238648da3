import { types } from 'node:util';

/**
 * A deep copy of a decoded cache value: what a near-cache hit hands out, so callers
 * can't change each other's value. Covers exactly what the value codec decodes
 * (JSON data, Date, Map, Set, RegExp, Buffer, Uint8Array, BigInt, undefined, holes);
 * several times faster than `structuredClone`, which serializes.
 */
export function copyValue<T>(value: T): T {
  return copyAny(value) as T;
}

function copyAny(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const length = value.length;
    const copy = new Array<unknown>(length);
    for (let i = 0; i < length; i++) if (i in value) copy[i] = copyAny(value[i]);
    return copy;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const copy: Record<string, unknown> = proto === null ? Object.create(null) : {};
    for (const key in value) {
      const item = copyAny((value as Record<string, unknown>)[key]);
      // an own "__proto__" (JSON.parse makes one) must stay a property, not become the prototype
      if (key === '__proto__') {
        Object.defineProperty(copy, key, {
          value: item,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else copy[key] = item;
    }
    return copy;
  }
  return copySpecial(value);
}

function copySpecial(value: object): unknown {
  if (types.isDate(value)) return new Date(value.getTime());
  if (types.isMap(value)) {
    const copy = new Map<unknown, unknown>();
    for (const [key, item] of value) copy.set(copyAny(key), copyAny(item));
    return copy;
  }
  if (types.isSet(value)) {
    const copy = new Set<unknown>();
    for (const item of value) copy.add(copyAny(item));
    return copy;
  }
  if (types.isRegExp(value)) return new RegExp(value.source, value.flags);
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (types.isUint8Array(value)) return new Uint8Array(value);
  return structuredClone(value); // not something the codec decodes; kept safe anyway
}

/**
 * Freezes a decoded value and everything in it, so one instance can be shared by every
 * near-cache hit. A Map, Set, Date or Buffer is frozen as an object, but its methods
 * (`set`, `setTime`...) still change it: documented for `nearCache.values: 'frozen'`.
 */
export function freezeValue<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  if (ArrayBuffer.isView(value)) return value; // typed arrays with elements can't be frozen
  Object.freeze(value);
  if (types.isMap(value)) {
    for (const [key, item] of value) {
      freezeValue(key);
      freezeValue(item);
    }
  } else if (types.isSet(value)) {
    for (const item of value) freezeValue(item);
  } else {
    for (const key of Object.keys(value)) freezeValue((value as Record<string, unknown>)[key]);
  }
  return value;
}
