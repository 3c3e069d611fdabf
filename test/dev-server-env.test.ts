// `make dev-server` gives wrangler dev .dev.vars with the environment's ORCH_* settings winning, in a file
// wrangler reads back value for value (checked with wrangler's own reader).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unstable_getVarsForDev } from 'wrangler';
import { devServerEnv, envFileLine } from '../scripts/dev-server-env.ts';

const CONFIG = resolve(import.meta.dirname, '../wrangler.toml');
const dir = mkdtempSync(join(tmpdir(), 'fc-dev-server-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What wrangler dev --env-file <file> binds for the given text. */
function asWranglerReadsIt(text: string): Record<string, string> {
  const file = join(dir, 'vars.env');
  writeFileSync(file, text);
  const bindings = unstable_getVarsForDev(CONFIG, [file], {}, undefined, true);
  return Object.fromEntries(Object.entries(bindings).map(([name, binding]) => [name, String((binding as { value: unknown }).value)]));
}

describe('the dev-server env file', () => {
  it('comes back from wrangler exactly as written, whatever the value holds', () => {
    const values = {
      A_DOLLAR: 'pa$$word${HOME}$HOME',
      A_BACKSLASH_DOLLAR: 'a\\$b',
      A_HASH: 'x # not a comment',
      SPACES: '  padded  ',
      SINGLE: "it's",
      SINGLE_AND_BACKTICK: "it's `so`",
      DOUBLE_WITH_BACKSLASH: "it's `C:\\temp`",
      EMPTY: '',
      FERNET: 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=',
    };
    const text = Object.entries(values).map(([name, value]) => `${envFileLine(name, value)}\n`).join('');
    expect(asWranglerReadsIt(text)).toEqual(values);
  });

  it('refuses a value it cannot write faithfully, naming the variable', () => {
    expect(() => envFileLine('ORCH_DEFAULT_ADMIN_KEY', 'a\nb')).toThrow(/^ORCH_DEFAULT_ADMIN_KEY: /);
    expect(() => envFileLine('ORCH_DEFAULT_ADMIN_KEY', `'\`"`)).toThrow(/^ORCH_DEFAULT_ADMIN_KEY: /);
    // Between double quotes dotenv would turn this \n into a line break.
    expect(() => envFileLine('ORCH_DEFAULT_ADMIN_KEY', "it's `a\\nb`")).toThrow(/^ORCH_DEFAULT_ADMIN_KEY: /);
  });

  it('holds .dev.vars with the environment winning for the control plane settings only', () => {
    const devVars = new Map([
      ['ORCH_MASTER_KEY', 'from-file'],
      ['ORCH_DEFAULT_ADMIN_KEY', 'file-admin'],
      ['OTHER', 'kept'],
    ]);
    const environment = { ORCH_DEFAULT_ADMIN_KEY: 'env-admin', ORCH_LEASE_SECONDS: '30', ORCH_CONCURRENCY: '4', ORCH_MAX_BODY_BYTES: '' };
    expect(asWranglerReadsIt(devServerEnv(environment, devVars))).toEqual({
      ORCH_MASTER_KEY: 'from-file',
      ORCH_DEFAULT_ADMIN_KEY: 'env-admin',
      OTHER: 'kept',
      ORCH_LEASE_SECONDS: '30',
    });
  });
});
