import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineScript } from 'redis';
import type { CommandParser } from '@redis/client/dist/lib/client/parser';

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

export const cacheScripts = {
  readOrLease: defineScript({
    SCRIPT: lua('read-or-lease.lua'),
    NUMBER_OF_KEYS: 3,
    parseCommand: keysThenArgs(3),
    transformReply: (reply: unknown) =>
      reply as [string, string | string[] | null, number | string],
  }),
  fillIfLeased: defineScript({
    SCRIPT: lua('fill-if-leased.lua'),
    NUMBER_OF_KEYS: 3,
    parseCommand: keysThenArgs(3),
    transformReply: (reply: unknown) => reply as number,
  }),
  releaseLease: defineScript({
    SCRIPT: lua('release-lease.lua'),
    NUMBER_OF_KEYS: 2,
    parseCommand: keysThenArgs(2),
    transformReply: (reply: unknown) => reply as number,
  }),
  extendLease: defineScript({
    SCRIPT: lua('extend-lease.lua'),
    NUMBER_OF_KEYS: 1,
    parseCommand: keysThenArgs(1),
    transformReply: (reply: unknown) => reply as number,
  }),
  writeEntry: defineScript({
    SCRIPT: lua('write-entry.lua'),
    NUMBER_OF_KEYS: 3,
    parseCommand: keysThenArgs(3),
    transformReply: (reply: unknown) => reply as number,
  }),
  patchEntry: defineScript({
    SCRIPT: lua('patch-entry.lua'),
    NUMBER_OF_KEYS: 2,
    parseCommand: keysThenArgs(2),
    transformReply: (reply: unknown) => reply as number,
  }),
  patchJsonEntry: defineScript({
    SCRIPT: lua('patch-json-entry.lua'),
    NUMBER_OF_KEYS: 2,
    parseCommand: keysThenArgs(2),
    transformReply: (reply: unknown) => reply as number,
  }),
  joinTag: defineScript({
    SCRIPT: lua('join-tag.lua'),
    NUMBER_OF_KEYS: 1,
    parseCommand: keysThenArgs(1),
    transformReply: (reply: unknown) => reply as number,
  }),
};

export type CacheScripts = typeof cacheScripts;
