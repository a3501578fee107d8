import { defaultDetail, errorStatus, type ErrorCode } from './codes.js';

/** One entry of a FastAPI-shaped validation error list. */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** The only error type the service throws on purpose; anything else becomes a generic 500. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string | ValidationIssue[];
  readonly headers: Record<string, string>;
  /** Below 500 the detail is shown to the client; a 5xx shows it only when the thrower says it is ours to show. */
  readonly expose: boolean;
  /** Set once the failure has its audit event (the Lua script that found it wrote one). */
  audited = false;

  constructor(
    code: ErrorCode,
    detail?: string | ValidationIssue[],
    options: { headers?: Record<string, string>; cause?: unknown; expose?: boolean } = {},
  ) {
    const text = detail ?? defaultDetail[code];
    super(typeof text === 'string' ? text : defaultDetail[code], { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = errorStatus[code];
    this.detail = text;
    this.headers = options.headers ?? {};
    this.expose = this.status < 500 || options.expose === true;
  }
}

export function validationError(issues: ValidationIssue[]): AppError {
  return new AppError('validation_error', issues);
}
