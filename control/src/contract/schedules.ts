// Wire schemas for schedules: a job triggered on a cron expression in a time zone.
import { z } from '@hono/zod-openapi';
import { cronProblem, isTimeZone } from '../schedules/cron.ts';
import { scheduleFireOutcomes, scheduleMisfires, scheduleOverlaps } from '../db/schema.ts';
import { timestamp } from './common.ts';

const cronExpression = z
  .string()
  .trim()
  .max(200)
  .superRefine((expression, ctx) => {
    const problem = cronProblem(expression);
    if (problem) ctx.addIssue({ code: 'custom', message: `Invalid cron expression '${expression}': ${problem}` });
  })
  .openapi({
    description: 'Five fields (minute hour day-of-month month day-of-week; ranges, steps, lists and names such as MON or JAN) or one of @hourly, @daily, @weekly, @monthly, @yearly.',
    example: '0 9 * * MON-FRI',
  });

const timeZone = z
  .string()
  .min(1)
  .max(64)
  .refine(isTimeZone, 'must be an IANA time zone such as UTC or Europe/Stockholm')
  .openapi({ description: 'The IANA time zone the cron expression is read in.', example: 'Europe/Stockholm' });

const scheduleName = z.string().trim().min(1).max(200);

const misfire = z.enum(scheduleMisfires).openapi({
  description: 'What a fire missed while the control plane was away does when it comes back: `run_once` (one run for the latest missed instant, however many were missed) or `skip` (none).',
});

const overlap = z.enum(scheduleOverlaps).openapi({
  description: 'Whether a fire starts a run while this schedule\'s previous run is still queued or running (`allow`), or is skipped and recorded as such (`skip`).',
});

export const ScheduleCreate = z
  .object({
    job_definition_id: z.string().min(1).max(64).openapi({ description: 'A job of this workspace.' }),
    cron_expression: cronExpression,
    enabled: z.boolean().default(true),
    name: scheduleName.nullable().optional(),
    timezone: timeZone.default('UTC'),
    misfire: misfire.default('run_once'),
    overlap: overlap.default('allow'),
  })
  .openapi('ScheduleCreate');

// Partial update: only keys present change; null is accepted only for name (which clears it).
export const ScheduleUpdate = z
  .object({
    cron_expression: cronExpression,
    enabled: z.boolean(),
    name: scheduleName.nullable(),
    timezone: timeZone,
    misfire,
    overlap,
  })
  .partial()
  .openapi('ScheduleUpdate');

export const Schedule = z
  .object({
    id: z.string(),
    workspace_id: z.string(),
    job_definition_id: z.string(),
    job_name: z.string().nullable().openapi({ description: 'The name of the job the schedule triggers.' }),
    cron_expression: z.string(),
    timezone: z.string(),
    enabled: z.boolean(),
    name: z.string().nullable(),
    misfire,
    overlap,
    next_run_at: timestamp.nullable().openapi({ description: 'When the schedule fires next; null while disabled.' }),
    last_run_at: timestamp.nullable(),
    last_run_id: z.string().nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi('Schedule');

export const ScheduleFire = z
  .object({
    scheduled_for: timestamp.openapi({ description: 'The instant the fire stands for.' }),
    fired_at: timestamp,
    outcome: z.enum(scheduleFireOutcomes).openapi({ description: '`run`: it created `run_id`; `skipped`: it did not, for `reason`.' }),
    reason: z.string().nullable(),
    run_id: z.string().nullable(),
  })
  .openapi('ScheduleFire');

export const SchedulePreviewQuery = z.object({
  cron: cronExpression,
  timezone: timeZone.default('UTC'),
  count: z.coerce.number().int().min(1).max(100).default(5),
  from: z.iso.datetime().optional().openapi({ description: 'Count from this instant instead of now (ISO-8601).' }),
});

export const SchedulePreview = z
  .object({
    cron_expression: z.string(),
    timezone: z.string(),
    next: z.array(timestamp).openapi({ description: 'The next instants the expression fires at in the time zone, in UTC.' }),
  })
  .openapi('SchedulePreview');

export type ScheduleCreate = z.infer<typeof ScheduleCreate>;
export type ScheduleUpdate = z.infer<typeof ScheduleUpdate>;
export type Schedule = z.infer<typeof Schedule>;
export type ScheduleFire = z.infer<typeof ScheduleFire>;
