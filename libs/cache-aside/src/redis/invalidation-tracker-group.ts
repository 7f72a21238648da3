import type { RedisClientOptions } from 'redis';
import { InvalidationTracker, type ChangeFeed } from './invalidation-tracker';

/** A server whose writes must be tracked: its address, and how to connect to it. */
export interface TrackedServer {
  /** `host:port` as the deployment names it: the server's identity in the group. */
  address: string;
  /** Read on every connection attempt, so a retry follows a server that moved. */
  options: () => RedisClientOptions;
}

interface Member {
  tracker: InvalidationTracker;
  up: boolean;
}

/**
 * The changes of a deployment whose writes land on several servers (a cluster's
 * masters) or on a server that changes (a sentinel's master), as one feed: one
 * {@link InvalidationTracker} per server, every change passed through, and tracking
 * reported on only while every server's tracker is up.
 *
 * Whenever the set of servers changes (failover, a node added or gone) or the caller
 * says the key-to-server map changed (slots moved), tracking is reported off and then
 * on again once every tracker is up: the near cache flushes, so an entry read before
 * the change is never trusted after it (a key written on its old owner just before
 * the move, a new master whose writes no tracker heard yet).
 */
export class InvalidationTrackerGroup {
  private readonly members = new Map<string, Member>();
  /** Trackers of servers that left, still closing (awaited by close()). */
  private readonly retiring = new Set<Promise<void>>();
  private reported?: boolean;
  private closed = false;

  constructor(
    private readonly prefixes: readonly string[],
    private readonly feed: ChangeFeed,
  ) {}

  /**
   * Tracks exactly `servers` from now on: starts a tracker for each new one, closes
   * those of servers not listed. `remapped`: keys moved between servers even if the
   * set is the same.
   */
  trackOnly(servers: readonly TrackedServer[], remapped = false): void {
    if (this.closed) return;
    const wanted = new Set(servers.map((server) => server.address));
    let changed = remapped;
    for (const [address, member] of this.members) {
      if (wanted.has(address)) continue;
      this.members.delete(address);
      this.retire(member.tracker);
      changed = true;
    }
    for (const server of servers) {
      if (this.members.has(server.address)) continue;
      this.start(server);
      changed = true;
    }
    if (changed) this.report(false);
    this.report(this.allUp());
  }

  private start(server: TrackedServer): void {
    const member: Member = {
      up: false,
      tracker: new InvalidationTracker(server.options, this.prefixes, {
        changed: (keys) => this.feed.changed(keys),
        tracking: (on) => {
          // a retired tracker reports off as it closes: no longer this group's business
          if (this.members.get(server.address) !== member) return;
          member.up = on;
          this.report(this.allUp());
        },
      }),
    };
    this.members.set(server.address, member);
    member.tracker.start();
  }

  private retire(tracker: InvalidationTracker): void {
    const closing = tracker.close().finally(() => this.retiring.delete(closing));
    this.retiring.add(closing);
  }

  private allUp(): boolean {
    if (this.members.size === 0) return false;
    for (const member of this.members.values()) if (!member.up) return false;
    return true;
  }

  /** Only transitions: each one flushes the near cache. */
  private report(on: boolean): void {
    if (this.reported === on) return;
    this.reported = on;
    this.feed.tracking(on);
  }

  async close(): Promise<void> {
    this.closed = true;
    const trackers = [...this.members.values()].map((member) => member.tracker);
    this.members.clear();
    this.report(false);
    await Promise.all([...trackers.map((tracker) => tracker.close()), ...this.retiring]);
  }
}
