import { useState } from 'preact/hooks';

/** A secret shown this once, with a copy button and the warning that it will not be shown again. */
export function SecretOnce({ value, rotated, onDone }: { value: string; rotated: boolean; onDone: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('The browser refused the clipboard: select the key and copy it yourself.');
    }
  };
  return (
    <section class="secret" aria-labelledby="secret-title">
      <h2 id="secret-title">{rotated ? 'The new secret of this key' : 'Your new API key'}</h2>
      <p class="warning">
        <strong>Copy it now: it will not be shown again.</strong> keyward stores only a hash of it.
        {rotated ? ' The old secret keeps working until its grace period ends.' : ''}
      </p>
      <label for="secret-value">API key</label>
      <div class="secret-row">
        <input id="secret-value" class="mono" readOnly value={value} onFocus={(event) => event.currentTarget.select()} />
        <button type="button" onClick={copy}>
          Copy
        </button>
      </div>
      <p role="status">{copied}</p>
      <button type="button" class="primary" onClick={onDone}>
        I have copied it
      </button>
    </section>
  );
}
