import { useState } from 'preact/hooks';
import { rotateApiKey } from '../api/keyward.js';
import { ErrorNote } from '../components/error-note.js';
import { formatSeconds, wholeNumber } from '../format.js';
import { freshSecret } from '../state/fresh-secret.js';

/** POST /api-keys/{id}/rotate with a grace period; the new secret is then shown once. */
export function RotateForm({ keyId, onRotated }: { keyId: string; onRotated: () => void }) {
  const [grace, setGrace] = useState('3600');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  let graceText = '';
  try {
    const seconds = wholeNumber(grace, 'Grace period') ?? 0;
    graceText = seconds === 0 ? 'The old secret stops working at once.' : `The old secret keeps working for ${formatSeconds(seconds)}.`;
  } catch {
    graceText = 'A whole number of seconds.';
  }
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const rotated = await rotateApiKey(keyId, { grace_period_s: wholeNumber(grace, 'Grace period') ?? 0 });
      freshSecret.value = { keyId, value: rotated.key_value, rotated: true };
      onRotated();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} class="form" aria-labelledby="rotate-title">
      <h2 id="rotate-title">Rotate the secret</h2>
      <label for="rotate-grace">Grace period for the old secret (seconds)</label>
      <input id="rotate-grace" inputMode="numeric" aria-describedby="rotate-grace-help" value={grace} onInput={(event) => setGrace(event.currentTarget.value)} />
      <p id="rotate-grace-help" class="muted">
        {graceText}
      </p>
      <ErrorNote error={error} />
      <button type="submit" disabled={busy}>
        Rotate
      </button>
    </form>
  );
}
