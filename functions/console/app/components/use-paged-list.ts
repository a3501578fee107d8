import { useCallback, useRef, useState } from 'preact/hooks';
import type { Page } from '../api/keyward.js';
import { useLoad } from './use-load.js';

export interface PagedList<T> {
  /** Every item loaded so far for the current deps (empty while the first page loads). */
  items: T[];
  /** There is a next page to load. */
  more: boolean;
  /** The first page is loading (from the render in which the deps change). */
  loading: boolean;
  /** Why the first page failed. */
  error: unknown;
  /** Why the last "Load more" failed. */
  moreError: unknown;
  /** Appends the next page; a second call while one is on its way does nothing. */
  loadMore: () => void;
  /** Changes the loaded items in place (a row updated, added or deleted by the page). */
  update: (change: (items: T[]) => T[]) => void;
}

/** The loaded list: the first page it grew from, its items so far and the next cursor. */
interface Loaded<T> {
  first: Page<T>;
  items: T[];
  next: string | null;
}

/**
 * A cursor-paginated list, loaded a page at a time, for the list pages. The first page loads on each
 * change of `deps`; "Load more" appends the next one, once, and only to the list it was asked for: an
 * answer arriving after the deps changed (a new search) is dropped, not appended to the new list.
 * Items the page added itself (or a page overlapping the one before) are not listed twice (`keyOf`).
 */
export function usePagedList<T>(fetchPage: (cursor: string | null) => Promise<Page<T>>, deps: unknown[], keyOf: (item: T) => string): PagedList<T> {
  const first = useLoad(() => fetchPage(null), deps);
  const [grown, setGrown] = useState<Loaded<T> | null>(null);
  const [moreFailed, setMoreFailed] = useState<{ of: Page<T>; error: unknown } | null>(null);
  const base = first.loading ? null : first.data;
  const list: Loaded<T> | null = base === null ? null : grown?.first === base ? grown : { first: base, items: base.items, next: base.next };
  // What the handlers below act on: the list as rendered last, and the fetch for the current deps.
  const current = useRef({ list, fetchPage, keyOf });
  current.current = { list, fetchPage, keyOf };

  // The list a "Load more" is on its way for (a ref: a second click in the same tick sees it at once).
  const asking = useRef<Page<T> | null>(null);
  const loadMore = useCallback(() => {
    const from = current.current.list;
    if (!from || from.next === null || asking.current === from.first) return;
    const cursor = from.next;
    asking.current = from.first;
    setMoreFailed(null);
    const settle = () => {
      if (asking.current === from.first) asking.current = null;
    };
    current.current.fetchPage(cursor).then(
      (page) => {
        settle();
        setGrown((grownNow) => {
          const onto = grownNow?.first === from.first ? grownNow : { first: from.first, items: from.first.items, next: from.first.next };
          // Appended only where it was asked: the list it grew from, still at the cursor it was asked with.
          if (current.current.list?.first !== from.first || onto.next !== cursor) return grownNow;
          const seen = new Set(onto.items.map(current.current.keyOf));
          return { first: from.first, items: [...onto.items, ...page.items.filter((item) => !seen.has(current.current.keyOf(item)))], next: page.next };
        });
      },
      (error: unknown) => {
        settle();
        setMoreFailed({ of: from.first, error });
      },
    );
  }, []);

  const update = useCallback((change: (items: T[]) => T[]) => {
    setGrown((grownNow) => {
      const shown = current.current.list;
      if (!shown) return grownNow;
      const onto = grownNow?.first === shown.first ? grownNow : shown;
      return { ...onto, items: change(onto.items) };
    });
  }, []);

  const moreError = list !== null && moreFailed?.of === list.first ? moreFailed.error : null;
  return { items: list?.items ?? [], more: list !== null && list.next !== null, loading: first.loading, error: first.error, moreError, loadMore, update };
}
