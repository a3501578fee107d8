import { useEffect, useState } from 'preact/hooks';
import { builtInScopes } from '../../../../shared/auth/scopes.js';
import { createApiKey, getIdentity, listIdentities } from '../api/keyward.js';
import type { NewApiKey } from '../api/types.js';
import { ErrorNote } from '../components/error-note.js';
import { PageHeading } from '../components/page-heading.js';
import { RateLimitsFieldset } from '../components/rate-limits-fieldset.js';
import { useLoad } from '../components/use-load.js';
import { wholeNumber } from '../format.js';
import { freshSecret } from '../state/fresh-secret.js';
import { href, navigate } from '../state/route.js';
import { may } from '../state/session.js';
import { toRateLimits, type LimitDraft } from './limits-draft.js';

const expiryChoices: [string, number | undefined][] = [
  ['Never', undefined],
  ['In 1 day', 86_400],
  ['In 7 days', 7 * 86_400],
  ['In 30 days', 30 * 86_400],
  ['In 90 days', 90 * 86_400],
  ['In 1 year', 365 * 86_400],
];

interface Draft {
  name: string;
  scopes: string[];
  customScopes: string;
  expiry: number;
  rateLimit: string;
  rateWindow: string;
  quota: string;
  refillAmount: string;
  refillInterval: '' | 'daily' | 'monthly';
  meta: string;
  prefix: string;
  /** The external id of the identity the key joins; blank for none. */
  identity: string;
  limits: LimitDraft[];
}

const emptyDraft: Draft = { name: '', scopes: [], customScopes: '', expiry: 0, rateLimit: '', rateWindow: '60', quota: '', refillAmount: '', refillInterval: '', meta: '{}', prefix: '', identity: '', limits: [] };

/** The identity with this external id (the API matches it exactly), or a sentence saying there is none. */
async function identityIdOf(externalId: string): Promise<string> {
  const found = (await listIdentities(null, externalId, 1)).items[0];
  if (!found) throw new Error(`Identity: no identity has the external id "${externalId}"`);
  return found.identity_id;
}

