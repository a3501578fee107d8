import * as z from 'zod';
import { verifyCodes } from '../api-keys/schemas.js';

const isoTime = z.iso.datetime({ offset: true }).transform((text) => Date.parse(text));

/** `granularity` hour (kept 90 days, at most 31 days a query) or day (kept 400 days, at most 400 a query). */
export const UsageQuery = z
  .object({
    granularity: z.enum(['hour', 'day']).default('day'),
    since: isoTime.optional(),
    until: isoTime.optional(),
  })
  .refine((query) => query.since === undefined || query.until === undefined || query.since <= query.until, {
    message: 'since must not be after until',
    path: ['since'],
  });
export type UsageRequest = z.output<typeof UsageQuery>;

export const UsageBucketSchema = z.object({
  /** The bucket's start, ISO 8601 UTC. */
  start: z.string(),
  /** Uses by verification code; codes with none are left out. */
  counts: z.partialRecord(z.enum(verifyCodes), z.number().int()),
  /** The cost of the valid verifications in the bucket. */
  credits_spent: z.number().int(),
});
export type UsageBucket = z.infer<typeof UsageBucketSchema>;
