/**
 * bench:live's rows for Piston's /api/v2/connect protocol, on the same stack and
 * machinery as the native rows (so the native rows are their baselines):
 *   piston session print(1)   init → the run's `exit`: compare with plain-job
 *   piston echo-rtt           an interactive echo through `data` messages, 50 ms
 *                             between lines: compare with the native paused echo
 * One socket per session (Piston runs one job per socket).
 */
import { connectSocket, type Socket } from '../tests/support/socket-client.ts';

const ECHO_UNTIL_QUIT = 'import sys\nfor line in sys.stdin:\n    if line == "quit\\n":\n        break\n    sys.stdout.write(line)\n    sys.stdout.flush()';

async function session(ws: string, key: string, content: string): Promise<Socket> {
  const socket = await connectSocket(`${ws}/api/v2/connect`, key);
  const started = await socket.request({ type: 'init', language: 'python', version: '*', run_timeout: 20_000, files: [{ content }] }, (m) => m.type === 'stage' || m.type === 'error');
  if (started.type === 'error') throw new Error(`init refused: ${JSON.stringify(started)}`);
  return socket;
}

const exited = (socket: Socket) => socket.next((m) => m.type === 'exit' || m.type === 'error', 60_000);

export async function pistonSessions(ws: string, key: string, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const sent = performance.now();
    const socket = await session(ws, key, 'print(1)');
    const exit = await exited(socket);
    samples.push(performance.now() - sent);
    if (exit.type !== 'exit' || exit.code !== 0) throw new Error(`session ended badly: ${JSON.stringify(exit)}`);
    socket.ws.close();
  }
  return samples;
}

export async function pistonEchoRoundTrips(ws: string, key: string, count: number, pauseMs: number): Promise<number[]> {
  const samples: number[] = [];
  while (samples.length < count) {
    const socket = await session(ws, key, ECHO_UNTIL_QUIT);
    let echoed = '';
    // 100 lines with their pauses fit the session's 20 s wall time with room to spare.
    for (let i = 0; i < Math.min(count - samples.length, 100); i++) {
      await new Promise((r) => setTimeout(r, pauseMs));
      const line = `line ${i}\n`;
      const sent = performance.now();
      await socket.request({ type: 'data', stream: 'stdin', data: line }, (m) => {
        if (m.type !== 'data') return false;
        echoed += m.data;
        return echoed.endsWith(line);
      });
      samples.push(performance.now() - sent);
    }
    socket.send({ type: 'data', stream: 'stdin', data: 'quit\n' });
    await exited(socket);
    socket.ws.close();
  }
  return samples;
}
