#!/usr/bin/env node
// The `runplane` command: the CLI is TypeScript (cli/runplane/), run through tsx like the repo's other tools.
import { register } from 'tsx/esm/api';

register();
await import('../cli/runplane/main.ts');
