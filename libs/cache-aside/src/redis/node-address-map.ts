import type { CacheRedisClusterOptions } from '../interfaces/cache-aside-module-options.interface';

type NodeAddressMap = CacheRedisClusterOptions['nodeAddressMap'];

/**
 * Where to reach a node the deployment announces as `host:port`, mapped by the user's
 * `nodeAddressMap` (NAT, Docker) exactly as node-redis maps it for its own connections:
 * the near cache's tracking connections must reach the same servers as the commands.
 */
export function mapNodeAddress(
  nodeAddressMap: NodeAddressMap,
  host: string,
  port: number,
): { host: string; port: number } {
  const address = `${host}:${port}`;
  const mapped =
    typeof nodeAddressMap === 'function' ? nodeAddressMap(address) : nodeAddressMap?.[address];
  return mapped ?? { host, port };
}
