import { useState } from 'preact/hooks';
import { listItems } from '../api/keyward.js';
import { ErrorNote } from '../components/error-note.js';
import { PageHeading } from '../components/page-heading.js';
import { usePagedList } from '../components/use-paged-list.js';
import { href } from '../state/route.js';
import { may } from '../state/session.js';

/** GET /data?prefix=: the tenant's keys by prefix, a page at a time. */
export function DataPage() {
  const [prefix, setPrefix] = useState('');
  const [search, setSearch] = useState('');
  const list = usePagedList((cursor) => listItems(search, cursor), [search], (key) => key);
  const keys = list.items;
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
      <ErrorNote error={list.error} />
      {list.loading ? <p role="status">Loading…</p> : null}
      {!list.loading && !list.error ? (
        <>
          <p role="status" class="muted">
            {keys.length === 0 ? 'No keys' : `${keys.length} keys`}
            {search ? ` starting with "${search}"` : ''}
            {list.more ? '; more to load' : ''}.
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
