/**
 * One structured JSON logger for every process. Job lines carry `jobId`,
 * `tenantId` and `workerId` through child loggers; source code, stdin and
 * API keys are never logged (the redact list is a second line of defence).
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['source', 'stdin', 'input.source', 'input.stdin', 'apiKey', 'headers["x-api-key"]'],
      censor: '[redacted]',
    },
  });
}
