/**
 * The worker UserData script (infra/worker-host.sh): linted by shellcheck,
 * then run for real in a Debian container (the sandbox image, no network)
 * with --dry-run, which prints each command that would touch the machine or
 * AWS instead of running it and writes its files under a scratch root.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { ROOT } from './support/template.ts';
import { buildWorkerBundle, removeBundle, type BuiltBundle } from './support/worker-bundle.ts';

const STACK_ENV: Record<string, string> = {
  RUNPLANE_STAGE: 'dev',
  AWS_REGION: 'us-east-1',
  RUNPLANE_ASG_NAME: 'runplane-dev-workers',
  RUNPLANE_LAUNCH_HOOK: 'runplane-launch',
  RUNPLANE_DRAIN_HOOK: 'runplane-drain',
  RUNPLANE_BUNDLE_BUCKET: 'deployment-bucket',
  RUNPLANE_BUNDLE_PREFIX: 'runplane-worker/dev',
  RUNPLANE_REDIS_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:runplane/dev/redis-app-user',
  RUNPLANE_CALLBACK_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:runplane/dev/callback-signing',
  RUNPLANE_REDIS_HOST: 'master.runplane.cache.amazonaws.com',
  RUNPLANE_REDIS_PORT: '6379',
  JOBS_TABLE: 'jobs-table',
  CODE_BUCKET: 'code-bucket',
  JOBS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/runplane-dev-jobs',
  JOBS_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/runplane-dev-jobs-dlq',
  WS_MANAGEMENT_ENDPOINT: 'https://abc123.execute-api.us-east-1.amazonaws.com/dev',
  WORKER_CONCURRENCY: '2',
  METRICS_PORT: '9464',
};

let bundle: BuiltBundle;
let bundleDir: string;
/** Scratch folders of this file, removed at the end. */
const scratch: string[] = [];
const scratchDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
};
beforeAll(() => {
  bundle = buildWorkerBundle();
  bundleDir = join(bundle.archive, '..');
  writeFileSync(join(bundleDir, 'current'), `${bundle.version} ${bundle.sha256}\n`);
});
afterAll(() => {
  removeBundle(bundle);
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

interface DryRun {
  status: number | null;
  /** The commands the script would have run, in order. */
  actions: string[];
  stderr: string;
  root: string;
}

/** Runs worker-host.sh steps in a fresh container, as root, with no network. */
function dryRun(steps: string[], env: Record<string, string>, bundleLocation = bundleDir): DryRun {
  const root = scratchDir('runplane-host-root-');
  const script = steps.map((step) => `bash /infra/worker-host.sh --dry-run --root /out ${step}`).join(' && ');
  const envArgs = Object.entries({ ...env, RUNPLANE_BUNDLE_DIR: '/bundle', RUNPLANE_POLL_SECONDS: '0' }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const run = spawnSync(
    'docker',
    ['run', '--rm', '--network', 'none', '--user', '0', ...envArgs, '-v', `${join(ROOT, 'infra')}:/infra:ro`, '-v', `${bundleLocation}:/bundle:ro`, '-v', `${root}:/out`, inject('sandboxImage'), 'bash', '-c', script],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (run.error) throw new Error(`cannot run docker: ${run.error.message}`);
  const actions = run.stdout.split('\n').filter((l) => l.startsWith('would run: ')).map((l) => l.slice('would run: '.length));
  return { status: run.status, actions, stderr: run.stderr, root };
}

const indexOfAction = (actions: string[], pattern: RegExp) => actions.findIndex((a) => pattern.test(a));

describe('the worker UserData script', () => {
  test('passes shellcheck, as do the bundle and deploy scripts', () => {
    const scripts = ['infra/worker-host.sh', 'infra/build-worker-bundle.sh', 'infra/deploy-worker.sh'].map((s) => join(ROOT, s));
    const run = spawnSync('shellcheck', scripts, { encoding: 'utf8' });
    if (run.error) throw new Error('shellcheck is not installed (apt-get install shellcheck)');
    expect(run.stdout, run.stdout).toBe('');
    expect(run.status).toBe(0);
  });

  test('installs Docker with gVisor, Node.js and the AWS CLI, the units from the bundle, then hands over to the lifecycle service', () => {
    const result = dryRun(['install'], STACK_ENV);
    expect(result.status, result.stderr).toBe(0);
    expect(result.actions[1]).toMatch(/^apt-get install .*docker\.io runsc nodejs awscli/);
    expect(result.actions.at(-1)).toBe('systemctl start --no-block runplane-lifecycle.service');
    expect(indexOfAction(result.actions, /^systemctl enable runplane-lifecycle\.service$/)).toBeGreaterThan(0);
    const daemon = JSON.parse(readFileSync(join(result.root, 'etc/docker/daemon.json'), 'utf8'));
    expect(daemon.runtimes.runsc).toEqual({ path: '/usr/bin/runsc', runtimeArgs: ['--network=none'] });
    expect(readFileSync(join(result.root, 'etc/systemd/system/runplane-worker.service'), 'utf8')).toBe(readFileSync(join(ROOT, 'infra/systemd/runplane-worker.service'), 'utf8'));
    expect(readFileSync(join(result.root, 'opt/runplane/current/VERSION'), 'utf8').trim()).toBe(bundle.version);
    expect(statSync(join(result.root, 'usr/local/lib/runplane/worker-host.sh')).mode & 0o111).not.toBe(0);
    const tag = readFileSync(join(result.root, 'opt/runplane/current/sandbox/image-tag'), 'utf8').trim();
    expect(result.actions).toContain(`docker build --quiet --tag ${tag} /out/opt/runplane/current/sandbox`);
    // Each toolchain image on it, from the same bundle (Java/Kotlin, Rust, Haskell, OCaml jobs need them).
    for (const toolchain of ['haskell', 'jvm', 'ocaml', 'rust']) {
      expect(result.actions).toContain(
        `docker build --quiet --tag ${tag}-${toolchain} --build-arg BASE=${tag} --build-arg PACKAGES=toolchains/${toolchain}.txt /out/opt/runplane/current/sandbox`,
      );
    }
  });

  test('writes the agent’s environment with the Redis password to /run only, readable by root alone', () => {
    const result = dryRun(['install', 'prepare'], STACK_ENV);
    expect(result.status, result.stderr).toBe(0);
    const file = join(result.root, 'run/runplane/worker.env');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const env = readFileSync(file, 'utf8');
    expect(env).toContain("REDIS_URL='rediss://runplane:dry-run-password@master.runplane.cache.amazonaws.com:6379'");
    expect(env).toContain(`JOBS_QUEUE_URL='${STACK_ENV.JOBS_QUEUE_URL}'`);
    expect(env).toMatch(/^SANDBOX_IMAGE='runplane-sandbox:[0-9a-f]{12}'$/m);
    expect(env).not.toMatch(/^RUNPLANE_/m);
    expect(readFileSync(join(result.root, 'etc/runplane/stack.env'), 'utf8')).not.toContain('password');
    expect(result.actions).toContain(`aws secretsmanager get-secret-value --secret-id ${STACK_ENV.RUNPLANE_REDIS_SECRET_ID}`);
  });

  test('writes the callback signing key from Secrets Manager into the same root-only environment', () => {
    const result = dryRun(['install', 'prepare'], STACK_ENV);
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(join(result.root, 'run/runplane/worker.env'), 'utf8')).toMatch(/^CALLBACK_SIGNING_KEY='dry-run-callback-signing-key-[0-9a-f]+'$/m);
    expect(result.actions).toContain(`aws secretsmanager get-secret-value --secret-id ${STACK_ENV.RUNPLANE_CALLBACK_SECRET_ID}`);
  });

  test('enters service once the agent runs, and drains it before completing the termination hook', () => {
    const result = dryRun(['install', 'lifecycle'], { ...STACK_ENV, RUNPLANE_DRY_RUN_STATES: 'InService InService Terminated' });
    expect(result.status, result.stderr).toBe(0);
    const order = [
      /^systemctl start runplane-worker\.service runplane-relay\.service$/,
      /complete-lifecycle-action .*--lifecycle-hook-name runplane-launch --instance-id i-0dryrun --lifecycle-action-result CONTINUE$/,
      /^systemctl stop runplane-relay\.service runplane-worker\.service$/,
      /complete-lifecycle-action .*--lifecycle-hook-name runplane-drain --instance-id i-0dryrun --lifecycle-action-result CONTINUE$/,
    ].map((pattern) => indexOfAction(result.actions, pattern));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  test('only completes the launch hook when the instance is being initialised for the warm pool', () => {
    const result = dryRun(['install', 'lifecycle'], { ...STACK_ENV, RUNPLANE_DRY_RUN_STATES: 'Warmed:Stopped' });
    expect(result.status, result.stderr).toBe(0);
    expect(indexOfAction(result.actions, /lifecycle-hook-name runplane-launch .*CONTINUE$/)).toBeGreaterThan(0);
    expect(indexOfAction(result.actions, /^systemctl start runplane-worker/)).toBe(-1);
  });

  test('refuses to install without the stack’s configuration, naming every missing variable', () => {
    const { JOBS_QUEUE_URL: _queue, CODE_BUCKET: _bucket, ...partial } = STACK_ENV;
    const result = dryRun(['install'], partial);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('missing stack configuration: CODE_BUCKET JOBS_QUEUE_URL');
    expect(result.actions).toEqual([]);
  });

  test('refuses a bundle that does not match the checksum its pointer names', () => {
    const tampered = scratchDir('runplane-bundle-tampered-');
    writeFileSync(join(tampered, 'current'), `${bundle.version} ${'0'.repeat(64)}\n`);
    writeFileSync(join(tampered, `${bundle.version}.tgz`), readFileSync(bundle.archive));
    const result = dryRun(['install'], STACK_ENV, tampered);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`bundle ${bundle.version} does not match its checksum`);
  });
});
