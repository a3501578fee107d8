import { useState } from 'preact/hooks';
import { createItem } from '../api/keyward.js';
import type { Item } from '../api/types.js';
import { ErrorNote } from '../components/error-note.js';
import { PageHeading } from '../components/page-heading.js';
import { wholeNumber } from '../format.js';
import { href, navigate } from '../state/route.js';
import { parseJsonText } from './json-text.js';

/** POST /data: a new item (409 if the key exists), its value checked as JSON before it is sent. */
export function DataCreatePage() {
  const [key, setKey] = useState('');
  const [text, setText] = useState('{}');
  const [ttl, setTtl] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    const parsed = parseJsonText(text);
    try {
      if (!parsed.ok) throw new Error(parsed.problem);
      const seconds = wholeNumber(ttl, 'Time to live', 1);
      const item = await createItem({ key, value: parsed.value as Item['value'], ...(seconds !== undefined ? { ttl: seconds } : {}) });
      navigate('data', 'item', item.key);
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <>
      <PageHeading title="New data item" />
      <form onSubmit={submit} class="form">
        <label for="new-item-key">Key</label>
        <input id="new-item-key" required maxLength={512} value={key} onInput={(event) => setKey(event.currentTarget.value)} />
        <label for="new-item-value">Value (JSON)</label>
        <textarea id="new-item-value" class="mono" rows={8} spellcheck={false} value={text} onInput={(event) => setText(event.currentTarget.value)} />
        <label for="new-item-ttl">Time to live (seconds, optional)</label>
        <input id="new-item-ttl" inputMode="numeric" value={ttl} onInput={(event) => setTtl(event.currentTarget.value)} />
        <ErrorNote error={error} />
        <div class="actions">
          <a class="button" href={href('data')}>
            Cancel
          </a>
          <button type="submit" class="primary">
            Create item
          </button>
        </div>
      </form>
    </>
  );
}
