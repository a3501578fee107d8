import { useState } from 'preact/hooks';
import { listIdentities } from '../api/keyward.js';
import type { Identity } from '../api/types.js';
import { ErrorNote } from '../components/error-note.js';
import { PageHeading } from '../components/page-heading.js';
import { TableRegion } from '../components/table-region.js';
import { usePagedList } from '../components/use-paged-list.js';
import { formatCredits, formatTime } from '../format.js';
import { href } from '../state/route.js';
import { may } from '../state/session.js';

/** GET /identities a page at a time ("Load more"), or the one with an external id (the API matches it exactly). */
export function IdentitiesPage() {
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState('');
  const list = usePagedList((cursor) => listIdentities(cursor, search || undefined), [search], (identity: Identity) => identity.identity_id);
  const identities = list.items;
  return (
    <>
      <PageHeading title="Identities" />
      <p class="muted">An identity is a customer you issue keys to: its rate limits and credits are shared by all its keys, and its usage is counted beside theirs.</p>
      <div class="toolbar">
        <form
          class="field-inline"
          onSubmit={(event) => {
            event.preventDefault();
            setSearch(typed.trim());
          }}
        >
          <label for="identity-search">Find by external id (exact)</label>
          <input id="identity-search" type="search" value={typed} onInput={(event) => setTyped(event.currentTarget.value)} />
          <button type="submit">Find</button>
          {search ? (
            <button
              type="button"
              onClick={() => {
                setTyped('');
                setSearch('');
              }}
            >
              Show all
            </button>
          ) : null}
        </form>
        {may('createIdentity') ? (
          <a class="button primary" href={href('identities', 'new')}>
            New identity
          </a>
        ) : null}
      </div>
      <ErrorNote error={list.error} />
      {list.loading ? <p role="status">Loading…</p> : null}
      {!list.loading && !list.error ? (
        <>
          <p role="status" class="muted">
            {search
              ? identities.length === 0
                ? `No identity has the external id "${search}".`
                : `The identity with the external id "${search}".`
              : `${identities.length} identities loaded${list.more ? '; more to load' : ''}.`}
          </p>
          {identities.length > 0 ? (
            <TableRegion label="Identities">
              <table>
                <thead>
                  <tr>
                    <th scope="col">External id</th>
                    <th scope="col" class="number">
                      Keys
                    </th>
                    <th scope="col">Rate limits</th>
                    <th scope="col">Credits</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {identities.map((identity) => (
                    <tr key={identity.identity_id}>
                      <td>
                        <a href={href('identities', identity.identity_id)}>{identity.external_id}</a>
                      </td>
                      <td class="number">{identity.keys}</td>
                      <td>{identity.ratelimits.map((limit) => limit.name).join(', ') || '—'}</td>
                      <td>{formatCredits(identity.credits)}</td>
                      <td>{formatTime(identity.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableRegion>
          ) : null}
          <ErrorNote error={list.moreError} />
          {list.more ? (
            <button type="button" onClick={list.loadMore}>
              Load more
            </button>
          ) : null}
        </>
      ) : null}
    </>
  );
}
