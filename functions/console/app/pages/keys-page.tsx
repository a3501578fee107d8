import { useState } from 'preact/hooks';
import { listApiKeys } from '../api/keyward.js';
import type { ApiKey } from '../api/types.js';
import { ErrorNote } from '../components/error-note.js';
import { PageHeading } from '../components/page-heading.js';
import { TableRegion } from '../components/table-region.js';
import { usePagedList } from '../components/use-paged-list.js';
import { formatTime } from '../format.js';
import { href } from '../state/route.js';
import { may } from '../state/session.js';

/** GET /api-keys, a page at a time ("Load more"), filtered by name over what is loaded. */
export function KeysPage() {
  const [filter, setFilter] = useState('');
  const list = usePagedList((cursor) => listApiKeys(cursor), [], (key: ApiKey) => key.key_id);
  const pages = list.items;
  const needle = filter.trim().toLowerCase();
  const shown = needle ? pages.filter((key) => key.name.toLowerCase().includes(needle)) : pages;
  return (
    <>
      <PageHeading title="API keys" />
      <div class="toolbar">
        <div class="field-inline">
          <label for="key-filter">Filter by name</label>
          <input id="key-filter" type="search" value={filter} onInput={(event) => setFilter(event.currentTarget.value)} />
        </div>
        {may('createApiKey') ? (
          <a class="button primary" href={href('keys', 'new')}>
            Create API key
          </a>
        ) : null}
      </div>
      <ErrorNote error={list.error} />
      {list.loading ? <p role="status">Loading…</p> : null}
      {!list.loading && !list.error ? (
        <>
          <p role="status" class="muted">
            {shown.length} of {pages.length} loaded keys{list.more ? '; more keys to load' : ''}.
          </p>
          <TableRegion label="API keys">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Start</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Status</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((key) => (
                  <tr key={key.key_id}>
                    <td>
                      <a href={href('keys', key.key_id)}>{key.name}</a>
                    </td>
                    <td class="mono">{key.start}…</td>
                    <td>{key.scopes.join(' ') || '—'}</td>
                    <td>{key.enabled ? 'enabled' : 'disabled'}</td>
                    <td>{formatTime(key.expires_at)}</td>
                    <td>{formatTime(key.last_used)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
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
