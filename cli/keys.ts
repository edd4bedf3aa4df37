/**
 * `npm run keys -- <command>`: manage API keys in the keys table.
 *   create --tenant acme [--rate 10] [--burst 20] [--max-concurrent 50] [--isolation standard|gvisor] [--admin] [--no-ai]
 *   list [--tenant acme]
 *   revoke <keyId>
 *   callback-secret --tenant acme   (the tenant's secret for verifying callback signatures)
 * A new key is printed once; only its SHA-256 is stored. Against AWS, set
 * API_KEYS_TABLE and AWS credentials; locally (a running `npm start`) the
 * stack's endpoints are read from .runplane/stack.env.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ApiKeysStore } from '../core/adapters/api-keys-store.ts';
import { createAwsClients } from '../core/adapters/aws-clients.ts';
import { callbackSecret } from '../core/callback-target.ts';
import { DEFAULT_TENANT_LIMITS, generateApiKey, hashApiKey, tenantLimitsSchema } from '../core/tenants.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const STACK_ENV = resolve(import.meta.dirname, '../.runplane/stack.env');
const LOCAL_SIGNING_KEY = resolve(import.meta.dirname, '../.runplane/callback-signing-key');

// `callback-secret --tenant T`: needs the workers' signing key, not the keys table.
if (process.argv[2] === 'callback-secret') {
  const tenant = parseArgs({ args: process.argv.slice(3), options: { tenant: { type: 'string' } } }).values.tenant;
  const signingKey = process.env.CALLBACK_SIGNING_KEY ?? (existsSync(LOCAL_SIGNING_KEY) ? readFileSync(LOCAL_SIGNING_KEY, 'utf8').trim() : undefined);
  if (!tenant || !signingKey) {
    process.stderr.write('keys: callback-secret needs --tenant NAME and CALLBACK_SIGNING_KEY (locally: .runplane/callback-signing-key, made by npm start)\n');
    process.exit(2);
  }
  process.stdout.write(`${callbackSecret(signingKey, tenant)}\n`);
  process.exit(0);
}

function environment(): NodeJS.ProcessEnv {
  if (process.env.API_KEYS_TABLE || !existsSync(STACK_ENV)) return process.env;
  const fromStack = Object.fromEntries(
    readFileSync(STACK_ENV, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { ...fromStack, ...process.env };
}

const env = z
  .object({
    API_KEYS_TABLE: z.string({ error: 'API_KEYS_TABLE is not set (and no local stack is running: .runplane/stack.env is missing)' }).min(1),
    AWS_REGION: z.string().default('us-east-1'),
    DYNAMODB_ENDPOINT: z.string().optional(),
  })
  .parse(environment());

const { dynamo } = createAwsClients({ AWS_REGION: env.AWS_REGION, DYNAMODB_ENDPOINT: env.DYNAMODB_ENDPOINT, SQS_ENDPOINT: undefined, S3_ENDPOINT: undefined });
const store = new ApiKeysStore(dynamo, env.API_KEYS_TABLE);

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    tenant: { type: 'string' },
    rate: { type: 'string' },
    burst: { type: 'string' },
    'max-concurrent': { type: 'string' },
    isolation: { type: 'string' },
    admin: { type: 'boolean' },
    'no-ai': { type: 'boolean' },
  },
});
const [command, argument] = positionals;

function fail(message: string): never {
  process.stderr.write(`keys: ${message}\n`);
  process.exit(2);
}

if (command === 'create') {
  if (!values.tenant || !/^[A-Za-z0-9_.-]{1,64}$/.test(values.tenant)) fail('create needs --tenant NAME (letters, digits, . _ -)');
  const parsed = tenantLimitsSchema.safeParse({
    ...DEFAULT_TENANT_LIMITS,
    ...(values.rate ? { ratePerSecond: Number(values.rate) } : {}),
    ...(values.burst ? { burst: Number(values.burst) } : {}),
    ...(values['max-concurrent'] ? { maxConcurrentJobs: Number(values['max-concurrent']) } : {}),
    ...(values.isolation ? { defaultIsolation: values.isolation } : {}),
    ...(values.admin ? { admin: true } : {}),
    ...(values['no-ai'] ? { ai: false } : {}),
  });
  if (!parsed.success) fail(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const { key, keyId } = generateApiKey();
  await store.put({ keyHash: hashApiKey(key), keyId, tenantId: values.tenant, limits: parsed.data, createdAt: new Date().toISOString() });
  process.stdout.write(`created key ${keyId}… for tenant ${values.tenant} (${parsed.data.ratePerSecond}/s, burst ${parsed.data.burst}, ${parsed.data.maxConcurrentJobs} in flight)\n`);
  process.stdout.write(`${key}\n`);
  process.stderr.write('this is the only time the key is shown; store it now\n');
} else if (command === 'list') {
  const keys = (await store.list()).filter((k) => !values.tenant || k.tenantId === values.tenant);
  for (const k of keys) {
    process.stdout.write(`${k.keyId}…  ${k.tenantId.padEnd(16)} ${String(k.limits.ratePerSecond).padStart(6)}/s burst ${String(k.limits.burst).padStart(5)}  in-flight ${k.limits.maxConcurrentJobs}  ${k.revokedAt ? `revoked ${k.revokedAt}` : `active since ${k.createdAt}`}\n`);
  }
  if (keys.length === 0) process.stdout.write('no keys\n');
} else if (command === 'revoke') {
  if (!argument) fail('revoke needs a key id (see `list`)');
  if (!(await store.revoke(argument.replace(/…$/, ''), new Date().toISOString()))) fail(`no active key with id ${argument}`);
  process.stdout.write(`revoked ${argument}; it stops working within the API's key cache time (KEY_CACHE_SECONDS, 10 s by default)\n`);
} else {
  fail('usage: keys create --tenant NAME [--rate N] [--burst N] [--max-concurrent N] [--isolation standard|gvisor] | keys list [--tenant NAME] | keys revoke KEY_ID | keys callback-secret --tenant NAME');
}
dynamo.destroy();
