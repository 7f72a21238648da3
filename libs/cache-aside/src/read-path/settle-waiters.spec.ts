import { SettleWaiters } from './settle-waiters';

describe('SettleWaiters', () => {
  it('a settle that arrived before the caller started waiting, but after it asked, wakes it at once', async () => {
    const waiters = new SettleWaiters();
    const askedAt = performance.now();
    waiters.wake('k'); // the notice overtook the "held" reply
    const started = performance.now();
    await waiters.wait('k', 5000, askedAt);
    expect(performance.now() - started).toBeLessThan(20);
  });

  it('a settle from before the caller asked does not count: it waits for the next one', async () => {
    const waiters = new SettleWaiters();
    waiters.wake('k');
    await new Promise((resolve) => setTimeout(resolve, 2));
    let woken = false;
    const waiting = waiters.wait('k', 5000, performance.now()).then(() => (woken = true));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(woken).toBe(false);
    waiters.wake('k');
    await waiting;
    expect(woken).toBe(true);
  });

  it('another key settling does not wake it', async () => {
    const waiters = new SettleWaiters();
    const askedAt = performance.now();
    waiters.wake('other');
    let woken = false;
    const waiting = waiters.wait('k', 5000, askedAt).then(() => (woken = true));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(woken).toBe(false);
    waiters.wake('k');
    await waiting;
  });
});
