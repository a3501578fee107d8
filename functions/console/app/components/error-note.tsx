import { ApiError } from '../api/client.js';

/** An error as the user reads it: the API's `detail` (its code beside it), announced by screen readers. */
export function ErrorNote({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p class="error" role="alert">
      {message}
      {error instanceof ApiError && error.status > 0 ? <span class="error-code"> ({error.status} {error.code})</span> : null}
    </p>
  );
}
