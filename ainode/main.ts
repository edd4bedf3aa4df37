/**
 * Entry point of the AI node process: `node --import tsx ainode/main.ts`.
 * Clients point their Ollama base URL at it (default port 11434, Ollama's own).
 */
import { z } from 'zod';
import { parseEnv } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { startAiNode } from './server.ts';

/** A number from the environment; unset and empty both mean "use the default" (deploy tools render unset as ''). */
const blankAsUnset = (v: unknown) => (v === '' ? undefined : v);
const envNumber = (schema: z.ZodNumber) => z.coerce.number().pipe(schema);

const config = parseEnv(
  z.object({
    AINODE_PORT: z.preprocess(blankAsUnset, envNumber(z.number().int().min(0).max(65_535)).default(11_434)),
    AINODE_HOST: z.preprocess(blankAsUnset, z.string().min(1).default('127.0.0.1')),
    AINODE_TOKENS_PER_SECOND: z.preprocess(blankAsUnset, envNumber(z.number().min(0)).optional()),
    AINODE_FIRST_TOKEN_MS: z.preprocess(blankAsUnset, envNumber(z.number().min(0)).optional()),
  }),
);
const logger = createLogger('runplane-ainode');

const node = await startAiNode({
  port: config.AINODE_PORT,
  host: config.AINODE_HOST,
  tokensPerSecond: config.AINODE_TOKENS_PER_SECOND,
  firstTokenMs: config.AINODE_FIRST_TOKEN_MS,
  onUnexpectedError: (error, requestId) => logger.error({ err: error, requestId }, 'unexpected error'),
});
logger.info({ url: node.url, port: node.port }, 'ainode listening');

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void node.close().then(
      () => {
        logger.info({ signal }, 'ainode stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error, signal }, 'ainode did not stop cleanly');
        process.exit(1);
      },
    );
  });
}
