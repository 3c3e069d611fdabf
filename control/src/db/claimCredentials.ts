// Decrypts, for claimed runs only, the credentials each run names: the one place secrets leave D1.
import type { KeyRing } from '../crypto/fernet.ts';

export type RunSecrets = { ok: true; env: Record<string, string> } | { ok: false; reason: string; detail: string };

export async function secretsForRuns(
  d1: D1Database,
  keyRing: KeyRing,
  workspaceId: string,
  runs: { id: string; credentialNames: string[] }[],
): Promise<Map<string, RunSecrets>> {
  const names = [...new Set(runs.flatMap((r) => r.credentialNames))];
  const byName = new Map<string, { env_var: string; encrypted_value: string }>();
  if (names.length > 0) {
    const { results } = await d1
      .prepare(`SELECT name, env_var, encrypted_value FROM credentials WHERE workspace_id = ?1 AND name IN (SELECT value FROM json_each(?2))`)
      .bind(workspaceId, JSON.stringify(names))
      .all<{ name: string; env_var: string; encrypted_value: string }>();
    for (const row of results) byName.set(row.name, row);
  }
  const out = new Map<string, RunSecrets>();
  for (const run of runs) {
    const env: Record<string, string> = {};
    let failure: RunSecrets | null = null;
    for (const name of run.credentialNames) {
      const row = byName.get(name);
      if (!row) {
        failure = { ok: false, reason: 'credential_missing', detail: `credential '${name}' no longer exists in this workspace` };
        break;
      }
      try {
        env[row.env_var] = await keyRing.decrypt(row.encrypted_value);
      } catch {
        failure = { ok: false, reason: 'credential_undecryptable', detail: `credential '${name}' cannot be decrypted with the configured ORCH_MASTER_KEY` };
        break;
      }
    }
    out.set(run.id, failure ?? { ok: true, env });
  }
  return out;
}
