// Uploads the files an agent leaves in its run's artifacts directory (FLIGHT_CONTROL_ARTIFACTS_DIR),
// so what a run produced outlives the run directory the worker deletes.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ControlPlaneClient } from './client.ts';

export const ARTIFACTS_ENV = 'FLIGHT_CONTROL_ARTIFACTS_DIR';
/** At most this many files are uploaded per run; the log says when more were left behind. */
export const MAX_ARTIFACTS = 100;

export interface UploadReport {
  uploaded: string[];
  failed: { name: string; error: string }[];
  skipped: number;
}

/** Every regular file under `dir`, depth first, as paths relative to it (symlinks are not followed). */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (at: string) => {
    const entries = await readdir(at, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) out.push(relative(dir, path));
    }
  };
  await walk(dir);
  return out;
}

export async function uploadArtifacts(client: ControlPlaneClient, runId: string, leaseToken: string, dir: string): Promise<UploadReport> {
  const files = await filesUnder(dir);
  const report: UploadReport = { uploaded: [], failed: [], skipped: Math.max(0, files.length - MAX_ARTIFACTS) };
  for (const name of files.slice(0, MAX_ARTIFACTS)) {
    const path = join(dir, name);
    try {
      if (!(await stat(path)).isFile()) continue;
      // Nested files keep their place in the name, since the control plane keeps only the last segment.
      const file = new File([await readFile(path)], name.split(/[\\/]/).join('__'));
      const result = await client.uploadArtifact(runId, leaseToken, file);
      if (result.ok) report.uploaded.push(name);
      else report.failed.push({ name, error: `${result.status} ${result.error}` });
    } catch (err) {
      report.failed.push({ name, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return report;
}
