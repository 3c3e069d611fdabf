// Wire schemas for run artifacts: files a worker uploads during or after a run, kept in R2.
import { z } from '@hono/zod-openapi';
import { timestamp, uploadedFile } from './common.ts';

export const Artifact = z
  .object({
    id: z.string(),
    run_id: z.string(),
    filename: z.string(),
    content_type: z.string(),
    size_bytes: z.number().int(),
    checksum_sha256: z.string().openapi({ description: 'Lowercase hex SHA-256 of the stored bytes' }),
    created_at: timestamp,
  })
  .openapi('Artifact');
export type Artifact = z.infer<typeof Artifact>;

export const ArtifactUpload = z
  .object({
    file: uploadedFile.openapi({ description: 'The file, in a part named `file`; the part\'s filename becomes the artifact\'s filename' }),
  })
  .openapi('ArtifactUpload');
