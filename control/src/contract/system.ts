// Wire schemas for the fleet view: workers and queue metrics.
import { z } from '@hono/zod-openapi';
import { workerStatuses } from '../db/schema.ts';
import { timestamp } from './common.ts';

export const Worker = z
  .object({
    id: z.string(),
    workspace_id: z.string(),
    name: z.string(),
    status: z.enum(workerStatuses),
    labels: z.record(z.string(), z.string()),
    concurrency: z.number().int(),
    last_heartbeat: timestamp,
    current_run_id: z.string().nullable(),
    run_ids: z.array(z.string()).openapi({ description: 'The runs the worker holds now (up to its concurrency).' }),
    created_at: timestamp,
  })
  .openapi('Worker');

export const Metrics = z
  .object({
    runs: z.record(z.string(), z.number().int()).openapi({ description: 'Runs per status; statuses with no runs are absent.' }),
    workers: z.record(z.string(), z.number().int()).openapi({ description: 'Workers per status; statuses with no workers are absent.' }),
    queue_depth: z.number().int().openapi({ description: 'Runs waiting to be claimed.' }),
  })
  .openapi('Metrics');

export const WorkerListQuery = z.object({
  status: z.enum(workerStatuses).optional().openapi({ description: 'Only workers in this status.' }),
  active: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .openapi({ description: '`true`: only workers still in the fleet (online, busy or draining); `false`: only offline ones.' }),
});

export const ActivityQuery = z.object({
  hours: z.coerce.number().int().min(1).max(168).default(24).openapi({ description: 'How many hours back, this one included (1-168).' }),
});

export const ActivityHour = z
  .object({
    hour: timestamp.openapi({ description: 'The start of the hour (UTC).' }),
    created: z.number().int(),
    completed: z.number().int(),
    failed: z.number().int(),
    timeout: z.number().int(),
    cancelled: z.number().int(),
  })
  .openapi('ActivityHour');

export type Worker = z.infer<typeof Worker>;
export type ActivityHour = z.infer<typeof ActivityHour>;
export type Metrics = z.infer<typeof Metrics>;
