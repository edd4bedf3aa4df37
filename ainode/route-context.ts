/** What every route handler gets besides the request body and the response. */
import type { ServerResponse } from 'node:http';
import type { ModelCatalog } from './model-catalog.ts';
import type { Pacing } from './token-pacing.ts';

export interface RouteContext {
  catalog: ModelCatalog;
  pacing: Pacing;
  /** Fires when the client disconnects or the node shuts down. */
  signal: AbortSignal;
  /** `process.hrtime.bigint()` when the request arrived, for `total_duration`. */
  receivedAt: bigint;
}

/** `body` is the parsed JSON for POST routes, `undefined` for GET. */
export type RouteHandler = (body: unknown, res: ServerResponse, ctx: RouteContext) => void | Promise<void>;
