import { AppError } from './app-error.js';
import { defaultDetail } from './codes.js';

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { detail: AppError['detail']; code: string; request_id: string };
}

/** The one place any error becomes the wire body `{detail, code, request_id}` and a status. */
export function toErrorResponse(error: unknown, requestId: string): ErrorResponse {
  const appError = error instanceof AppError ? error : new AppError('internal_error');
  const headers = { ...appError.headers };
  if (appError.status === 401 && !headers['www-authenticate']) headers['www-authenticate'] = 'Bearer';
  // A 5xx says only what our own table says, never a dependency's message.
  const detail = appError.expose ? appError.detail : defaultDetail[appError.code];
  return { status: appError.status, headers, body: { detail, code: appError.code, request_id: requestId } };
}
