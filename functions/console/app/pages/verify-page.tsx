import { useState } from 'preact/hooks';
import { verifyApiKey } from '../api/keyward.js';
import type { Verification } from '../api/types.js';
import { ErrorNote } from '../components/error-note.js';
import { PageHeading } from '../components/page-heading.js';
import { formatTime } from '../format.js';

/** POST /api-keys/verify: what keyward answers a service that checks this key (a use of it, counted). */
export function VerifyPage() {
  const [key, setKey] = useState('');
  const [scope, setScope] = useState('');
  const [result, setResult] = useState<Verification | null>(null);
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setResult(null);
    try {
      setResult(await verifyApiKey({ key: key.trim(), ...(scope.trim() ? { scope: scope.trim() } : {}) }));
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <>
      <PageHeading title="Verify a key" />
      <form onSubmit={submit} class="form">
        <label for="verify-key">API key</label>
        <input id="verify-key" class="mono" required autocomplete="off" spellcheck={false} value={key} onInput={(event) => setKey(event.currentTarget.value)} />
        <label for="verify-scope">Scope it must hold (optional)</label>
        <input id="verify-scope" value={scope} onInput={(event) => setScope(event.currentTarget.value)} />
        <p class="muted">A verification counts as a use of the key: it updates last used, and spends its rate limit and quota.</p>
        <ErrorNote error={error} />
        <button type="submit" class="primary">
          Verify
        </button>
      </form>
      {result ? (
        <section aria-labelledby="verify-result" aria-live="polite" class={result.valid ? 'result valid' : 'result invalid'}>
          <h2 id="verify-result">
            {result.valid ? 'Valid' : 'Not valid'}: {result.code}
          </h2>
          <dl class="facts">
            <div>
              <dt>Key</dt>
              <dd>{result.name ? `${result.name} (${result.key_id ?? ''})` : 'unknown'}</dd>
            </div>
            <div>
              <dt>Scopes</dt>
              <dd>{result.scopes.join(' ') || 'none'}</dd>
            </div>
            <div>
              <dt>Expires</dt>
              <dd>{formatTime(result.expires_at)}</dd>
            </div>
            <div>
              <dt>Rate limit</dt>
              <dd>{result.ratelimit ? `${result.ratelimit.remaining} of ${result.ratelimit.limit} left` : 'none'}</dd>
            </div>
            <div>
              <dt>Quota remaining</dt>
              <dd>{result.quota ? String(result.quota.remaining) : 'no quota'}</dd>
            </div>
          </dl>
        </section>
      ) : null}
    </>
  );
}
