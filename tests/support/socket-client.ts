/** A raw WebSocket client for the e2e tests: every message kept (with its arrival time), and a way to wait for one. */
import WebSocket from 'ws';

export interface Socket {
  ws: WebSocket;
  messages: Record<string, any>[];
  /** The first message (from index `from` on, default all) that matches, waiting for it if none has yet. */
  next(predicate: (m: Record<string, any>) => boolean, timeoutMs?: number, from?: number): Promise<Record<string, any>>;
  /** Sends, then waits for a matching message that arrives after the send. */
  request(message: object, predicate: (m: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  send(message: object | string): void;
}

export function connectSocket(url: string, key: string): Promise<Socket> {
  return new Promise((resolveSocket, reject) => {
    const ws = new WebSocket(`${url}?apiKey=${encodeURIComponent(key)}`);
    const messages: Record<string, any>[] = [];
    const waiters: { predicate: (m: Record<string, any>) => boolean; resolve: (m: Record<string, any>) => void }[] = [];
    ws.on('message', (data) => {
      const message = { ...JSON.parse(String(data)), receivedAt: Date.now() };
      messages.push(message);
      for (const w of [...waiters]) if (w.predicate(message)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(message); }
    });
    ws.once('error', reject);
    const send = (m: object | string) => ws.send(typeof m === 'string' ? m : JSON.stringify(m));
    const next: Socket['next'] = (predicate, timeoutMs = 30_000, from = 0) => {
      const found = messages.slice(from).find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((res, rej) => {
        const recent = () => JSON.stringify(messages.slice(-30).map(({ job: _job, ...m }) => m)).slice(0, 3000);
        const timer = setTimeout(() => rej(new Error(`no matching message; the last ones: ${recent()}`)), timeoutMs);
        waiters.push({ predicate, resolve: (m) => (clearTimeout(timer), res(m)) });
      });
    };
    ws.once('open', () =>
      resolveSocket({
        ws,
        messages,
        send,
        next,
        request: (message, predicate, timeoutMs) => {
          const from = messages.length;
          send(message);
          return next(predicate, timeoutMs, from);
        },
      }),
    );
  });
}
