import type { Verification } from './types.js';

export type VerifyCode = Verification['code'];

/**
 * Every verification code, VALID first then the refusals, in the order the usage chart stacks and the
 * table lists them. Kept here rather than imported from the schemas, which would ship zod; the check
 * below fails the type-check if the service gains a code this list lacks.
 */
export const verifyCodes = ['VALID', 'RATE_LIMITED', 'USAGE_EXCEEDED', 'FORBIDDEN', 'DISABLED', 'EXPIRED', 'NOT_FOUND'] as const satisfies readonly VerifyCode[];

type Missing = Exclude<VerifyCode, (typeof verifyCodes)[number]>;
export const everyCodeListed: [Missing] extends [never] ? true : Missing = true;
