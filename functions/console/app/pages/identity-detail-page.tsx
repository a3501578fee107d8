import { deleteIdentity, getIdentity, listApiKeys } from '../api/keyward.js';
import type { ApiKey, Identity } from '../api/types.js';
import { ConfirmButton } from '../components/confirm-button.js';
import { ErrorNote } from '../components/error-note.js';
import { PageHeading } from '../components/page-heading.js';
import { RateLimitsTable } from '../components/rate-limits-table.js';
import { TableRegion } from '../components/table-region.js';
import { useLoad } from '../components/use-load.js';
import { formatCredits, formatTime } from '../format.js';
import { href, navigate } from '../state/route.js';
import { may } from '../state/session.js';

function IdentityFacts({ identity }: { identity: Identity }) {
  const facts: [string, string, boolean][] = [
    ['Identity id', identity.identity_id, true],
    ['External id', identity.external_id, true],
    ['Keys', String(identity.keys), false],
    ['Credits', formatCredits(identity.credits), false],
    ['Created', formatTime(identity.created_at), false],
    ['Updated', formatTime(identity.updated_at), false],
    ['Meta', JSON.stringify(identity.meta), true],
  ];
  return (
    <dl class="facts">
      {facts.map(([term, value, mono]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd class={mono ? 'mono' : undefined}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function IdentityKeys({ keys, more }: { keys: ApiKey[]; more: boolean }) {
  if (keys.length === 0) return <p class="muted">No key belongs to this identity.</p>;
  return (
    <>
      <TableRegion label="Keys of this identity">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Start</th>
              <th scope="col">Status</th>
              <th scope="col">Last used</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.key_id}>
                <td>
                  <a href={href('keys', key.key_id)}>{key.name}</a>
                </td>
                <td class="mono">{key.start}…</td>
                <td>{key.enabled ? 'enabled' : 'disabled'}</td>
                <td>{formatTime(key.last_used)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
      {more ? <p class="muted">The first {keys.length} keys are shown.</p> : null}
    </>
  );
}

/** GET /identities/{id} and its keys (GET /api-keys?identity_id=): its limits, credits and keys, and what the user may do to it. */
export function IdentityDetailPage({ identityId }: { identityId: string }) {
  const loaded = useLoad(async () => {
    const [identity, keys] = await Promise.all([getIdentity(identityId), listApiKeys(null, 100, identityId)]);
    return { identity, keys: keys.items, more: keys.next !== null };
  }, [identityId]);
  const identity = loaded.data?.identity;
  const keys = loaded.data?.keys ?? [];
  // The identity rule: changing one needs every built-in scope its keys hold (over the keys loaded; the service decides for all).
  const target = [...new Set(keys.flatMap((key) => key.scopes))].join(' ');
  const mayChange = may('updateIdentity', { before: target });
  const mayDelete = may('deleteIdentity', { before: target });
  return (
    <>
      <PageHeading title={identity ? `Identity ${identity.external_id}` : 'Identity'} />
      <p>
        <a href={href('identities')}>Back to identities</a>
      </p>
      <ErrorNote error={loaded.error} />
      {loaded.loading && !identity ? <p role="status">Loading…</p> : null}
      {identity ? (
        <>
          <IdentityFacts identity={identity} />
          <div class="actions">
            {may('getIdentityUsage') ? (
              <a class="button" href={href('usage', 'identity', identityId)}>
                Usage
              </a>
            ) : null}
            {mayChange ? (
              <a class="button" href={href('identities', identityId, 'edit')}>
                Edit
              </a>
            ) : null}
            {mayDelete ? (
              <ConfirmButton
                label="Delete identity"
                question={`Delete the identity ${identity.external_id}? Its limits and credits go with it; its usage stays until it expires. An identity that still has keys cannot be deleted.`}
                confirmLabel="Delete"
                onConfirm={async () => {
                  await deleteIdentity(identityId);
                  navigate('identities');
                }}
              />
            ) : null}
          </div>
          {!mayChange && !mayDelete ? <p class="muted">Its keys hold scopes you do not hold: you can see this identity, not change it.</p> : null}
          <h2>Rate limits shared by its keys</h2>
          <RateLimitsTable label="Rate limits of this identity" limits={identity.ratelimits} />
          <h2>Keys</h2>
          <IdentityKeys keys={keys} more={loaded.data?.more ?? false} />
          {may('createApiKey') ? (
            <p>
              <a class="button" href={href('keys', 'new', identityId)}>
                Create a key for this identity
              </a>
            </p>
          ) : null}
        </>
      ) : null}
    </>
  );
}
