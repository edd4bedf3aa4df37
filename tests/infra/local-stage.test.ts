/**
 * Stage `local` (serverless-offline under `npm start`) must not change with
 * the AWS stack: its functions get their endpoints and names from the
 * environment the local stack sets, never CloudFormation references.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ROOT } from './support/template.ts';

const LOCAL_ENV = {
  REDIS_URL: 'redis://127.0.0.1:6390',
  JOBS_TABLE: 'runplane-local-jobs',
  API_KEYS_TABLE: 'runplane-local-api-keys',
  CODE_BUCKET: 'runplane-local-code',
  JOBS_QUEUE_URL: 'http://127.0.0.1:4566/000000000000/runplane-local-jobs',
  RUNPLANE_API_KEYS: 'local:0123456789abcdef',
  SQS_ENDPOINT: 'http://127.0.0.1:4566',
  S3_ENDPOINT: 'http://127.0.0.1:4566',
  DYNAMODB_ENDPOINT: 'http://127.0.0.1:4567',
};

describe('stage local', () => {
  test('resolves every function environment variable from the local stack’s environment', () => {
    const printed = execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'print', '--stage', 'local', '--path', 'provider.environment', '--format', 'json'],
      { cwd: ROOT, env: { ...process.env, ...LOCAL_ENV }, encoding: 'utf8', timeout: 60_000 },
    );
    const environment = JSON.parse(printed) as Record<string, unknown>;
    // No secret store locally: the values come straight from the environment.
    expect(environment).toEqual({ NODE_OPTIONS: '--enable-source-maps', ...LOCAL_ENV, REDIS_SECRET_ID: '', API_KEYS_PARAMETER: '' });
  });
});
