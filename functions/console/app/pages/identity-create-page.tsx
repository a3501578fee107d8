import { useState } from 'preact/hooks';
import { createIdentity } from '../api/keyward.js';
import type { NewIdentity } from '../api/types.js';
import { CreditsFieldset } from '../components/credits-fieldset.js';
import { ErrorNote } from '../components/error-note.js';
import { PageHeading } from '../components/page-heading.js';
import { RateLimitsFieldset } from '../components/rate-limits-fieldset.js';
import { href, navigate } from '../state/route.js';
import { noCredits, parseMeta, toCredits, toRateLimits, type CreditsDraft, type LimitDraft } from './limits-draft.js';

/** POST /identities (409 if the external id is taken), then the identity's page. */
export function IdentityCreatePage() {
  const [externalId, setExternalId] = useState('');
  const [meta, setMeta] = useState('{}');
  const [limits, setLimits] = useState<LimitDraft[]>([]);
  const [credits, setCredits] = useState<CreditsDraft>(noCredits);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const identity: NewIdentity = { external_id: externalId.trim(), meta: parseMeta(meta) };
      if (limits.length > 0) identity.ratelimits = toRateLimits(limits);
      const given = toCredits(credits);
      if (given) identity.credits = given;
      const created = await createIdentity(identity);
      navigate('identities', created.identity_id);
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };
  return (
    <>
      <PageHeading title="New identity" />
      <form onSubmit={submit} class="form">
        <label for="identity-external-id">External id (your id for this customer, unique in the tenant)</label>
        <input id="identity-external-id" required maxLength={256} autocomplete="off" value={externalId} onInput={(event) => setExternalId(event.currentTarget.value)} />
        <label for="identity-meta">Meta (a JSON object, returned on verification)</label>
        <textarea id="identity-meta" class="mono" rows={3} value={meta} onInput={(event) => setMeta(event.currentTarget.value)} />
        <RateLimitsFieldset id="identity-limit" legend="Rate limits shared by its keys (optional)" limits={limits} onChange={setLimits} />
        <CreditsFieldset id="identity-credits" credits={credits} onChange={setCredits} />
        <ErrorNote error={error} />
        <div class="actions">
          <a class="button" href={href('identities')}>
            Cancel
          </a>
          <button type="submit" class="primary" disabled={busy}>
            Create identity
          </button>
        </div>
      </form>
    </>
  );
}
