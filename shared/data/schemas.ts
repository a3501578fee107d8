import * as z from 'zod';
import { CursorSchema, limitSchema } from '../pagination.js';
import { parseIfMatch } from './if-match.js';

const controlCharacters = /[\u0000-\u001f\u007f]/;

export const DataKeySchema = z
  .string()
  .min(1)
  .max(512)
  .refine((key) => !controlCharacters.test(key), 'Key must not contain control characters');

/** Seconds, from one second to ten years. */
export const TtlSchema = z.number().int().min(1).max(315_360_000);

/** A flat object: string keys, scalar values. */
export const MetadataSchema = z.record(z.string().min(1).max(128), z.union([z.string(), z.number(), z.boolean(), z.null()]));

export const CreateItemBody = z.strictObject({
  key: DataKeySchema.optional(),
  value: z.json(),
  ttl: TtlSchema.nullable().optional(),
  metadata: MetadataSchema.optional(),
});

/** The old service took the key as `?key=`; still accepted. */
export const CreateItemQuery = z.object({ key: DataKeySchema.optional() });

export const UpdateItemBody = z.strictObject({
  value: z.json(),
  /** Omitted: keep the current expiry; null: remove it. */
  ttl: TtlSchema.nullable().optional(),
  /** Omitted: keep; null: clear. */
  metadata: MetadataSchema.nullable().optional(),
});

export const ItemParams = z.object({ key: DataKeySchema });

/** Never a validation error: a field that does not parse is a precondition that fails (412). */
export const IfMatchHeader = z.object({ 'if-match': z.string().max(4096).optional().transform(parseIfMatch) });

export const ListItemsQuery = z.object({
  prefix: z.string().max(512).default(''),
  limit: limitSchema(1000, 100),
  cursor: CursorSchema.optional(),
});

export const ItemSchema = z.object({
  key: z.string(),
  value: z.json(),
  ttl: z.number().int().nullable(),
  metadata: MetadataSchema,
  created_at: z.string(),
  updated_at: z.string(),
  version: z.number().int(),
});
export type Item = z.infer<typeof ItemSchema>;

export const ItemListSchema = z.object({ keys: z.array(z.string()), next_cursor: z.string().nullable() });
