import { CacheRedisTimeoutError } from '../errors/cache-redis-timeout.error';

interface PendingCommand {
  expiresAt: number;
  operation: string;
  expire: (error: CacheRedisTimeoutError) => void;
}

/**
 * Our own bound on Redis calls (node-redis stops counting its timeout once a command
 * is written, so a frozen server would hang a call forever). One sweeping interval
 * for all calls in flight instead of a timer per call: the hit path is a few
 * microseconds and a timer each was a fifth of it. A call times out between
 * `timeoutMs` and 1.25 x `timeoutMs` after it started, plus any event-loop lag.
 *
 * Lag: after a synchronous stretch (a SQLite query, a big JSON.stringify) the event loop
 * runs expired timers before it reads the sockets, so replies that arrived in time would
 * look late. Expired calls are therefore only failed from a setImmediate callback, which
 * runs after the loop has read the sockets: a reply already received settles its call
 * first. A frozen server is still detected within the timeout plus the lag.
 */
export class CommandDeadlines {
  private readonly pending = new Set<PendingCommand>();
  private sweeper?: NodeJS.Timeout;

  constructor(private readonly timeoutMs: number) {}

  /** Registers a call; `expire` runs if it is still pending at its deadline. */
  start(operation: string, expire: (error: CacheRedisTimeoutError) => void): PendingCommand {
    const command = { expiresAt: Date.now() + this.timeoutMs, operation, expire };
    this.pending.add(command);
    this.sweeper ??= this.startSweeping();
    return command;
  }

  /** True if the call settled in time (and is now done), false if it already expired. */
  finish(command: PendingCommand): boolean {
    return this.pending.delete(command);
  }

  private startSweeping(): NodeJS.Timeout {
    const sweeper = setInterval(() => this.sweep(), Math.max(1, Math.floor(this.timeoutMs / 4)));
    sweeper.unref();
    return sweeper;
  }

  private sweep(): void {
    const now = Date.now();
    const expired: PendingCommand[] = [];
    for (const command of this.pending) {
      if (command.expiresAt <= now) expired.push(command);
    }
    if (expired.length > 0) setImmediate(() => this.expire(expired));
    else if (this.pending.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** After the loop read the sockets: whatever is still pending really had no reply in time. */
  private expire(expired: PendingCommand[]): void {
    for (const command of expired) {
      if (!this.pending.delete(command)) continue; // its reply was waiting in the socket
      command.expire(new CacheRedisTimeoutError(command.operation, this.timeoutMs));
    }
  }
}
