import { FailureLog } from './failure-log';

describe('FailureLog', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('logs the first failure of a kind at once, then one summary per interval with a count', () => {
    const lines: string[] = [];
    const log = new FailureLog({ warn: (line: string) => lines.push(line) }, 10_000);
    log.report('timeout', 'get', 'first');
    for (let i = 0; i < 5; i++) log.report('timeout', i % 2 ? 'get' : 'fill', 'again');
    expect(lines).toEqual(['first']);
    jest.advanceTimersByTime(10_000);
    expect(lines).toEqual([
      'first',
      'Redis timeout: 5 more failure(s) in the last 10 s (fill, get)',
    ]);
    log.report('timeout', 'get', 'later');
    expect(lines.at(-1)).toBe('later'); // a new window opens with a line of its own
    log.close();
  });

  it('keys on the kind: another kind of failure of the same operation is logged at once', () => {
    const lines: string[] = [];
    const log = new FailureLog({ warn: (line: string) => lines.push(line) }, 10_000);
    log.report('timeout', 'invalidate-tags', 'timed out');
    log.report('writes-refused', 'invalidate-tags', 'OOM');
    expect(lines).toEqual(['timed out', 'OOM']);
    log.close();
  });

  it('keeps reporting a failure that lasts: a line per interval, not one per lifetime', () => {
    const lines: string[] = [];
    const log = new FailureLog({ warn: (line: string) => lines.push(line) }, 1_000);
    for (let second = 0; second < 5; second++) {
      log.report('unavailable', 'get', `down at ${second}`);
      jest.advanceTimersByTime(1_000);
    }
    expect(lines).toEqual(['down at 0', 'down at 1', 'down at 2', 'down at 3', 'down at 4']);
    log.close();
  });
});
