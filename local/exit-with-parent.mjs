/**
 * Preloaded into every Node child of the local stack (`node --import
 * ./local/exit-with-parent.mjs …`). The stack gives each child an IPC channel;
 * when the stack dies without stopping its children (SIGKILL, a crash), the
 * channel closes and the child stops itself as if it had received SIGTERM,
 * then exits hard should that stop hang. Without this an orphan (once an AI
 * node) kept running with parent 1.
 *
 * Plain JavaScript: serverless-offline runs without tsx, and Node 20 cannot
 * load TypeScript by itself.
 */
import { isMainThread } from 'node:worker_threads';

// Worker threads (serverless-offline runs handlers in them) inherit --import; only the process reacts.
if (isMainThread && process.channel) {
  const graceMs = Number(process.env.EXIT_WITH_PARENT_GRACE_MS) || 10_000;
  // The channel only watches the parent: it must never keep a child alive by itself.
  process.channel.unref();
  process.once('disconnect', () => {
    setTimeout(() => process.exit(1), graceMs).unref();
    process.kill(process.pid, 'SIGTERM');
  });
}
