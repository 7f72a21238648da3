export { cacheKey, normalizeCacheKey } from './cache-key';
export { encodeKeySegment } from './key-segment-encoding';
export {
  compileKeyTemplate,
  MAX_LOGICAL_KEY_LENGTH,
  type CompiledKeyTemplate,
  type KeyTemplate,
  type KeyTemplateFunction,
  type KeyTemplateSite,
} from './key-template';
