// Finding a job the way people name it: by id, or else by its name.
import type { Job } from '../../control/src/contract/jobs.ts';
import type { Client } from './client.ts';
import { ApiError, CliError } from './errors.ts';

/** A job by id, or else by its name. */
export async function findJob(client: Client, nameOrId: string): Promise<Job> {
  try {
    return await client.get<Job>(`/jobs/${encodeURIComponent(nameOrId)}`);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
  }
  const matches = (await client.list<Job>('/jobs', {}, { pageSize: 500 })).filter((j) => j.name === nameOrId);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new CliError(`${matches.length} jobs are named '${nameOrId}'; use an id: ${matches.map((j) => j.id).join(', ')}`);
  throw new CliError(`no job named or with id '${nameOrId}'`);
}
