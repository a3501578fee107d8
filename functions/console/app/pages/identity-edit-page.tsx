import { useState } from 'preact/hooks';
import { getIdentity, updateIdentity } from '../api/keyward.js';
import type { Identity, IdentityChange } from '../api/types.js';
import { CreditsFieldset } from '../components/credits-fieldset.js';
import { ErrorNote } from '../components/error-note.js';
import { PageHeading } from '../components/page-heading.js';
import { RateLimitsFieldset } from '../components/rate-limits-fieldset.js';
import { useLoad } from '../components/use-load.js';
import { href, navigate } from '../state/route.js';
import { creditsDraft, limitDrafts, parseMeta, toCredits, toRateLimits, type CreditsDraft, type LimitDraft } from './limits-draft.js';

interface Draft {
  externalId: string;
  meta: string;
  limits: LimitDraft[];
  credits: CreditsDraft;
}

function draftOf(identity: Identity): Draft {
  return { externalId: identity.external_id, meta: JSON.stringify(identity.meta, null, 2), limits: limitDrafts(identity.ratelimits), credits: creditsDraft(identity.credits) };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
/** Limits compared field by field, whatever order their members came in. */
const limitsText = (limits: Identity['ratelimits']) => limits.map((limit) => [limit.name, limit.limit, limit.window_s, limit.auto_apply, limit.algorithm].join(' ')).join('\n');

/**
 * PATCH /identities/{id} with what changed only: the limits replace the whole list, and credits are
 * sent only if edited, since new credits start their refill period anew.
 */
function changeOf(identity: Identity, draft: Draft): IdentityChange {
  const change: IdentityChange = {};
  if (draft.externalId.trim() !== identity.external_id) change.external_id = draft.externalId.trim();
  const meta = parseMeta(draft.meta);
  if (!same(meta, identity.meta)) change.meta = meta;
  const limits = toRateLimits(draft.limits);
  if (limitsText(limits.map((limit) => ({ auto_apply: false, algorithm: 'log' as const, ...limit }))) !== limitsText(identity.ratelimits)) change.ratelimits = limits.length > 0 ? limits : null;
  if (!same(draft.credits, creditsDraft(identity.credits))) change.credits = toCredits(draft.credits) ?? null;
  return change;
}

export function IdentityEditPage({ identityId }: { identityId: string }) {
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const loaded = useLoad(async () => {
    const identity = await getIdentity(identityId);
    setDraft(draftOf(identity));
    return identity;
  }, [identityId]);
  const identity = loaded.data;
  const update = (change: Partial<Draft>) => setDraft((current) => (current ? { ...current, ...change } : current));
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!identity || !draft) return;
    setError(null);
    setBusy(true);
    try {
      const change = changeOf(identity, draft);
      if (Object.keys(change).length > 0) await updateIdentity(identityId, change);
      navigate('identities', identityId);
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };
  return (
    <>
      <PageHeading title={identity ? `Edit identity ${identity.external_id}` : 'Edit identity'} />
      <ErrorNote error={loaded.error} />
      {loaded.loading && !draft ? <p role="status">Loading…</p> : null}
      {draft ? (
        <form onSubmit={submit} class="form">
          <label for="identity-external-id">External id</label>
          <input id="identity-external-id" required maxLength={256} autocomplete="off" value={draft.externalId} onInput={(event) => update({ externalId: event.currentTarget.value })} />
          <label for="identity-meta">Meta (a JSON object, returned on verification)</label>
          <textarea id="identity-meta" class="mono" rows={4} value={draft.meta} onInput={(event) => update({ meta: event.currentTarget.value })} />
          <RateLimitsFieldset id="identity-limit" legend="Rate limits shared by its keys" limits={draft.limits} onChange={(limits) => update({ limits })} />
          <CreditsFieldset id="identity-credits" credits={draft.credits} onChange={(credits) => update({ credits })} />
          <p class="muted">Changed credits start their refill period now.</p>
          <ErrorNote error={error} />
          <div class="actions">
            <a class="button" href={href('identities', identityId)}>
              Cancel
            </a>
            <button type="submit" class="primary" disabled={busy}>
              Save
            </button>
          </div>
        </form>
      ) : null}
    </>
  );
}