/** The form, checked here for what the page can tell (numbers, JSON); the service checks the rest (422 with its detail). */
function toRequest(draft: Draft): NewApiKey {
  let meta: unknown;
  try {
    meta = JSON.parse(draft.meta || '{}');
  } catch {
    throw new Error('Meta: not valid JSON');
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new Error('Meta: a JSON object, e.g. {"team": "billing"}');
  const key: NewApiKey = {
    name: draft.name.trim(),
    scopes: [...draft.scopes, ...draft.customScopes.split(/[\s,]+/).filter(Boolean)],
    meta: meta as NewApiKey['meta'],
  };
  const expiresIn = expiryChoices[draft.expiry]?.[1];
  if (expiresIn !== undefined) key.expires_in = expiresIn;
  const limit = wholeNumber(draft.rateLimit, 'Rate limit', 1);
  if (limit !== undefined) key.rate_limit = { limit, window_s: wholeNumber(draft.rateWindow, 'Rate limit window', 1) ?? 60 };
  const remaining = wholeNumber(draft.quota, 'Quota', 0);
  if (remaining !== undefined) {
    key.quota = { remaining };
    const amount = wholeNumber(draft.refillAmount, 'Refill amount', 1);
    if (draft.refillInterval && amount !== undefined) key.quota.refill = { amount, interval: draft.refillInterval };
  }
  if (draft.limits.length > 0) key.ratelimits = toRateLimits(draft.limits);
  if (draft.prefix.trim()) key.prefix = draft.prefix.trim();
  return key;
}

/** POST /api-keys, then the key's page, where its secret is shown once. From an identity's page, the key joins it. */
export function KeyCreatePage({ identityId }: { identityId?: string }) {
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const update = (change: Partial<Draft>) => setDraft((current) => ({ ...current, ...change }));
  useEffect(() => {
    if (!identityId) return;
    getIdentity(identityId).then((identity) => update({ identity: identity.external_id }), setError);
  }, [identityId]);
  // Suggestions for the identity field (the first 100); any other is found by its exact external id.
  const identities = useLoad(async () => (may('listIdentities') ? (await listIdentities(null, undefined, 100)).items : []), []);
  // Only the built-in scopes this user holds: the service refuses a key with more (nobody gains a scope through a key).
  const grantable = builtInScopes.filter((scope) => may('createApiKey', { after: scope }));
  const toggle = (scope: string, on: boolean) => update({ scopes: on ? [...draft.scopes, scope] : draft.scopes.filter((held) => held !== scope) });
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const key = toRequest(draft);
      const externalId = draft.identity.trim();
      if (externalId) key.identity_id = await identityIdOf(externalId);
      const created = await createApiKey(key);
      freshSecret.value = { keyId: created.key_id, value: created.key_value, rotated: false };
      navigate('keys', created.key_id);
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };
  return (
    <>
      <PageHeading title="Create an API key" />
      <form onSubmit={submit} class="form">
        <label for="key-name">Name</label>
        <input id="key-name" required maxLength={200} value={draft.name} onInput={(event) => update({ name: event.currentTarget.value })} />

        <fieldset>
          <legend>Scopes</legend>
          {grantable.map((scope) => (
            <label class="check" key={scope}>
              <input type="checkbox" checked={draft.scopes.includes(scope)} onChange={(event) => toggle(scope, event.currentTarget.checked)} /> {scope}
            </label>
          ))}
          <label for="key-custom-scopes">Custom scopes for your own services (space-separated, e.g. orders:read)</label>
          <input id="key-custom-scopes" value={draft.customScopes} onInput={(event) => update({ customScopes: event.currentTarget.value })} />
        </fieldset>

        <label for="key-expiry">Expires</label>
        <select id="key-expiry" value={String(draft.expiry)} onChange={(event) => update({ expiry: Number(event.currentTarget.value) })}>
          {expiryChoices.map(([label], index) => (
            <option key={label} value={String(index)}>
              {label}
            </option>
          ))}
        </select>

        <fieldset>
          <legend>Rate limit (optional)</legend>
          <div class="pair">
            <div>
              <label for="key-rate-limit">Requests</label>
              <input id="key-rate-limit" inputMode="numeric" value={draft.rateLimit} onInput={(event) => update({ rateLimit: event.currentTarget.value })} />
            </div>
            <div>
              <label for="key-rate-window">Per window of (seconds)</label>
              <input id="key-rate-window" inputMode="numeric" value={draft.rateWindow} onInput={(event) => update({ rateWindow: event.currentTarget.value })} />
            </div>
          </div>
        </fieldset>

        <fieldset>
          <legend>Quota (optional)</legend>
          <label for="key-quota">Uses allowed</label>
          <input id="key-quota" inputMode="numeric" value={draft.quota} onInput={(event) => update({ quota: event.currentTarget.value })} />
          <div class="pair">
            <div>
              <label for="key-refill-interval">Refill</label>
              <select id="key-refill-interval" value={draft.refillInterval} onChange={(event) => update({ refillInterval: event.currentTarget.value as Draft['refillInterval'] })}>
                <option value="">Never</option>
                <option value="daily">Daily</option>
                <option value="monthly">Monthly</option>
              </select>
            </div>
            <div>
              <label for="key-refill-amount">Refill to</label>
              <input id="key-refill-amount" inputMode="numeric" value={draft.refillAmount} onInput={(event) => update({ refillAmount: event.currentTarget.value })} />
            </div>
          </div>
        </fieldset>

        <RateLimitsFieldset id="key-limit" legend="Named rate limits (optional)" limits={draft.limits} onChange={(limits) => update({ limits })} />

        <label for="key-identity">Identity (its external id, optional)</label>
        <input id="key-identity" list="key-identity-choices" autocomplete="off" aria-describedby="key-identity-help" value={draft.identity} onInput={(event) => update({ identity: event.currentTarget.value })} />
        <datalist id="key-identity-choices">
          {(identities.data ?? []).map((identity) => (
            <option key={identity.identity_id} value={identity.external_id} />
          ))}
        </datalist>
        <p id="key-identity-help" class="muted">
          The key then shares the identity's rate limits and credits, and its usage counts for the identity too.
        </p>

        <label for="key-meta">Meta (a JSON object, returned on verification)</label>
        <textarea id="key-meta" class="mono" rows={3} value={draft.meta} onInput={(event) => update({ meta: event.currentTarget.value })} />

        <label for="key-prefix">Prefix (optional; default kw)</label>
        <input id="key-prefix" value={draft.prefix} onInput={(event) => update({ prefix: event.currentTarget.value })} />

        <ErrorNote error={error} />
        <div class="actions">
          <a class="button" href={href('keys')}>
            Cancel
          </a>
          <button type="submit" class="primary" disabled={busy}>
            Create key
          </button>
        </div>
      </form>
    </>
  );
}
