import { useState } from 'preact/hooks';
import { verifyApiKey } from '../api/keyward.js';
import type { Verification, VerifyRequest } from '../api/types.js';
import { ErrorNote } from '../components/error-note.js';
import { PageHeading } from '../components/page-heading.js';
import { formatTime, wholeNumber } from '../format.js';
import { href } from '../state/route.js';
import { AppliedLimitsTable } from './applied-limits-table.js';

/** A limit the verification names, as typed. */
interface NamedCost {
  row: number;
  name: string;
  cost: string;
}

let rows = 0;
const newNamedCost = (): NamedCost => ({ row: (rows += 1), name: '', cost: '1' });

/** The form as the API takes it; throws a sentence for what the page can tell. */
function toRequest(key: string, scope: string, cost: string, limits: NamedCost[]): VerifyRequest {
  const request: VerifyRequest = { key: key.trim() };
  if (scope.trim()) request.scope = scope.trim();
  const credits = wholeNumber(cost, 'Cost', 0);
  if (credits !== undefined) request.cost = credits;
  if (limits.length > 0) {
    request.ratelimits = limits.map((limit, index) => {
      if (!limit.name.trim()) throw new Error(`Limit ${index + 1}: give its name`);
      return { name: limit.name.trim(), cost: wholeNumber(limit.cost, `Limit ${index + 1}, cost`, 0) ?? 1 };
    });
  }
  return request;
}

function VerificationFacts({ result }: { result: Verification }) {
  return (
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
      <div>
        <dt>Credits remaining</dt>
        <dd>{result.credits ? String(result.credits.remaining) : 'no credits'}</dd>
      </div>
      <div>
        <dt>Identity</dt>
        <dd>{result.identity ? <a href={href('identities', result.identity.identity_id)}>{result.identity.external_id}</a> : 'none'}</dd>
      </div>
      {result.identity ? (
        <div>
          <dt>Identity meta</dt>
          <dd class="mono">{JSON.stringify(result.identity.meta)}</dd>
        </div>
      ) : null}
    </dl>
  );
}

/** POST /api-keys/verify: what keyward answers a service that checks this key (a use of it, counted). */
export function VerifyPage() {
  const [key, setKey] = useState('');
  const [scope, setScope] = useState('');
  const [cost, setCost] = useState('');
  const [limits, setLimits] = useState<NamedCost[]>([]);
  const [result, setResult] = useState<Verification | null>(null);
  const [error, setError] = useState<unknown>(null);
  const updateLimit = (row: number, change: Partial<NamedCost>) => setLimits((all) => all.map((limit) => (limit.row === row ? { ...limit, ...change } : limit)));
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setResult(null);
    try {
      setResult(await verifyApiKey(toRequest(key, scope, cost, limits)));
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
        <label for="verify-cost">Cost in credits (optional; default 1)</label>
        <input id="verify-cost" inputMode="numeric" value={cost} onInput={(event) => setCost(event.currentTarget.value)} />
        <fieldset>
          <legend>Rate limits to apply (optional)</legend>
          <p class="muted">Limits set to apply to every use always apply; name others here, each at its own cost.</p>
          {limits.map((limit, index) => (
            <fieldset class="limit-row" key={limit.row}>
              <legend>Limit {index + 1}</legend>
              <div class="pair">
                <div>
                  <label for={`verify-limit-${limit.row}-name`}>Limit name</label>
                  <input id={`verify-limit-${limit.row}-name`} required autocomplete="off" value={limit.name} onInput={(event) => updateLimit(limit.row, { name: event.currentTarget.value })} />
                </div>
                <div>
                  <label for={`verify-limit-${limit.row}-cost`}>Limit cost</label>
                  <input id={`verify-limit-${limit.row}-cost`} inputMode="numeric" value={limit.cost} onInput={(event) => updateLimit(limit.row, { cost: event.currentTarget.value })} />
                </div>
              </div>
              <button type="button" aria-label={`Remove limit ${index + 1}`} onClick={() => setLimits((all) => all.filter((other) => other.row !== limit.row))}>
                Remove
              </button>
            </fieldset>
          ))}
          <button type="button" onClick={() => setLimits((all) => [...all, newNamedCost()])}>
            Name a rate limit
          </button>
        </fieldset>
        <p class="muted">A verification counts as a use of the key: it updates last used, and spends its rate limits, quota and credits.</p>
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
          <VerificationFacts result={result} />
          <AppliedLimitsTable limits={result.ratelimits} />
        </section>
      ) : null}
    </>
  );
}
