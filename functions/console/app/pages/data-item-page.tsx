import { useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import { deleteItem, getItem, updateItem } from '../api/keyward.js';
import type { Item } from '../api/types.js';
import { ConfirmButton } from '../components/confirm-button.js';
import { ErrorNote } from '../components/error-note.js';
import { PageHeading } from '../components/page-heading.js';
import { useLoad } from '../components/use-load.js';
import { formatSeconds, formatTime, wholeNumber } from '../format.js';
import { href, navigate } from '../state/route.js';
import { may } from '../state/session.js';
import { parseJsonText, toJsonText } from './json-text.js';

/** The version the user saw, and what they typed: kept through a conflict, never silently replaced. */
interface Editing {
  item: Item;
  text: string;
}

/**
 * GET /data/{key}, then PUT with If-Match on the version shown: when someone else changed the item
 * meanwhile the service answers 412, and the page shows their newer value beside the user's edit.
 */
export function DataItemPage({ itemKey }: { itemKey: string }) {
  const [editing, setEditing] = useState<Editing | null>(null);
  const [conflict, setConflict] = useState<Item | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [ttl, setTtl] = useState('');
  const loaded = useLoad(async () => {
    const item = await getItem(itemKey);
    setEditing({ item, text: toJsonText(item.value) });
    setConflict(null);
    return item;
  }, [itemKey]);
  const mayWrite = may('updateItem');

  const write = async (change: Parameters<typeof updateItem>[2], done: string) => {
    if (!editing) return;
    setError(null);
    setSaved(null);
    try {
      const item = await updateItem(itemKey, editing.item.version, change);
      setEditing({ item, text: toJsonText(item.value) });
      setSaved(done);
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 412) {
        setConflict(await getItem(itemKey));
      } else {
        setError(caught);
      }
    }
  };
  const save = async (event: Event) => {
    event.preventDefault();
    if (!editing) return;
    const parsed = parseJsonText(editing.text);
    setProblem(parsed.ok ? null : parsed.problem);
    if (parsed.ok) await write({ value: parsed.value as Item['value'] }, 'Saved.');
  };
  const setExpiry = async (seconds: number | null) => {
    if (!editing) return;
    setProblem(null);
    // The stored value goes back unchanged: only the expiry changes (and only if nobody changed the item).
    await write({ value: editing.item.value, ttl: seconds }, seconds === null ? 'The item no longer expires.' : `The item expires in ${formatSeconds(seconds)}.`);
  };
  const takeNewer = () => {
    if (!conflict) return;
    setEditing({ item: conflict, text: toJsonText(conflict.value) });
    setConflict(null);
  };

  const item = editing?.item;
  return (
    <>
      <PageHeading title={`Data: ${itemKey}`} />
      <p>
        <a href={href('data')}>Back to data</a>
      </p>
      <ErrorNote error={loaded.error} />
      {loaded.loading && !item ? <p role="status">Loading…</p> : null}
      {item && editing ? (
        <>
          <dl class="facts">
            <div>
              <dt>Version</dt>
              <dd>{item.version}</dd>
            </div>
            <div>
              <dt>Updated</dt>
              <dd>{formatTime(item.updated_at)}</dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>{formatTime(item.created_at)}</dd>
            </div>
            <div>
              <dt>Expires in</dt>
              <dd>{item.ttl === null ? 'never' : formatSeconds(item.ttl)}</dd>
            </div>
            <div>
              <dt>Metadata</dt>
              <dd class="mono">{JSON.stringify(item.metadata)}</dd>
            </div>
          </dl>
          {conflict ? (
            <section class="conflict" role="alert" aria-labelledby="conflict-title">
              <h2 id="conflict-title">Someone changed this item (now version {conflict.version})</h2>
              <p>Your edit was not saved and nothing was overwritten. Their value:</p>
              <pre class="mono" aria-label="The newer value">
                {toJsonText(conflict.value)}
              </pre>
              <button type="button" onClick={takeNewer}>
                Load the newer version into the editor
              </button>
            </section>
          ) : null}
          <form onSubmit={save} class="form">
            <label for="item-value">Value (JSON)</label>
            <textarea
              id="item-value"
              class="mono"
              rows={10}
              readOnly={!mayWrite}
              spellcheck={false}
              value={editing.text}
              onInput={(event) => setEditing({ ...editing, text: event.currentTarget.value })}
            />
            {problem ? (
              <p class="error" role="alert">
                {problem}
              </p>
            ) : null}
            <ErrorNote error={error} />
            {saved ? <p role="status">{saved}</p> : null}
            {mayWrite ? (
              <button type="submit" class="primary">
                Save
              </button>
            ) : null}
          </form>
          {mayWrite ? (
            <form
              class="form"
              aria-labelledby="ttl-title"
              onSubmit={async (event) => {
                event.preventDefault();
                try {
                  const seconds = wholeNumber(ttl, 'Time to live', 1);
                  if (seconds === undefined) throw new Error('Time to live: give a number of seconds');
                  await setExpiry(seconds);
                } catch (caught) {
                  if (!(caught instanceof ApiError)) setProblem(caught instanceof Error ? caught.message : String(caught));
                }
              }}
            >
              <h2 id="ttl-title">Expiry</h2>
              <label for="item-ttl">Time to live (seconds)</label>
              <input id="item-ttl" inputMode="numeric" value={ttl} onInput={(event) => setTtl(event.currentTarget.value)} />
              <div class="actions">
                <button type="submit">Set TTL</button>
                <button type="button" onClick={() => setExpiry(null)} disabled={item.ttl === null}>
                  Clear TTL
                </button>
              </div>
            </form>
          ) : null}
          {may('deleteItem') ? (
            <div class="actions">
              <ConfirmButton
                label="Delete item"
                question={`Delete ${itemKey}? This cannot be undone.`}
                confirmLabel="Delete"
                onConfirm={async () => {
                  await deleteItem(itemKey);
                  navigate('data');
                }}
              />
            </div>
          ) : null}
        </>
      ) : null}
    </>
  );
}
