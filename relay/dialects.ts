/**
 * Sockets that speak another API's protocol (Piston's `/api/v2/connect`) get
 * each job event translated. The relay stays generic: it knows a subscriber's
 * dialect by name (recorded with the subscription) and asks the dialect's
 * translator what to send instead of the native message, and whether to close
 * the socket afterwards. Translators are pure: no I/O, no state between events.
 */
import type { JobOutputEvent, jobEventMessage } from '../core/contract.ts';

/** What a native subscriber receives: a `job.output` event or a job event message. */
export type NativeMessage = JobOutputEvent | ReturnType<typeof jobEventMessage>;

export interface Translation {
  /** Sent in order; may be empty (the event means nothing in that protocol). */
  messages: object[];
  /** Close the socket after the messages (the protocol ends its session here). */
  close: boolean;
}

export type DialectTranslator = (message: NativeMessage) => Translation;
