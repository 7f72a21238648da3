import { CacheCorruptEntryError } from '../errors/cache-corrupt-entry.error';
import { CacheSerializationError } from '../errors/cache-serialization.error';
import { decodeValueParts, encodeValueParts, type PathSegment } from './value-codec';

/*
 * A RedisJSON entry (`storage: 'json'`) is one document:
 *
 *   { "m": "<entry header>", "a": { "<place>": "<tag>", ... }, "v": <the value's JSON tree> }
 *
 * `v` is the value codec's JSON tree, so a path inside it (`$.v.price.amount`) can be set
 * with JSON.SET. `a` holds the codec's annotations (a Date is a number in the tree, its
 * place says 'D'), keyed by place rather than listed, so that a patch can drop the
 * annotations under the path it replaces key by key: no JSON parsing in Lua, whose cjson
 * turns `[]` into `{}` and rounds large numbers.
 *
 * A place is the path's steps joined by '.': property names percent-encoded ('.' too),
 * array indices as '#<n>', the whole value ''. A place never holds '"' or '\', so a Lua
 * script can put it between the quotes of a JSONPath bracket as it is.
 */

/** A RedisJSON entry as written or as read back (parsed): see the layout above. */
export class JsonDocumentEntry {
  private serialized?: string;

  constructor(readonly document: unknown) {}

  /** The document as JSON text, for JSON.SET and the size limit (serialized once). */
  get text(): string {
    return (this.serialized ??= JSON.stringify(this.document));
  }
}

/** One path update of a JSON entry, as the patch script takes it. */
export interface JsonPathChange {
  /** JSONPath of the place in the document, e.g. `$.v.items[0].price`. */
  jsonPath: string;
  place: string;
  /** The new value's JSON tree as text; undefined removes the property. */
  json: string | undefined;
  /** The new value's special places, as absolute places, with their tags. */
  annotations: Array<[string, string]>;
}

const PROPERTY_STEP = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INDEX_STEP = /^(0|[1-9]\d{0,8})$/;

export function encodeJsonDocument(value: unknown, header: string): JsonDocumentEntry {
  const { tree, annotations } = encodeValueParts(value);
  const places: Record<string, string> = {};
  for (const [path, tag] of annotations) places[placeOf(path)] = tag;
  return new JsonDocumentEntry({ m: header, a: places, v: tree });
}

/** The header text and the revived value; CacheCorruptEntryError for anything else. */
export function decodeJsonDocument(entry: JsonDocumentEntry): { header: string; value: unknown } {
  const document = entry.document;
  if (!isParsedObject(document) || typeof document.m !== 'string') {
    throw new CacheCorruptEntryError('JSON entry is not a { m, a, v } document');
  }
  const places = document.a ?? {};
  if (!isParsedObject(places)) throw new CacheCorruptEntryError('JSON entry has no place map');
  const annotations: Array<[PathSegment[], unknown]> = Object.entries(places).map(
    ([place, tag]) => [pathOf(place), tag],
  );
  // The codec revives children before their parents (a Map's entries before the Map).
  annotations.sort((left, right) => right[0].length - left[0].length);
  return { header: document.m, value: decodeValueParts(document.v, annotations) };
}

/**
 * Path updates for a JSON entry from `{ 'price.amount': 12, note: undefined }`: each key
 * a dotted path of property names (letters, digits, `_`) and array indices.
 * @throws CacheSerializationError for a malformed path, two paths of which one holds the
 * other, removing an array element (it would shift the ones after it), or a value the
 * codec can't store.
 */
export function encodeJsonPatch(changes: Record<string, unknown>): JsonPathChange[] {
  const encoded = Object.entries(changes).map(([dotted, value]) => {
    const path = parsePatchPath(dotted);
    const place = placeOf(path);
    const jsonPath =
      '$.v' + path.map((step) => (typeof step === 'number' ? `[${step}]` : `.${step}`)).join('');
    if (value === undefined) {
      if (typeof path[path.length - 1] === 'number') {
        throw new CacheSerializationError(
          `cannot remove "${dotted}" by path: removing an array element shifts the ones after it`,
        );
      }
      return { jsonPath, place, json: undefined, annotations: [] };
    }
    const parts = encodeValueParts(value);
    const annotations = parts.annotations.map(([inner, tag]): [string, string] => [
      placeOf([...path, ...inner]),
      tag,
    ]);
    return { jsonPath, place, json: JSON.stringify(parts.tree), annotations };
  });
  for (const change of encoded) {
    const holder = encoded.find((other) => other !== change && isWithin(change.place, other.place));
    if (holder) {
      throw new CacheSerializationError(
        `cannot patch "${holder.place}" and "${change.place}" together: one holds the other`,
      );
    }
  }
  return encoded;
}

/** True when `place` is `ancestor` or lies inside it (the patch script's test, too). */
export function isWithin(place: string, ancestor: string): boolean {
  return ancestor === '' || place === ancestor || place.startsWith(ancestor + '.');
}

function parsePatchPath(dotted: string): PathSegment[] {
  const steps = dotted.split('.');
  return steps.map((step) => {
    if (INDEX_STEP.test(step)) return Number(step);
    if (PROPERTY_STEP.test(step)) return step;
    throw new CacheSerializationError(
      `cannot patch path "${dotted.slice(0, 100)}": each step must be a property name ` +
        `(letters, digits, _) or an array index`,
    );
  });
}

function placeOf(path: readonly PathSegment[]): string {
  return path.map(stepText).join('.');
}

function stepText(step: PathSegment): string {
  if (typeof step === 'number') return `#${step}`;
  // '' is the whole value's place, so an empty property name gets a lone '%' (never encoded otherwise)
  return step === '' ? '%' : encodeURIComponent(step).replaceAll('.', '%2E');
}

function pathOf(place: string): PathSegment[] {
  if (place === '') return [];
  return place.split('.').map((step) => {
    if (step.startsWith('#') && INDEX_STEP.test(step.slice(1))) return Number(step.slice(1));
    if (step === '%') return '';
    try {
      return decodeURIComponent(step);
    } catch {
      throw new CacheCorruptEntryError('JSON entry has a malformed place');
    }
  });
}

function isParsedObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
  );
}
