import type * as z from 'zod';
import { validationError, type ValidationIssue } from '../errors/app-error.js';

export type InputSource = 'body' | 'query' | 'path' | 'header';

/** Parses one part of a request with its schema; failures become a FastAPI-shaped 422. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, source: InputSource): z.output<S> {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw validationError(result.error.issues.flatMap((issue) => toFastApiIssues(issue, source)));
}

function toFastApiIssues(issue: z.core.$ZodIssue, source: InputSource): ValidationIssue[] {
  const loc = [source, ...issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part))];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ loc: [...loc, key], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' }));
  }
  // Whatever the expected type (a union for JSON values), an absent field reads as FastAPI's "missing".
  if (issue.input === undefined) {
    return [{ loc, msg: 'Field required', type: 'missing' }];
  }
  return [{ loc, msg: issue.message, type: issue.code }];
}
