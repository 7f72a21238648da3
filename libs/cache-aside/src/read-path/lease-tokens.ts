import { randomBytes } from 'node:crypto';

/**
 * Lease tokens only have to differ between loads anywhere in the fleet, so they are a
 * random process id (96 bits, drawn once) and a counter: unique without drawing random
 * bytes on every miss, which showed up in the miss path's profile.
 */
const PROCESS_ID = randomBytes(12).toString('base64url');
let issued = 0;

export function nextLeaseToken(): string {
  issued = issued >= Number.MAX_SAFE_INTEGER ? 0 : issued + 1;
  return `${PROCESS_ID}.${issued.toString(36)}`;
}
