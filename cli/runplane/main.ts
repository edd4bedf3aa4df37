/**
 * The `runplane` command (package.json "bin"; `npx runplane …` in the repo):
 *   runplane run <file> [--language L] [--stdin TEXT | --stdin -] [--wall-time MS] [-- args…]
 *   runplane languages
 *   runplane jobs get <id>
 * Configuration: RUNPLANE_URL, RUNPLANE_WS_URL, RUNPLANE_API_KEY (config.ts).
 * Exit codes: exit-code.ts (the program's own; 125 for ours).
 */
import { parseArgs } from 'node:util';
import { CliError, cliConfig, type CliConfig } from './config.ts';
import { RUNPLANE_ERROR } from './exit-code.ts';
import { runFile } from './run.ts';

const USAGE = `usage:
  runplane run <file> [--language L] [--stdin TEXT | --stdin -] [--wall-time MS] [-- args…]
  runplane languages
  runplane jobs get <id>
environment: RUNPLANE_URL (http://127.0.0.1:3000), RUNPLANE_WS_URL (ws://127.0.0.1:3001),
             RUNPLANE_API_KEY (default: the local stack's dev key)`;

async function api(config: CliConfig, path: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${config.url}${path}`, { headers: { 'x-api-key': config.apiKey } });
  } catch (e) {
    throw new CliError(`cannot reach the API at ${config.url}: ${(e as Error).cause ?? (e as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!res.ok) throw new CliError(`${res.status} ${body.error?.code ?? ''}: ${body.error?.message ?? res.statusText}`);
  return body;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { language: { type: 'string', short: 'l' }, stdin: { type: 'string' }, 'wall-time': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : RUNPLANE_ERROR;
  }
  if (command === 'run' && rest[0]) {
    const { language, stdin, 'wall-time': wallTime } = values;
    if (wallTime !== undefined && !/^\d+$/.test(wallTime)) throw new CliError(`--wall-time must be a number of milliseconds, not ${JSON.stringify(wallTime)}`);
    const options = { ...(language ? { language } : {}), ...(stdin !== undefined ? { stdin } : {}), ...(wallTime !== undefined ? { wallTimeMs: Number(wallTime) } : {}) };
    return runFile({ file: rest[0], args: rest.slice(1), ...options }, cliConfig(), process);
  }
  if (command === 'languages') {
    const { languages } = (await api(cliConfig(), '/languages')) as { languages: { id: string; name: string; version: string | null }[] };
    const width = Math.max(...languages.map((l) => l.id.length));
    for (const l of languages) process.stdout.write(`${l.id.padEnd(width)}  ${l.version ?? `${l.name} (version not known yet)`}\n`);
    return 0;
  }
  if (command === 'jobs' && rest[0] === 'get' && rest[1]) {
    process.stdout.write(`${JSON.stringify(await api(cliConfig(), `/jobs/${encodeURIComponent(rest[1])}`), null, 2)}\n`);
    return 0;
  }
  throw new CliError(`unknown command: ${positionals.join(' ')}\n${USAGE}`);
}

const code = await main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof CliError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`runplane: ${(e as Error).message}\n`);
    return RUNPLANE_ERROR;
  }
  throw e;
});
// Let stdout drain (a pipe may be slow) before exiting with the program's code.
process.stdout.write('', () => process.exit(code));
