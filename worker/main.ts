/** Entry point of the worker agent (one per EC2 instance; 1..N locally). */
import { parseEnv } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { workerEnvSchema } from './config.ts';
import { buildWorkerAgent } from './wiring.ts';

const logger = createLogger('runplane-worker');
const config = parseEnv(workerEnvSchema);
const agent = buildWorkerAgent(config, logger.child({ workerId: config.WORKER_ID }));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    agent.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'unclean stop');
        process.exit(1);
      },
    );
  });
}

agent.start().catch((err: unknown) => {
  logger.fatal({ err }, 'worker failed to start');
  void agent.stop().finally(() => process.exit(1));
});
