/**
 * An infrastructure failure that another delivery would not fix (BullMQ draws
 * the same line with UnrecoverableError): the job is marked failed at once
 * instead of being retried.
 */
export class UnrecoverableError extends Error {
  override name = 'UnrecoverableError';
}
