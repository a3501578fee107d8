import * as z from 'zod';
import { PasswordSchema } from '../auth/passwords.js';
import { roles } from '../auth/scopes.js';
import { CursorSchema, limitSchema } from '../pagination.js';

/** Usernames are unique across the service and compared in lower case. `me` is taken by `/users/me`. */
export const UsernameSchema = z
  .string()
  .min(1)
  .max(64)
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._@+-]*$/, 'Username: letters, digits and . _ @ + -, starting with a letter or digit')
  .refine((name) => name !== 'me', 'Username "me" is reserved');

const FullNameSchema = z.string().max(200).nullable();
const EmailSchema = z.email().max(254).nullable();

export const CreateUserBody = z.strictObject({
  username: UsernameSchema,
  password: PasswordSchema,
  role: z.enum(roles).default('member'),
  full_name: FullNameSchema.optional(),
  email: EmailSchema.optional(),
});
export type NewUser = z.output<typeof CreateUserBody>;

export const UpdateUserBody = z
  .strictObject({
    password: PasswordSchema.optional(),
    role: z.enum(roles).optional(),
    full_name: FullNameSchema.optional(),
    email: EmailSchema.optional(),
    disabled: z.boolean().optional(),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), 'Give at least one field to change');
export type UserChange = z.output<typeof UpdateUserBody>;

export const UserParams = z.object({ username: UsernameSchema });

export const ListUsersQuery = z.object({ limit: limitSchema(1000, 100), cursor: CursorSchema.optional() });

export const UserSchema = z.object({
  username: z.string(),
  tenant_id: z.string(),
  role: z.enum(roles),
  full_name: z.string().nullable(),
  email: z.string().nullable(),
  disabled: z.boolean(),
  created_at: z.string(),
});
export type User = z.infer<typeof UserSchema>;
