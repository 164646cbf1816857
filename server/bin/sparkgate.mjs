#!/usr/bin/env node
// The `sparkgate` command. A committed file, so that npm links it at install time (before the
// build exists); it runs the built gateway, or says how to build it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('sparkgate: the gateway is not built yet; run `npm run setup` (or `npm run build`) in the repository first\n');
  process.exit(1);
}
await import(main);
