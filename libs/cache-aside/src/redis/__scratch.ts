import { createClient, createCluster, createSentinel } from 'redis';
import { cacheScripts } from '../scripts';

type Arg = string | number;
export interface CacheRedisMulti {
  incr(key: string): CacheRedisMulti;
  pExpire(key: string, ms: number): CacheRedisMulti;
  exec(): Promise<unknown>;
}
export interface CacheRedisCommands {
  get(key: string): Promise<string | null>;
  hGetAll(key: string): Promise<Record<string, string>>;
  hmGet(key: string, fields: string[]): Promise<Array<string | null>>;
  del(keys: string[]): Promise<number>;
  pTTL(key: string): Promise<number>;
  zRange(key: string, start: number, stop: number): Promise<string[]>;
  zRem(key: string, members: string[]): Promise<number>;
  ping(): Promise<string>;
  multi(): CacheRedisMulti;
  readOrLease(...args: Arg[]): Promise<[string, string | string[] | null, number | string]>;
  fillIfLeased(...args: Arg[]): Promise<number>;
  releaseLease(...args: Arg[]): Promise<number>;
  extendLease(...args: Arg[]): Promise<number>;
  writeEntry(...args: Arg[]): Promise<number>;
  patchEntry(...args: Arg[]): Promise<number>;
  joinTag(...args: Arg[]): Promise<number>;
}
const a: CacheRedisCommands = createClient({ RESP: 2, scripts: cacheScripts });
const b: CacheRedisCommands = createCluster({ RESP: 2, scripts: cacheScripts, rootNodes: [] });
const c: CacheRedisCommands = createSentinel({ RESP: 2, scripts: cacheScripts, name: 'x', sentinelRootNodes: [] });
export { a, b, c };
