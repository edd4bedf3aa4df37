/**
 * Entry point of the WebSocket relay: a long-lived process next to each worker
 * agent (its own process, not inside the agent, so a busy sandbox host never
 * delays pushes and the relay can be restarted or scaled on its own).
 */
import { z } from 'zod';
import { createRedis } from '../core/adapters/redis.ts';
import { SocketPush } from '../core/adapters/socket-push.ts';
import { Subscriptions } from '../core/adapters/subscriptions.ts';
import { parseEnv } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { pistonDialects } from '../functions/compat/piston/connect-messages.ts';
import { Relay } from './relay.ts';

const config = parseEnv(
  z.object({
    REDIS_URL: z.string().regex(/^rediss?:\/\//),
    WS_MANAGEMENT_ENDPOINT: z.url(),
    AWS_REGION: z.string().default('us-east-1'),
    RELAY_ID: z.string().default(`relay-${process.pid}`),
  }),
);
const logger = createLogger('runplane-relay').child({ relayId: config.RELAY_ID });
const commands = createRedis(config.REDIS_URL, `runplane-relay:${config.RELAY_ID}`);
const subscriber = createRedis(config.REDIS_URL, `runplane-relay-sub:${config.RELAY_ID}`);
const pusher = new SocketPush(config.WS_MANAGEMENT_ENDPOINT, config.AWS_REGION);
const relay = new Relay({
  subscriber,
  subscriptions: new Subscriptions(commands),
  push: (id, m) => pusher.send(id, m),
  close: (id) => pusher.close(id),
  // Sockets speaking Piston's /api/v2/connect protocol get its messages.
  dialects: pistonDialects,
  logger,
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void relay.stop().finally(() => {
      commands.disconnect();
      subscriber.disconnect();
      logger.info({ pushed: relay.pushed }, 'relay stopped');
      process.exit(0);
    });
  });
}

await relay.start();
logger.info('relay ready');
