/**
 * Completion callbacks against a real HTTP receiver on this machine: the SSRF
 * rules keep loopback out unless an operator allows it, the connection goes to
 * the address that was checked, redirects are not followed, failures are
 * tried again with backoff, and a Judge0 submission with a callback_url is
 * PUT, signed, in Judge0's shape, by the worker's result path after a real run.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JobSideData } from '../../core/adapters/job-side-data.ts';
import { allowedCidrs, callbackSecret, signature } from '../../core/callback-target.ts';
import { DEFAULT_TENANT_LIMITS } from '../../core/tenants.ts';
import { SubmissionSettingsStore } from '../../functions/compat/judge0/settings-store.ts';
import { createSubmission, type Judge0Deps } from '../../functions/compat/judge0/submissions.ts';
import { submitJob } from '../../functions/app/submit-job.ts';
import { JobWaiter } from '../../functions/lib/job-waiter.ts';
import { deliverCallback, type DeliveryOptions } from '../../worker/callbacks/deliver.ts';
import { CallbackDispatcher } from '../../worker/callbacks/dispatcher.ts';
import { processDelivery } from '../../worker/process-job.ts';
import { poolExecutor } from '../../worker/sandbox-host/executor.ts';
import { testPool } from '../support/sandbox.ts';
import { testServices, type TestServices } from '../support/services.ts';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver that answers each request with the next of `answers` (then 200). */
async function receiver(answers: ((res: ServerResponse) => void)[] = []): Promise<{ server: Server; url: string; port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const answer = answers.shift();
      if (answer) answer(res);
      else res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { server, url: `http://127.0.0.1:${port}`, port, received };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});
const track = <T extends { server: Server }>(r: T) => (servers.push(r.server), r);

const LOCAL: DeliveryOptions = { tries: 3, backoffMs: 10, timeoutMs: 2_000, allowed: allowedCidrs('127.0.0.1/32') };
/** A made-up name that only our resolver knows, pointing at the local receiver. */
const HOOK_HOST = 'hooks.callbacks.example';
const resolveToLoopback = async () => [{ address: '127.0.0.1', family: 4 }];

describe('delivering a callback', () => {
  it('refuses a loopback receiver unless an operator allowed it, and sends nothing', async () => {
    const r = track(await receiver());
    const outcome = await deliverCallback(`http://${HOOK_HOST}:${r.port}/done`, '{}', {}, { ...LOCAL, allowed: undefined, resolve: resolveToLoopback });

    expect(outcome).toEqual({ ok: false, reason: `${HOOK_HOST} resolves to a loopback address`, tries: 1 });
    expect(r.received).toHaveLength(0);
  });

  it('refuses a name when any of its addresses is private, however public the first', async () => {
    const resolve = async () => [{ address: '93.184.216.34', family: 4 }, { address: '169.254.169.254', family: 4 }];
    const outcome = await deliverCallback(`https://${HOOK_HOST}/done`, '{}', {}, { ...LOCAL, resolve });

    expect(outcome).toMatchObject({ ok: false, reason: `${HOOK_HOST} resolves to a link-local address (cloud metadata lives there)` });
  });

  it('connects to the address it checked, keeping the name in the Host header', async () => {
    const r = track(await receiver());
    const outcome = await deliverCallback(`http://${HOOK_HOST}:${r.port}/done?x=1`, '{"a":1}', { 'x-test': 'yes' }, { ...LOCAL, resolve: resolveToLoopback });

    expect(outcome).toEqual({ ok: true, status: 200, tries: 1 });
    expect(r.received).toEqual([expect.objectContaining({ method: 'PUT', url: '/done?x=1', body: '{"a":1}' })]);
    expect(r.received[0]!.headers).toMatchObject({ host: `${HOOK_HOST}:${r.port}`, 'content-type': 'application/json', 'x-test': 'yes' });
  });

  it('tries again after failures, with backoff, until a 2xx', async () => {
    const r = track(await receiver([(res) => res.writeHead(500).end(), (res) => res.writeHead(503).end()]));
    const outcome = await deliverCallback(`http://${HOOK_HOST}:${r.port}/`, '{}', {}, { ...LOCAL, resolve: resolveToLoopback });

    expect(outcome).toEqual({ ok: true, status: 200, tries: 3 });
    expect(r.received).toHaveLength(3);
  });

  it('does not follow a redirect, even to a public-looking place', async () => {
    const target = track(await receiver());
    const r = track(await receiver([0, 1, 2].map(() => (res: ServerResponse) => res.writeHead(302, { location: `${target.url}/elsewhere` }).end())));
    const outcome = await deliverCallback(`http://${HOOK_HOST}:${r.port}/`, '{}', {}, { ...LOCAL, resolve: resolveToLoopback });

    expect(outcome).toEqual({ ok: false, reason: 'answered 302 (redirects are not followed)', tries: 3 });
    expect(target.received).toHaveLength(0);
  });

  it('gives up on a receiver that never answers, after its tries', async () => {
    const r = track(await receiver([0, 1].map(() => () => undefined)));
    const outcome = await deliverCallback(`http://${HOOK_HOST}:${r.port}/`, '{}', {}, { ...LOCAL, tries: 2, timeoutMs: 300, resolve: resolveToLoopback });

    expect(outcome).toMatchObject({ ok: false, tries: 2, reason: expect.stringMatching(/abort|timeout/i) });
    r.server.closeAllConnections();
  });
});

