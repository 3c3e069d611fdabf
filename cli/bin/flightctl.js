#!/usr/bin/env node
// The `flightctl` command installed by npm: runs cli/src/main.ts on a Node that runs TypeScript
// (22.18 or newer). An older Node hands over to the one `make run` fetched into .tools/node.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const [major, minor] = process.versions.node.split('.').map(Number);

if (major > 22 || (major === 22 && minor >= 18)) {
  await import(main);
} else {
  const fetched = fileURLToPath(new URL('../../.tools/node/bin/node', import.meta.url));
  if (!existsSync(fetched)) {
    process.stderr.write(`flightctl needs Node 22.18 or newer (this is ${process.version}); run \`make run\` (or scripts/ensure-node.sh) once to fetch one into .tools/node\n`);
    process.exit(1);
  }
  // The terminal's Ctrl-C reaches both processes; the child decides (detach or cancel), this one waits.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  const child = spawn(fetched, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
