/**
 * The agent's start and stop order, with stand-ins for what runs elsewhere:
 * no Docker (stand-in pools), no SQS (a stand-in consumer), no Redis (an
 * in-memory registry and version store). The real thing runs in
 * tests/integration/worker-agent.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { WorkerStatus } from '../../core/adapters/worker-registry.ts';
import { createLogger } from '../../core/logger.ts';
import { WorkerAgent, type AgentConsumer, type AgentDeps, type AgentPool } from '../../worker/agent.ts';
import { WorkerMetrics } from '../../worker/metrics.ts';

function standInPool(name: string, events: string[]): AgentPool {
  const size = { ready: 2, creating: 0, leased: 0, target: 2 };
  return {
    size,
    start: async () => void events.push(`${name} pool started`),
    close: async () => void events.push(`${name} pool closed`),
    setTargetSize: (n: number) => void (size.target = n),
  };
}

function standInConsumer(events: string[]): AgentConsumer {
  let concurrency = 3;
  return {
    busy: 1,
    get concurrency() {
      return concurrency;
    },
    setConcurrency: (n: number) => void (concurrency = n),
    start: () => void events.push('consumer started'),
    close: async () => void events.push('consumer closed'),
  };
}

function agentWithStandIns() {
  const events: string[] = [];
  const announced: WorkerStatus[] = [];
  const published: Record<string, string>[] = [];
  const deps: AgentDeps = {
    workerId: 'unit-worker',
    sandboxImage: 'runplane-sandbox:test',
    logger: createLogger('test', 'silent'),
    metrics: new WorkerMetrics(),
    metricsPort: 0,
    pools: { standard: standInPool('standard', events) },
    optionalPools: async () => ({ gvisor: standInPool('gvisor', events) }),
    readRuntimeVersions: async () => ({ python: 'Python 3.test' }),
    runtimeVersions: { publish: async (image, versions) => void published.push({ ...versions, image }) },
    registry: {
      announce: async (status) => void announced.push(status),
      withdraw: async (workerId) => void events.push(`withdrew ${workerId}`),
    },
    heartbeat: { intervalMs: 60_000, ttlSeconds: 15 },
    consumer: standInConsumer(events),
    lastJobAt: () => null,
    disconnect: () => void events.push('disconnected'),
  };
  return { agent: new WorkerAgent(deps), events, announced, published };
}

describe('a worker agent built from explicit dependencies', () => {
  it('starts every pool, publishes the runtime versions, announces itself and then takes jobs', async () => {
    const { agent, events, announced, published } = agentWithStandIns();
    await agent.start();
    await agent.stop();

    expect(events.slice(0, 3)).toEqual(['standard pool started', 'gvisor pool started', 'consumer started']);
    expect(published).toEqual([{ python: 'Python 3.test', image: 'runplane-sandbox:test' }]);
    expect(announced[0]).toMatchObject({ workerId: 'unit-worker', capacity: 3, busy: 1, pools: { standard: { target: 2 }, gvisor: { target: 2 } } });
  });

  it('drains the consumer before it withdraws, closes the pools and disconnects, once however often stopped', async () => {
    const { agent, events } = agentWithStandIns();
    await agent.start();
    events.length = 0;

    await Promise.all([agent.stop(), agent.stop()]);

    expect(events).toEqual(['consumer closed', 'withdrew unit-worker', 'standard pool closed', 'gvisor pool closed', 'disconnected']);
  });
});
