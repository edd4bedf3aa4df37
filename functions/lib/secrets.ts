/**
 * Secrets the control plane reads at cold start instead of from plain Lambda
 * environment variables (which anyone who may read the function's
 * configuration sees): the Redis app user's password from Secrets Manager
 * (`REDIS_SECRET_ID`, the secret infra/redis.yml creates) and the optional
 * bootstrap API keys from an SSM SecureString parameter (`API_KEYS_PARAMETER`).
 * Read once per execution environment, when the handler module loads. Without
 * those ids (the local stack) the environment's own values stand.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from '../../core/config.ts';

export interface SecretIds {
  REDIS_URL: string;
  RUNPLANE_API_KEYS: string;
  REDIS_SECRET_ID?: string | undefined;
  API_KEYS_PARAMETER?: string | undefined;
  AWS_REGION: string;
}

export interface SecretClients {
  secretsManager: () => Pick<SecretsManagerClient, 'send'>;
  ssm: () => Pick<SSMClient, 'send'>;
}

const awsClients = (region: string): SecretClients => ({
  secretsManager: () => new SecretsManagerClient({ region }),
  ssm: () => new SSMClient({ region }),
});

/** The config with REDIS_URL carrying the password and RUNPLANE_API_KEYS the keys, read from where they are kept. */
export async function withSecrets<C extends SecretIds>(config: C, clients: SecretClients = awsClients(config.AWS_REGION)): Promise<C> {
  const [redisUrl, apiKeys] = await Promise.all([
    config.REDIS_SECRET_ID ? redisUrlWithPassword(config.REDIS_URL, config.REDIS_SECRET_ID, clients) : config.REDIS_URL,
    config.API_KEYS_PARAMETER ? parameterValue(config.API_KEYS_PARAMETER, clients) : config.RUNPLANE_API_KEYS,
  ]);
  return { ...config, REDIS_URL: redisUrl, RUNPLANE_API_KEYS: apiKeys };
}

async function redisUrlWithPassword(url: string, secretId: string, clients: SecretClients): Promise<string> {
  const out = await clients.secretsManager().send(new GetSecretValueCommand({ SecretId: secretId })).catch((error: Error) => {
    throw new ConfigError(`REDIS_SECRET_ID: cannot read secret ${secretId}: ${error.name}`);
  });
  let secret: { username?: string; password?: string };
  try {
    secret = JSON.parse(out.SecretString ?? '') as typeof secret;
  } catch {
    throw new ConfigError(`REDIS_SECRET_ID: secret ${secretId} is not JSON with a "password"`);
  }
  if (!secret.password) throw new ConfigError(`REDIS_SECRET_ID: secret ${secretId} has no "password"`);
  const withPassword = new URL(url);
  if (secret.username) withPassword.username = encodeURIComponent(secret.username);
  withPassword.password = encodeURIComponent(secret.password);
  return withPassword.toString();
}

async function parameterValue(name: string, clients: SecretClients): Promise<string> {
  const out = await clients.ssm().send(new GetParameterCommand({ Name: name, WithDecryption: true })).catch((error: Error) => {
    throw new ConfigError(`API_KEYS_PARAMETER: cannot read parameter ${name}: ${error.name}`);
  });
  return out.Parameter?.Value ?? '';
}
