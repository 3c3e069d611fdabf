// Secrets (API keys, credential values) come from stdin or a prompt that does not echo, never from
// the command line, where the process list and shell history would keep them.
import { CliError, EXIT } from './errors.ts';

/** Reads a secret: piped stdin whole (one trailing line break dropped), or typed at a silent prompt. */
export async function readSecret(prompt: string): Promise<string> {
  const value = process.stdin.isTTY ? await promptSilently(prompt) : (await readAll()).replace(/\r?\n$/, '');
  if (value === '') throw new CliError('nothing was given: type the value at the prompt or pipe it on stdin');
  return value;
}

async function readAll(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function promptSilently(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve) => {
    let value = '';
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    const done = () => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          done();
          return resolve(value);
        }
        if (ch === '\u0003') {
          done();
          process.exit(EXIT.detached);
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
