// Decrypts, for claimed runs only, the credentials each run names: the one place secrets leave D1.
import type { KeyRing } from '../crypto/fernet.ts';
import type { ClaimDelivery } from '../queue/transitions.ts';

export type RunSecrets = { ok: true; env: Record<string, string> } | { ok: false; reason: string; detail: string };

/** Decrypts each claimed run's credentials from the rows read with the claim (`ClaimDelivery`). */
export async function secretsForRuns(
  keyRing: KeyRing,
  rows: ClaimDelivery['credentials'],
  runs: { id: string; credentialNames: string[] }[],
): Promise<Map<string, RunSecrets>> {
  const byName = new Map(rows.map((row) => [row.name, row]));
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
