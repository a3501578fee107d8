import { useState } from 'preact/hooks';
import { listItems } from '../api/keyward.js';
import { ErrorNote } from '../components/error-note.js';
import { PageHeading } from '../components/page-heading.js';
import { useLoad } from '../components/use-load.js';
import { href } from '../state/route.js';
import { may } from '../state/session.js';

/** GET /data?prefix=: the tenant's keys by prefix, a page at a time. */
export function DataPage() {
  const [prefix, setPrefix] = useState('');
  const [search, setSearch] = useState('');
  const [keys, setKeys] = useState<string[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [moreError, setMoreError] = useState<unknown>(null);
  const first = useLoad(async () => {
    const page = await listItems(search, null);
    setKeys(page.items);
    setNext(page.next);
    return true;
  }, [search]);
  const loadMore = async () => {
    setMoreError(null);
    try {
      const page = await listItems(search, next);
      setKeys((loaded) => [...loaded, ...page.items]);
      setNext(page.next);
    } catch (caught) {
      setMoreError(caught);
    }
  };
  return (
    <>
      <PageHeading title="Data" />
      <div class="toolbar">
        <form
          class="field-inline"
          onSubmit={(event) => {
            event.preventDefault();
            setSearch(prefix);
          }}
        >
          <label for="data-prefix">Key prefix</label>
          <input id="data-prefix" type="search" value={prefix} onInput={(event) => setPrefix(event.currentTarget.value)} />
          <button type="submit">List</button>
        </form>
        {may('createItem') ? (
          <a class="button primary" href={href('data', 'new')}>
            New item
          </a>
        ) : null}
      </div>
      <ErrorNote error={first.error} />
      {first.loading ? <p role="status">Loading…</p> : null}
      {!first.loading && !first.error ? (
        <>
          <p role="status" class="muted">
            {keys.length === 0 ? 'No keys' : `${keys.length} keys`}
            {search ? ` starting with "${search}"` : ''}
            {next ? '; more to load' : ''}.
          </p>
          <ul class="key-list">
            {keys.map((key) => (
              <li key={key}>
                <a class="mono" href={href('data', 'item', key)}>
                  {key}
                </a>
              </li>
            ))}
          </ul>
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
