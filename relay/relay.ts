/**
 * Redis pub/sub → WebSocket. ONE subscriber connection (a pattern
 * subscription to every job's event channel) serves every socket, whether 1
 * or 10,000 are subscribed. For each event, the relay that holds the job's
 * claim (the first to see one of its events, for as long as they keep coming;
 * Subscriptions.claimJobEvents) reads the job's subscribers and pushes the
 * event to each, so with several relays each event is pushed once; a
 * connection that answers 410 is forgotten.
 * A final event (completed/failed) is also claimed per connection, because
 * `subscribe` may push it too when the job finished just before.
 * Events of one job are handled one after another (a chain per job), so a
 * streaming job's `job.output` events reach each socket in `seq` order and
 * before the job's final event; different jobs still go in parallel.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisKeys } from '../core/adapters/redis-keys.ts';
import type { PushOutcome } from '../core/adapters/socket-push.ts';
import type { Subscriber, Subscriptions } from '../core/adapters/subscriptions.ts';
import { jobEventMessage, jobEventSchema, jobOutputEventSchema, type JobEvent, type JobOutputEvent } from '../core/contract.ts';
import type { Logger } from '../core/logger.ts';
import type { DialectTranslator, NativeMessage } from './dialects.ts';

export interface RelayDeps {
  /** The one subscriber connection. */
  subscriber: Redis;
  subscriptions: Subscriptions;
  push: (connectionId: string, message: unknown) => Promise<PushOutcome>;
  /** Closes a socket from the server's side (for dialects whose sessions end with the job). */
  close?: (connectionId: string) => Promise<PushOutcome>;
  /** Translators by dialect name; a subscriber with an unknown dialect gets native messages. */
  dialects?: Record<string, DialectTranslator>;
  logger: Logger;
  /** Names this relay in the per-job claims (default: a random id). */
  relayId?: string;
}

export class Relay {
  private readonly inFlight = new Set<Promise<void>>();
  /** The last task of each job with events under way. */
  private readonly chains = new Map<string, Promise<void>>();
  private stopped = false;
  pushed = 0;
  private readonly relayId: string;

  constructor(private readonly deps: RelayDeps) {
    this.relayId = deps.relayId ?? randomUUID();
  }

  async start(): Promise<void> {
    const { subscriber } = this.deps;
    subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => {
      if (this.stopped) return;
      const before = this.chains.get(channel) ?? Promise.resolve();
      const task = before.then(() => this.onEvent(channel, message)).catch((err: unknown) => this.deps.logger.error({ err }, 'relay: event failed'));
      this.chains.set(channel, task);
      this.inFlight.add(task);
      void task.finally(() => {
        this.inFlight.delete(task);
        if (this.chains.get(channel) === task) this.chains.delete(channel);
      });
    });
    await subscriber.psubscribe(redisKeys.allJobEvents);
  }

  /** Stops taking events and finishes the pushes under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.deps.subscriber.punsubscribe().catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
  }

  private async onEvent(channel: string, raw: string): Promise<void> {
    const jobId = redisKeys.jobIdOfEventChannel(channel);
    if (!jobId) return;
    const { subscriptions } = this.deps;
    // Most jobs have no socket watching: read who watches first (the channel names the job), and
    // parse the event and claim the job's events only when there is someone to push to.
    const connections = await subscriptions.subscribersWithDialects(jobId);
    if (connections.length === 0) return;
    const json: unknown = JSON.parse(raw);
    const output = jobOutputEventSchema.safeParse(json);
    if (output.success) return this.onOutput(jobId, output.data, connections);
    const parsed = jobEventSchema.safeParse(json);
    if (!parsed.success || !parsed.data.eventId || parsed.data.jobId !== jobId) return;
    const event = parsed.data;
    if (!(await subscriptions.claimJobEvents(jobId, this.relayId))) return;
    const message = jobEventMessage(event.type, event.job);
    const final = event.type === 'job.completed' || event.type === 'job.failed';
    await Promise.all(connections.map((subscriber) => this.pushTo(subscriber, event, message, final)));
  }

  private async onOutput(jobId: string, event: JobOutputEvent, connections: Subscriber[]): Promise<void> {
    if (event.jobId !== jobId || !(await this.deps.subscriptions.claimJobEvents(jobId, this.relayId))) return;
    await Promise.all(connections.map((subscriber) => this.pushTo(subscriber, event, event, false)));
  }

  private async pushTo(subscriber: Subscriber, event: Pick<JobEvent, 'jobId'>, message: NativeMessage, final: boolean): Promise<void> {
    const { subscriptions, push, logger } = this.deps;
    const { connectionId } = subscriber;
    if (final && !(await subscriptions.claimFinalPush(event.jobId, connectionId))) return;
    const translate = subscriber.dialect ? this.deps.dialects?.[subscriber.dialect] : undefined;
    try {
      const { messages, close } = translate ? translate(message) : { messages: [message], close: false };
      for (const each of messages) {
        if ((await push(connectionId, each)) === 'gone') return await subscriptions.dropConnection(connectionId);
        this.pushed++;
      }
      if (close && this.deps.close) await this.deps.close(connectionId);
    } catch (err) {
      logger.warn({ err, connectionId, jobId: event.jobId }, 'relay: push failed');
    }
  }
}
