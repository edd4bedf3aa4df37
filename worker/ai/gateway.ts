/**
 * The AI gateway: how code in a sandbox with no network reaches the AI node.
 * Each runc container gets a directory with a unix socket served here,
 * bind-mounted at /run/runplane; inside, the supervisor forwards
 * 127.0.0.1:11434 (the container's own loopback, what OLLAMA_HOST points
 * at) to that socket. Nothing else is reachable: the gateway only forwards
 * Ollama API calls to the configured AI node, counts them against the running
 * job's quotas (429 when over) and reports the usage with the job's result.
 * What one request can cost the agent is bounded: its body (request-body.ts),
 * the tokens it may generate, and the answer held for a client that does not
 * read it; a client that hangs up ends the upstream request.
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { AiUsage } from '../../core/contract.ts';
import { AiRequestError, clampTokens, GENERATING, readCappedBody } from './request-body.ts';

export interface AiQuotas {
  maxRequestsPerJob: number;
  maxTokensPerJob: number;
  maxConcurrentPerTenant: number;
}

interface ActiveJob {
  tenantId: string;
  enabled: boolean;
  usage: AiUsage;
}

export interface AiSocket {
  /** Host directory to bind-mount at /run/runplane. */
  hostDir: string;
  activate(tenantId: string, enabled: boolean): void;
  /** Ends the job's access and returns what it used. */
  deactivate(): AiUsage;
  close(): Promise<void>;
}

const ALLOWED = new Set(['/api/tags', '/api/version', '/api/generate', '/api/chat', '/api/embed']);

export class AiGateway {
  private readonly perTenant = new Map<string, number>();

  constructor(
    private readonly aiNodeUrl: string,
    private readonly socketRoot: string,
    private readonly quotas: AiQuotas,
    /** Told about each request: forwarded, or refused and why (metrics). */
    private readonly onRequest: (outcome: 'forwarded' | 'over_quota' | 'disabled' | 'not_allowed' | 'no_job') => void = () => undefined,
  ) {
    mkdirSync(socketRoot, { recursive: true, mode: 0o755 });
  }

  async open(name: string): Promise<AiSocket> {
    const hostDir = join(this.socketRoot, name);
    mkdirSync(hostDir, { recursive: true, mode: 0o755 });
    const socketPath = join(hostDir, 'ai.sock');
    rmSync(socketPath, { force: true });
    let job: ActiveJob | undefined;
    const server = createServer((req, res) =>
      void this.handle(req, res, job).catch((error: unknown) => {
        if (error instanceof AiRequestError) return refuse(req, res, error);
        if (!res.destroyed) reply(res, 502, 'AI node unreachable');
      }),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    // Programs run as the container's job uid and connect through the in-container forwarder (root); keep it reachable.
    chmodSync(socketPath, 0o666);
    return {
      hostDir,
      activate: (tenantId, enabled) => {
        job = { tenantId, enabled, usage: { requests: 0, rejected: 0, promptTokens: 0, completionTokens: 0 } };
      },
      deactivate: () => {
        const usage = job?.usage ?? { requests: 0, rejected: 0, promptTokens: 0, completionTokens: 0 };
        job = undefined;
        return usage;
      },
      close: () => closeServer(server).finally(() => rmSync(hostDir, { recursive: true, force: true })),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse, job: ActiveJob | undefined): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!job) return this.onRequest('no_job'), reply(res, 503, 'no job is running in this sandbox');
    if (!job.enabled) return this.onRequest('disabled'), reply(res, 403, 'AI access is disabled for this tenant');
    if (!ALLOWED.has(path)) return this.onRequest('not_allowed'), reply(res, 404, 'not found');
    const { usage, tenantId } = job;
    const tokens = usage.promptTokens + usage.completionTokens;
    const inFlight = this.perTenant.get(tenantId) ?? 0;
    const over =
      usage.requests >= this.quotas.maxRequestsPerJob ? `at most ${this.quotas.maxRequestsPerJob} requests per job`
      : tokens >= this.quotas.maxTokensPerJob ? `at most ${this.quotas.maxTokensPerJob} tokens per job`
      : inFlight >= this.quotas.maxConcurrentPerTenant ? `at most ${this.quotas.maxConcurrentPerTenant} concurrent requests per tenant`
      : undefined;
    if (over) {
      this.onRequest('over_quota');
      usage.rejected++;
      return reply(res, 429, `AI quota exceeded: ${over}`);
    }
    usage.requests++;
    this.onRequest('forwarded');
    this.perTenant.set(tenantId, inFlight + 1);
    // The job's client going away (its program ended or gave up) ends the upstream request too.
    const upstreamAbort = new AbortController();
    res.once('close', () => upstreamAbort.abort());
    try {
      let body = req.method === 'POST' ? await readCappedBody(req) : undefined;
      if (body && GENERATING.has(path)) body = clampTokens(body, this.quotas.maxTokensPerJob - tokens);
      const upstream = await fetch(new URL(path, this.aiNodeUrl), {
        method: req.method ?? 'GET',
        headers: { 'content-type': 'application/json' },
        signal: upstreamAbort.signal,
        ...(body ? { body } : {}),
      });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      let pending = '';
      for await (const chunk of upstream.body ?? []) {
        pending = countTokens(pending + Buffer.from(chunk as Uint8Array).toString('utf8'), usage);
        // No faster than the job reads: what it does not take waits in the AI node, not here.
        if (!res.write(chunk) && !(await drained(res))) return;
      }
      countTokens(`${pending}\n`, usage);
      res.end();
    } catch (error) {
      if (upstreamAbort.signal.aborted) return; // the client left; nobody to answer
      throw error;
    } finally {
      this.perTenant.set(tenantId, (this.perTenant.get(tenantId) ?? 1) - 1);
    }
  }
}

/** Reads Ollama's token counts from complete JSON lines; returns the unfinished tail. */
function countTokens(text: string, usage: AiUsage): string {
  const lines = text.split('\n');
  const tail = lines.pop() ?? '';
  for (const line of lines) {
    if (!line.includes('eval_count')) continue;
    try {
      const parsed = JSON.parse(line) as { prompt_eval_count?: number; eval_count?: number };
      usage.promptTokens += parsed.prompt_eval_count ?? 0;
      usage.completionTokens += parsed.eval_count ?? 0;
    } catch {
      /* not a complete JSON line */
    }
  }
  return tail;
}

function reply(res: ServerResponse, status: number, error: string): void {
  if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error }));
}

/** Resolves true when `res` wants more, false when it closed first. */
function drained(res: ServerResponse): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (more: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(more);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

/** How long a refused request's connection stays open for its client to read the answer. */
const REFUSED_LINGER_MS = 1_000;

/**
 * Answers a refused request, then closes its connection: the rest of its body
 * may be endless. Closing at once would make most clients fail on their next
 * write (EPIPE) before they read the answer, hence the short linger.
 */
function refuse(req: IncomingMessage, res: ServerResponse, error: AiRequestError): void {
  res.shouldKeepAlive = false;
  reply(res, error.statusCode, error.message);
  res.once('finish', () => setTimeout(() => req.socket.destroy(), REFUSED_LINGER_MS).unref());
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
