/** The local autoscaler with fake process controls and a scripted queue (the policy itself is tested on its own). */
import { describe, expect, test } from 'vitest';
import { LocalAutoscaler, type QueueDepth } from '../../local/autoscaler.ts';

function harness(depths: QueueDepth[], options: { minAgents?: number; maxAgents?: number; warmupMs?: number } = {}) {
  const events: string[] = [];
  let next = 0;
  let clock = 0;
  const scaler = new LocalAutoscaler<number>({
    readQueue: async () => {
      const depth = depths.shift();
      if (!depth) throw new Error('queue unreachable');
      return depth;
    },
    startAgent: async () => {
      const id = ++next;
      events.push(`start ${id}`);
      return id;
    },
    stopAgent: async (id) => {
      events.push(`stop ${id}`);
    },
    now: () => clock,
    warmupMs: options.warmupMs ?? 0,
    periodMs: 3_600_000,
    ...options,
  });
  return { scaler, events, advance: (ms: number) => (clock += ms) };
}

const waiting = (visible: number, times: number): QueueDepth[] => Array.from({ length: times }, () => ({ visible, inFlight: 0 }));

describe('the local autoscaler', () => {
  test('starts the minimum number of agents', async () => {
    const { scaler, events } = harness([], { minAgents: 2 });
    await scaler.start();
    expect(events).toEqual(['start 1', 'start 2']);
    await scaler.stop();
  });

  test('adds agents after three periods with a backlog, as many as the target asks (ceil(18 / 5) = 4)', async () => {
    const { scaler, events } = harness(waiting(18, 3), { maxAgents: 6 });
    await scaler.start();
    await scaler.tick();
    await scaler.tick();
    expect(scaler.size).toBe(1);
    await scaler.tick();
    expect(scaler.size).toBe(4);
    expect(events).toEqual(['start 1', 'start 2', 'start 3', 'start 4']);
    await scaler.stop();
  });

  test('stops the newest agents after fifteen quiet periods, and only once they are warm', async () => {
    const { scaler, events, advance } = harness([...waiting(18, 3), ...waiting(0, 16)], { maxAgents: 6, warmupMs: 60_000 });
    await scaler.start();
    for (let i = 0; i < 3; i++) await scaler.tick();
    for (let i = 0; i < 15; i++) await scaler.tick();
    expect(scaler.size).toBe(4); // the three new agents are still warming up
    advance(60_000);
    await scaler.tick();
    expect(scaler.size).toBe(1);
    expect(events.slice(-3).sort()).toEqual(['stop 2', 'stop 3', 'stop 4']);
    await scaler.stop();
  });

  test('keeps the agents it has when the queue cannot be read', async () => {
    const log: string[] = [];
    const scaler = new LocalAutoscaler<number>({
      readQueue: () => Promise.reject(new Error('connection refused')),
      startAgent: async () => 1,
      stopAgent: async () => undefined,
      log: (line) => log.push(line),
      periodMs: 3_600_000,
    });
    await scaler.start();
    await scaler.tick();
    expect(scaler.size).toBe(1);
    expect(log).toEqual(['autoscaler: cannot read the queue (connection refused); keeping 1 agent(s)']);
    await scaler.stop();
  });

  test('stops every agent on stop(), and evaluates nothing after', async () => {
    const { scaler, events } = harness(waiting(18, 10), { minAgents: 2 });
    await scaler.start();
    await scaler.stop();
    await scaler.tick();
    expect(events).toEqual(['start 1', 'start 2', 'stop 1', 'stop 2']);
    expect(scaler.size).toBe(0);
  });
});
