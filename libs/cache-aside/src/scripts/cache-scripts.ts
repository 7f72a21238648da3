import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineScript, type CommandParser } from 'redis';

// Each script lives in its own .lua file whose header documents KEYS and ARGV;
// node-redis sends EVALSHA and falls back to EVAL after a NOSCRIPT (restart, failover).
function lua(fileName: string): string {
  return readFileSync(join(__dirname, fileName), 'utf8');
}

type Arg = string | number;

function keysThenArgs(numberOfKeys: number) {
  return (parser: CommandParser, ...args: Arg[]) => {
    args.forEach((arg, index) => {
      if (index < numberOfKeys) parser.pushKey(String(arg));
      else parser.push(String(arg));
    });
  };
}

/** A script whose first `numberOfKeys` arguments are keys (so a cluster routes it by them). */
function script<Reply>(fileName: string, numberOfKeys: number) {
  return defineScript({
    SCRIPT: lua(fileName),
    NUMBER_OF_KEYS: numberOfKeys,
    parseCommand: keysThenArgs(numberOfKeys),
    transformReply: (reply: unknown) => reply as Reply,
  });
}

export const cacheScripts = {
  readOrLease: script<[string, string | string[] | null, number | string]>('read-or-lease.lua', 4),
  fillIfLeased: script<number>('fill-if-leased.lua', 4),
  releaseLease: script<number>('release-lease.lua', 3),
  extendLease: script<number>('extend-lease.lua', 1),
  writeEntry: script<number>('write-entry.lua', 4),
  patchEntry: script<number>('patch-entry.lua', 2),
  patchJsonEntry: script<number>('patch-json-entry.lua', 2),
  readTagSequence: script<string>('read-tag-sequence.lua', 1),
  bumpTagSequence: script<string>('bump-tag-sequence.lua', 1),
  invalidateTag: script<number>('invalidate-tag.lua', 1),
  keepTag: script<string>('keep-tag.lua', 1),
};

export type CacheScripts = typeof cacheScripts;
