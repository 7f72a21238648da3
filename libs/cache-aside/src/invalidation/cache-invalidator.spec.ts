import { CacheDiagnostics } from '../cache-diagnostics';
import { CacheTelemetry } from '../observability/cache-telemetry';
import type { CacheStore } from '../interfaces';
import type { EntryAccess } from '../read-path/entry-access';
import type { ResolvedModuleOptions } from '../resolve-module-options';
import { CacheInvalidator } from './cache-invalidator';

/** A store whose DELs answer as the test says, one scripted outcome per call. */
function scriptedStore() {
  const outcomes: Array<() => Promise<void>> = [];
  const store = {
    evict: jest.fn(() => (outcomes.shift() ?? (() => Promise.resolve()))()),
    onHealthy: () => undefined,
  };
  return { store: store as unknown as CacheStore, outcomes, evict: store.evict };
}

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('CacheInvalidator: failed evictions', () => {
  const options = { maxPendingEvictions: 100 } as ResolvedModuleOptions;
  let invalidator: CacheInvalidator;
  afterEach(() => invalidator.close());

  it('is not settled while the replay of a failed eviction is still in flight', async () => {
    const { store, outcomes } = scriptedStore();
    const diagnostics = new CacheDiagnostics(new CacheTelemetry('default'));
    jest.spyOn(diagnostics.logger, 'warn').mockImplementation(() => undefined);
    invalidator = new CacheInvalidator(options, store, {} as EntryAccess, diagnostics);
    outcomes.push(() => Promise.reject(new Error('connection lost')));
    expect(await invalidator.del(['product:1'])).toBe(false);
    expect(invalidator.settled).toBe(false);

    const replay = deferred();
    outcomes.push(() => replay.promise);
    const first = invalidator.settle(); // takes the queue and sends the DEL
    expect(invalidator.settled).toBe(false);
    expect(invalidator.pendingCount).toBe(1);
    let secondAnswered: boolean | undefined;
    const second = invalidator.settle().then((settled) => (secondAnswered = settled));
    await new Promise((resolve) => setImmediate(resolve));
    expect(secondAnswered).toBeUndefined(); // it waits for the replay, it doesn't say "settled"
    replay.reject(new Error('still down'));
    expect(await first).toBe(false);
    await second;
    expect(secondAnswered).toBe(false);
    expect(invalidator.pendingCount).toBe(1);

    outcomes.push(() => Promise.resolve());
    await new Promise((resolve) => setTimeout(resolve, 60)); // the replay's back-off
    expect(await invalidator.settle()).toBe(true);
    expect(invalidator.settled).toBe(true);
  });
});