describe('callbacks through the worker', () => {
  let s: TestServices;
  let pool: ReturnType<typeof testPool>;
  const tenant = { tenantId: 'acme-callbacks', limits: DEFAULT_TENANT_LIMITS };
  const signingKey = 's'.repeat(40);

  beforeAll(async () => {
    s = await testServices();
    pool = testPool(1, { workerId: `callbacks-${process.pid}` });
    await pool.start();
  });
  afterAll(async () => {
    await pool?.close();
    await s?.close();
  });

  /** What a worker does with the one message on the queue, then the callbacks it started. */
  async function work(callbacks: CallbackDispatcher) {
    const out = await s.aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: s.resources.jobsQueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 5 }));
    const message = out.Messages?.[0];
    if (!message) throw new Error('no message on the jobs queue (SQS emulator)');
    await processDelivery({ body: message.Body!, receiveCount: 1 }, {
      workerId: 'w-callbacks', jobs: s.jobs, hot: s.hot, code: s.code, results: s.results, execute: poolExecutor({ standard: pool }), maxReceiveCount: 3, logger: s.logger,
      onFinished: (job, m) => m.callback && callbacks.dispatch(job, m.callback),
    });
    await callbacks.close();
  }

  it('PUTs a POST /run job with callbackUrl as GET /jobs/{id} shows it, signed', async () => {
    const r = track(await receiver());
    const { jobId } = await submitJob({ language: 'python', source: 'print(6 * 7)', callbackUrl: `http://${HOOK_HOST}:${r.port}/native` }, tenant, { code: s.code, jobs: s.jobs, hot: s.hot, queue: s.queue, logger: s.logger });
    const callbacks = new CallbackDispatcher({ signingKey, judge0Settings: new SubmissionSettingsStore(new JobSideData(s.redis, 'judge0', 600)), delivery: { ...LOCAL, resolve: resolveToLoopback }, logger: s.logger });

    await work(callbacks);

    expect(r.received).toHaveLength(1);
    const body = JSON.parse(r.received[0]!.body);
    expect(body).toMatchObject({ jobId, status: 'completed', language: 'python', result: { verdict: 'ok', stdout: '42\n' } });
    expect(body).not.toHaveProperty('tenantId');
    const t = Number(/t=(\d+)/.exec(String(r.received[0]!.headers['x-runplane-signature']))![1]);
    expect(r.received[0]!.headers['x-runplane-signature']).toBe(signature(callbackSecret(signingKey, tenant.tenantId), r.received[0]!.body, t));
  });

  it('PUTs the finished submission in Judge0 shape (Base64, default fields), signed with the tenant secret', async () => {
    const r = track(await receiver());
    const settings = new SubmissionSettingsStore(new JobSideData(s.redis, 'judge0', 600));
    const deps: Judge0Deps = {
      code: s.code, jobs: s.jobs, hot: s.hot, queue: s.queue, results: s.results, logger: s.logger, settings,
      waiter: new JobWaiter({ connect: async () => s.redis.duplicate(), hot: s.hot, jobs: s.jobs, results: s.results }),
      versions: async () => ({}),
    };
    const created = await createSubmission({ language_id: 71, source_code: 'print(input())', stdin: 'called back', callback_url: `http://${HOOK_HOST}:${r.port}/judge0` }, {}, tenant, deps);
    const token = (created.body as { token: string }).token;
    const callbacks = new CallbackDispatcher({ signingKey, judge0Settings: settings, delivery: { ...LOCAL, resolve: resolveToLoopback }, logger: s.logger });

    await work(callbacks);

    expect(r.received).toHaveLength(1);
    const [call] = r.received;
    const body = JSON.parse(call!.body);
    expect(call).toMatchObject({ method: 'PUT', url: '/judge0', headers: { 'x-runplane-job-id': token } });
    expect(Object.keys(body).sort()).toEqual(['compile_output', 'memory', 'message', 'status', 'stderr', 'stdout', 'time', 'token']);
    expect(body).toMatchObject({ token, stdout: 'Y2FsbGVkIGJhY2sK\n', status: { id: 3, description: 'Accepted' } });
    const t = Number(/t=(\d+)/.exec(String(call!.headers['x-runplane-signature']))![1]);
    expect(call!.headers['x-runplane-signature']).toBe(signature(callbackSecret(signingKey, tenant.tenantId), call!.body, t));
  });
});
