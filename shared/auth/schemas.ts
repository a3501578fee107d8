import * as z from 'zod';
import { maxPasswordBytes } from './passwords.js';

/** OAuth2 password grant, form-encoded or JSON; other OAuth2 fields (scope, client_id) are ignored. */
export const LoginBody = z.object({
  grant_type: z.literal('password').optional(),
  username: z.string().min(1).max(64).toLowerCase(),
  password: z
    .string()
    .min(1)
    .refine((password) => Buffer.byteLength(password, 'utf8') <= maxPasswordBytes, {
      message: `Password must be at most ${maxPasswordBytes} bytes (bcrypt's limit)`,
    }),
});

export const TokenResponseSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.number().int(),
});

export const RevokeResponseSchema = z.object({ revoked: z.literal(true) });
