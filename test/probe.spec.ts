import { Test } from '@nestjs/testing';
import { Probe } from '@app/cache-aside/probe';
import { createClient } from 'redis';
it('works', async () => {
  const m = await Test.createTestingModule({ providers: [Probe] }).compile();
  expect(m.get(Probe).hi()).toBe(1);
  const c = createClient(); await c.connect(); expect(await c.ping()).toBe('PONG'); c.destroy();
});
