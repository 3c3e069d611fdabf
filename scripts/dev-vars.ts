// Creates .dev.vars with a fresh master key on first start, or adds a key to one that lacks it; never
// overwrites. The file is kept at mode 600.
import { appendFileSync, chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { generateFernetKey } from '../control/src/crypto/fernet.ts';
import { DEV_VARS_PATH, DEV_VARS_SHOWN as shown, readDevVars } from './dev-vars-file.ts';

const existing = readDevVars();

if (existing === null) {
  const text = [
    '# Secrets for the local control plane, read by `wrangler dev`. Git-ignored; keep it that way.',
    '# Master key(s) for encrypting stored credentials: comma-separated Fernet keys, the first one encrypts.',
    '# Losing it makes stored credentials unreadable; to rotate, put a new key first and keep the old one after it.',
    `ORCH_MASTER_KEY=${generateFernetKey()}`,
    '# The bootstrap admin key. The default "admin" lets anyone who can reach the server do anything.',
    '# ORCH_DEFAULT_ADMIN_KEY=change-me',
    '# Largest accepted request body in bytes (default 1048576).',
    '# ORCH_MAX_BODY_BYTES=1048576',
    '',
  ].join('\n');
  // 'wx' fails rather than clobber a file created since we looked.
  writeFileSync(DEV_VARS_PATH, text, { mode: 0o600, flag: 'wx' });
  console.log(`dev-vars: created ${shown} with a new ORCH_MASTER_KEY`);
} else if (!existing.has('ORCH_MASTER_KEY')) {
  // Readable by its owner only before a secret goes in.
  chmodSync(DEV_VARS_PATH, 0o600);
  const text = readFileSync(DEV_VARS_PATH, 'utf8');
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  appendFileSync(DEV_VARS_PATH, `${separator}# Added by scripts/dev-vars.ts: encrypts stored credentials; keep it.\nORCH_MASTER_KEY=${generateFernetKey()}\n`);
  console.log(`dev-vars: added a new ORCH_MASTER_KEY to ${shown}`);
}

// It holds the master key (and maybe the admin key): nobody but its owner may read it.
if ((statSync(DEV_VARS_PATH).mode & 0o077) !== 0) {
  chmodSync(DEV_VARS_PATH, 0o600);
  console.log(`dev-vars: ${shown} was readable by others; it is now mode 600`);
}
