// How a run's failed attempts are retried, and how long it waits before each retry.
import { z } from '@hono/zod-openapi';

export const retryOutcomes = ['failed', 'timeout', 'worker_lost'] as const;
export type RetryOutcome = (typeof retryOutcomes)[number];

const DEFAULT_MAX_BACKOFF_SECONDS = 3600;

export const RetryPolicy = z
  .object({
    max_attempts: z.number().int().min(1).max(20).openapi({ description: 'Attempts in all, the first included.' }),
    on: z
      .array(z.enum(retryOutcomes))
      .min(1)
      .refine((on) => new Set(on).size === on.length, 'must not name an outcome twice')
      .default([...retryOutcomes])
      .openapi({ description: 'The attempt outcomes that are retried. A cancelled run is never retried.' }),
    backoff: z
      .preprocess(
        // Left out, the longest wait is an hour, or the first wait when that is longer.
        (b) =>
          b && typeof b === 'object' && !('max_seconds' in b) && 'initial_seconds' in b && typeof b.initial_seconds === 'number'
            ? { ...b, max_seconds: Math.max(DEFAULT_MAX_BACKOFF_SECONDS, b.initial_seconds) }
            : b,
        z
          .object({
            initial_seconds: z.number().min(0).max(86_400).default(10),
            factor: z.number().min(1).max(10).default(2),
            max_seconds: z.number().min(0).max(7 * 86_400).default(DEFAULT_MAX_BACKOFF_SECONDS),
          })
          .refine((b) => b.max_seconds >= b.initial_seconds, { message: 'must not be less than initial_seconds', path: ['max_seconds'] }),
      )
      .default({ initial_seconds: 10, factor: 2, max_seconds: DEFAULT_MAX_BACKOFF_SECONDS })
      .openapi({
        description:
          'The wait before retry n is initial_seconds × factor^(n-1), at most max_seconds (by default an hour, or initial_seconds when that is longer; never less than initial_seconds).',
      }),
  })
  .openapi('RetryPolicy', {
    description: 'Retries of failed attempts. Without one, a run whose worker was lost is requeued at once up to max_attempts, and failures are final.',
  });

export type RetryPolicy = z.infer<typeof RetryPolicy>;

/** Seconds to wait before the retry that follows attempt `attempt` (1 for the first attempt). */
export function retryDelaySeconds(policy: RetryPolicy, attempt: number): number {
  const { initial_seconds, factor, max_seconds } = policy.backoff;
  return Math.min(max_seconds, initial_seconds * factor ** Math.max(0, attempt - 1));
}

/** Whether an attempt that ended with `outcome` is retried, given how many attempts the run has had. */
export function retries(policy: RetryPolicy | null, outcome: RetryOutcome, attempt: number): boolean {
  return policy !== null && policy.on.includes(outcome) && attempt < policy.max_attempts;
}
