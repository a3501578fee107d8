import { useState } from 'preact/hooks';
import { deleteApiKey, getApiKey, getIdentity, updateApiKey } from '../api/keyward.js';
import type { ApiKey } from '../api/types.js';
import { ConfirmButton } from '../components/confirm-button.js';
import { ErrorNote } from '../components/error-note.js';
import { PageHeading } from '../components/page-heading.js';
import { RateLimitsTable } from '../components/rate-limits-table.js';
import { SecretOnce } from '../components/secret-once.js';
import { useLoad } from '../components/use-load.js';
import { formatSeconds, formatTime } from '../format.js';
import { freshSecret } from '../state/fresh-secret.js';
import { href, navigate } from '../state/route.js';
import { may } from '../state/session.js';
import { RotateForm } from './rotate-form.js';

/** The identity the key belongs to, by its external id, linked to its page. */
function IdentityLink({ identityId }: { identityId: string }) {
  const loaded = useLoad(() => getIdentity(identityId), [identityId]);
  return <a href={href('identities', identityId)}>{loaded.data ? loaded.data.external_id : identityId}</a>;
}

function KeyFacts({ apiKey }: { apiKey: ApiKey }) {
  const { rate_limit: rate, quota } = apiKey;
  const facts: [string, string][] = [
    ['Key id', apiKey.key_id],
    ['Start', `${apiKey.start}…`],
    ['Status', apiKey.enabled ? 'enabled' : 'disabled'],
    ['Scopes', apiKey.scopes.join(' ') || 'none'],
    ['Created', `${formatTime(apiKey.created_at)} by ${apiKey.created_by}`],
    ['Expires', formatTime(apiKey.expires_at)],
    ['Last used', formatTime(apiKey.last_used)],
    ['Rate limit', rate ? `${rate.limit} per ${formatSeconds(rate.window_s)}` : 'none'],
    ['Quota remaining', quota ? String(quota.remaining) : 'no quota'],
    ['Quota refill', quota?.refill ? `${quota.refill.interval}, to ${quota.refill.amount}` : 'none'],
    ['Meta', JSON.stringify(apiKey.meta)],
  ];
  return (
    <dl class="facts">
      {facts.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd class={term === 'Start' || term === 'Key id' || term === 'Meta' ? 'mono' : undefined}>{value}</dd>
        </div>
      ))}
      <div>
        <dt>Identity</dt>
        <dd>{apiKey.identity_id ? <IdentityLink identityId={apiKey.identity_id} /> : 'none'}</dd>
      </div>
    </dl>
  );
}

/** One key: its record, its secret once if just issued, and what the user may do to it. */
export function KeyDetailPage({ keyId }: { keyId: string }) {
  const loaded = useLoad(() => getApiKey(keyId), [keyId]);
  const [error, setError] = useState<unknown>(null);
  const secret = freshSecret.value?.keyId === keyId ? freshSecret.value : null;
  const apiKey = loaded.data;
  // The target rule: changing a key needs every built-in scope it holds (the service says 403 otherwise).
  const target = apiKey?.scopes.join(' ') ?? '';
  const mayChange = may('updateApiKey', { before: target, after: target });
  const mayRotate = may('rotateApiKey', { before: target });
  const mayDelete = may('deleteApiKey', { before: target });
  const setEnabled = async (enabled: boolean) => {
    setError(null);
    try {
      loaded.set(await updateApiKey(keyId, { enabled }));
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <>
      <PageHeading title={apiKey ? `API key ${apiKey.name}` : 'API key'} />
      <p>
        <a href={href('keys')}>Back to API keys</a>
      </p>
      {secret ? <SecretOnce value={secret.value} rotated={secret.rotated} onDone={() => (freshSecret.value = null)} /> : null}
      <ErrorNote error={loaded.error} />
      {loaded.loading && !apiKey ? <p role="status">Loading…</p> : null}
      {apiKey ? (
        <>
          <KeyFacts apiKey={apiKey} />
          <ErrorNote error={error} />
          {!mayChange && !mayRotate && !mayDelete ? <p class="muted">This key holds scopes you do not hold: you can see it, not change it.</p> : null}
          <h2>Named rate limits</h2>
          <RateLimitsTable label="Rate limits of this key" limits={apiKey.ratelimits} />
          <div class="actions">
            {may('getApiKeyUsage') ? (
              <a class="button" href={href('usage', 'key', keyId)}>
                Usage
              </a>
            ) : null}
            {mayChange ? (
              <button type="button" onClick={() => setEnabled(!apiKey.enabled)}>
                {apiKey.enabled ? 'Disable' : 'Enable'}
              </button>
            ) : null}
            {mayDelete ? (
              <ConfirmButton
                label="Delete key"
                question={`Delete the key ${apiKey.name}? It stops working everywhere within a second. This cannot be undone.`}
                confirmLabel="Delete"
                onConfirm={async () => {
                  await deleteApiKey(keyId);
                  freshSecret.value = null;
                  navigate('keys');
                }}
              />
            ) : null}
          </div>
          {mayRotate ? <RotateForm keyId={keyId} onRotated={loaded.reload} /> : null}
        </>
      ) : null}
    </>
  );
}
