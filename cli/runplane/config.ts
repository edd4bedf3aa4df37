/**
 * Where the CLI sends its requests: RUNPLANE_URL (HTTP API), RUNPLANE_WS_URL
 * (WebSocket API) and RUNPLANE_API_KEY, by default the local stack of
 * `npm start` on its default ports and its dev key (.runplane/dev-api-key).
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { LANGUAGE_IDS, LANGUAGES, type LanguageId } from '../../core/languages.ts';

export interface CliConfig {
  url: string;
  wsUrl: string;
  apiKey: string;
}

const DEV_KEY_FILE = resolve(import.meta.dirname, '../../.runplane/dev-api-key');

export class CliError extends Error {
  override name = 'CliError';
}

export function cliConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  const apiKey = env.RUNPLANE_API_KEY || (existsSync(DEV_KEY_FILE) ? readFileSync(DEV_KEY_FILE, 'utf8').trim() : '');
  if (!apiKey) throw new CliError('no API key: set RUNPLANE_API_KEY, or start the local stack (npm start) for its dev key');
  return {
    url: (env.RUNPLANE_URL || 'http://127.0.0.1:3000').replace(/\/+$/, ''),
    wsUrl: env.RUNPLANE_WS_URL || 'ws://127.0.0.1:3001',
    apiKey,
  };
}

/** Extensions people use beyond each language's own source file name (main.py → .py). */
const ALIASES: Record<string, LanguageId> = { '.cc': 'cpp', '.cxx': 'cpp', '.mjs': 'javascript', '.cjs': 'javascript', '.bash': 'bash' };

export function languageOf(file: string): LanguageId {
  const ext = extname(file).toLowerCase();
  const found = LANGUAGE_IDS.find((id) => extname(LANGUAGES[id].sourceFile) === ext) ?? ALIASES[ext];
  if (!found) throw new CliError(`cannot tell the language of ${file} from its extension; give --language (one of: ${LANGUAGE_IDS.join(', ')})`);
  return found;
}
