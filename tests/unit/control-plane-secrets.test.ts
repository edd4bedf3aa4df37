/**
 * The control plane reads its secrets at cold start (functions/lib/secrets.ts)
 * through the real AWS SDK clients. Secrets Manager and SSM have no emulator
 * that runs here, so the clients talk to a STAND-IN: a small local HTTP server
 * that answers their JSON protocol for the two calls used, and records them.
 */
import { createServer, type Server } from 'node:http';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withSecrets, type SecretClients } from '../../functions/lib/secrets.ts';

const calls: { target: string; body: Record<string, unknown> }[] = [];
const SECRETS: Record<string, string> = { 'arn:redis-user': JSON.stringify({ username: 'runplane', password: 'p@ss/w:rd' }), 'arn:not-json': 'hunter2' };
const PARAMETERS: Record<string, string> = { '/runplane/test/bootstrap-keys': 'ops:rp_bootstrap_0123456789abcdef' };

let standIn: Server;
let endpoint: string;
beforeAll(async () => {
  standIn = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target']);
      const body = JSON.parse(raw) as Record<string, string>;
      calls.push({ target, body });
      const answer = (status: number, payload: object) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(payload));
      };
      if (target === 'secretsmanager.GetSecretValue' && SECRETS[body.SecretId!]) return answer(200, { ARN: body.SecretId, SecretString: SECRETS[body.SecretId!] });
      if (target === 'AmazonSSM.GetParameter' && PARAMETERS[body.Name!]) return answer(200, { Parameter: { Name: body.Name, Type: 'SecureString', Value: PARAMETERS[body.Name!] } });
      answer(400, { __type: target.startsWith('AmazonSSM') ? 'ParameterNotFound' : 'ResourceNotFoundException', message: 'not found' });
    });
  });
  await new Promise<void>((r) => standIn.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(standIn.address() as { port: number }).port}`;
});
afterAll(() => new Promise((r) => standIn.close(r)));

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const clients: SecretClients = {
  secretsManager: () => new SecretsManagerClient({ region: 'us-east-1', endpoint, credentials }),
  ssm: () => new SSMClient({ region: 'us-east-1', endpoint, credentials }),
};
const base = { REDIS_URL: 'rediss://runplane@redis.internal:6379', RUNPLANE_API_KEYS: '', AWS_REGION: 'us-east-1' };

describe('control-plane secrets at cold start', () => {
  it('puts the Redis user password from Secrets Manager into the Redis URL', async () => {
    const config = await withSecrets({ ...base, REDIS_SECRET_ID: 'arn:redis-user' }, clients);

    const url = new URL(config.REDIS_URL);
    expect(decodeURIComponent(url.password)).toBe('p@ss/w:rd');
    expect(url.username).toBe('runplane');
    expect(url.host).toBe('redis.internal:6379');
  });

  it('reads the bootstrap keys from a SecureString parameter, decrypted', async () => {
    const config = await withSecrets({ ...base, API_KEYS_PARAMETER: '/runplane/test/bootstrap-keys' }, clients);

    expect(config.RUNPLANE_API_KEYS).toBe('ops:rp_bootstrap_0123456789abcdef');
    expect(calls.at(-1)).toEqual({ target: 'AmazonSSM.GetParameter', body: { Name: '/runplane/test/bootstrap-keys', WithDecryption: true } });
  });

  it('leaves the environment values alone and calls nothing when no secret ids are set (the local stack)', async () => {
    const before = calls.length;
    const config = await withSecrets({ ...base, REDIS_URL: 'redis://127.0.0.1:6379', RUNPLANE_API_KEYS: 'local:rp_dev_key_0123456789' }, clients);

    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.RUNPLANE_API_KEYS).toBe('local:rp_dev_key_0123456789');
    expect(calls.length).toBe(before);
  });

  it('fails the cold start naming the variable and the secret when it cannot be read or has no password', async () => {
    await expect(withSecrets({ ...base, REDIS_SECRET_ID: 'arn:missing' }, clients)).rejects.toThrow(/REDIS_SECRET_ID: cannot read secret arn:missing: ResourceNotFoundException/);
    await expect(withSecrets({ ...base, REDIS_SECRET_ID: 'arn:not-json' }, clients)).rejects.toThrow(/REDIS_SECRET_ID: secret arn:not-json is not JSON/);
    await expect(withSecrets({ ...base, API_KEYS_PARAMETER: '/nope' }, clients)).rejects.toThrow(/API_KEYS_PARAMETER: cannot read parameter \/nope: ParameterNotFound/);
  });
});
