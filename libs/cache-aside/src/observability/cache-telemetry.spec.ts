import { CacheTelemetry } from './cache-telemetry';

describe('CacheTelemetry without an OpenTelemetry SDK or channel subscribers', () => {
  it('adds nothing around a read or a load: the same promise comes back', async () => {
    const telemetry = new CacheTelemetry('default');
    const read = Promise.resolve({ value: 1, status: 'HIT' as const });
    const load = Promise.resolve(1);
    expect(telemetry.read('k', () => read)).toBe(read);
    expect(telemetry.load('k', () => load)).toBe(load);
    expect(() => telemetry.event('hits', 'k')).not.toThrow();
  });
});
