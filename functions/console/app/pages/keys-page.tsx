import { useState } from 'preact/hooks';
import { listApiKeys } from '../api/keyward.js';
import type { ApiKey } from '../api/types.js';
import { ErrorNote } from '../components/error-note.js';
import { PageHeading } from '../components/page-heading.js';
import { TableRegion } from '../components/table-region.js';
import { useLoad } from '../components/use-load.js';
import { formatTime } from '../format.js';
import { href } from '../state/route.js';
import { may } from '../state/session.js';

/** GET /api-keys, a page at a time ("Load more"), filtered by name over what is loaded. */
export function KeysPage() {
  const [pages, setPages] = useState<ApiKey[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  const [moreError, setMoreError] = useState<unknown>(null);
  const first = useLoad(async () => {
    const page = await listApiKeys(null);
    setPages(page.items);
    setNext(page.next);
    return true;
  }, []);
  const loadMore = async () => {
    setMoreError(null);
    try {
      const page = await listApiKeys(next);
      setPages((loaded) => [...loaded, ...page.items]);
      setNext(page.next);
    } catch (caught) {
      setMoreError(caught);
    }
  };
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
      <ErrorNote error={first.error} />
      {first.loading ? <p role="status">Loading…</p> : null}
      {!first.loading && !first.error ? (
        <>
          <p role="status" class="muted">
            {shown.length} of {pages.length} loaded keys{next ? '; more keys to load' : ''}.
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
          <ErrorNote error={moreError} />
          {next ? (
            <button type="button" onClick={loadMore}>
              Load more
            </button>
          ) : null}
        </>
      ) : null}
    </>
  );
}
