import type { CacheLoadOptions } from 'nest-cache-aside';
import type { Row } from './sqlite-rows';

/** 'tags': every row's entry joins the tag 'rows'; 'tagsFromResult': the same, taken from the loaded row. */
export type RowTagging = 'none' | 'tags' | 'tagsFromResult';

/** How the consistency tests read a row, in the test process and in the second one alike. */
export function rowReadOptions(tagging: RowTagging, ttlSeconds: number): CacheLoadOptions<Row> {
  const options: CacheLoadOptions<Row> = { ttlSeconds };
  if (tagging === 'tags') options.tags = ['rows'];
  if (tagging === 'tagsFromResult') options.tagsFromResult = (row) => (row ? ['rows'] : []);
  return options;
}
