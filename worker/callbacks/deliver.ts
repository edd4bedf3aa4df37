/**
 * One callback delivery: resolve the URL's host, refuse it unless every
 * address is public (core/callback-target.ts), connect to exactly the address
 * that was checked (a pinned `lookup`, so a second DNS answer cannot point the
 * connection elsewhere; TLS still verifies the name), send the body once with
 * short timeouts, never follow a redirect, and read at most a little of the
 * answer. Tries again with exponential backoff on anything but a 2xx; an
 * address refused is final.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP, type BlockList } from 'node:net';
import { callbackUrlProblem, forbiddenAddress } from '../../core/callback-target.ts';

export interface DeliveryOptions {
  /** Tries in all (Judge0's callbacks_max_tries: 3). */
  tries: number;
  /** Wait before the second try; doubled for each further one. */
  backoffMs: number;
  /** The whole request, connect to answer (Judge0's callbacks_timeout: 5 s). */
  timeoutMs: number;
  allowed?: BlockList;
  /** DNS (tests give their own). */
  resolve?: (host: string) => Promise<{ address: string; family: number }[]>;
}

export type DeliveryOutcome = { ok: true; status: number; tries: number } | { ok: false; reason: string; tries: number };

export class CallbackRefused extends Error {
  override name = 'CallbackRefused';
}

const defaultResolve = (host: string) => dnsLookup(host, { all: true, verbatim: true });
const MAX_ANSWER_BYTES = 64 * 1024;

/** The one address to connect to, after checking all that the name resolves to. */
async function pinnedAddress(url: URL, options: DeliveryOptions): Promise<{ address: string; family: 4 | 6 }> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await (options.resolve ?? defaultResolve)(host);
  if (addresses.length === 0) throw new CallbackRefused(`${host} resolves to no address`);
  for (const { address } of addresses) {
    const reason = forbiddenAddress(address, options.allowed);
    // Every answer must be public: a name that also resolves privately is refused whole.
    if (reason) throw new CallbackRefused(`${host} resolves to ${reason}`);
  }
  const first = addresses[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

function sendOnce(url: URL, pinned: { address: string; family: 4 | 6 }, body: string, headers: Record<string, string>, timeoutMs: number): Promise<number> {
  const lookup: LookupFunction = (_host, opts, callback) => {
    // Node asks for all addresses when it tries several families (autoSelectFamily): give only the pinned one.
    if ((opts as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const options: RequestOptions = {
    method: 'PUT',
    lookup,
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'runplane-callbacks/1', ...headers },
    signal: AbortSignal.timeout(timeoutMs),
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, options, (res) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) res.destroy();
      });
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('close', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends `body` to `target` (PUT, JSON) with `headers`, trying again on failure. */
export async function deliverCallback(target: string, body: string, headers: Record<string, string>, options: DeliveryOptions): Promise<DeliveryOutcome> {
  const problem = callbackUrlProblem(target);
  if (problem) return { ok: false, reason: `callback URL ${problem}`, tries: 0 };
  const url = new URL(target);
  let reason = '';
  for (let attempt = 1; attempt <= options.tries; attempt++) {
    if (attempt > 1) await new Promise((r) => setTimeout(r, options.backoffMs * 2 ** (attempt - 2)));
    try {
      // Resolved again on every try: the check and the connection always see the same answer.
      const pinned = await pinnedAddress(url, options);
      const status = await sendOnce(url, pinned, body, headers, options.timeoutMs);
      if (status >= 200 && status < 300) return { ok: true, status, tries: attempt };
      reason = status >= 300 && status < 400 ? `answered ${status} (redirects are not followed)` : `answered ${status}`;
    } catch (error) {
      if (error instanceof CallbackRefused) return { ok: false, reason: error.message, tries: attempt };
      reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
  }
  return { ok: false, reason, tries: options.tries };
}
