import { newLimitDraft, type LimitDraft } from '../pages/limits-draft.js';

interface RateLimitsFieldsetProps {
  /** Prefixes the fields' ids: two editors may share a page. */
  id: string;
  legend: string;
  limits: LimitDraft[];
  onChange: (limits: LimitDraft[]) => void;
}

/** Named rate limits, a group of fields each (name, max uses, window, algorithm, auto-apply), added and removed by button. */
export function RateLimitsFieldset({ id, legend, limits, onChange }: RateLimitsFieldsetProps) {
  const update = (row: number, change: Partial<LimitDraft>) => onChange(limits.map((limit) => (limit.row === row ? { ...limit, ...change } : limit)));
  return (
    <fieldset>
      <legend>{legend}</legend>
      <p class="muted">
        Each limit allows at most its max uses in any window. An auto-applied limit counts every use; another counts only verifications that name it. Log is exact (up to
        100,000 uses and a day); counter takes any size, approximately.
      </p>
      {limits.map((limit, index) => {
        const field = `${id}-${limit.row}`;
        return (
          <fieldset class="limit-row" key={limit.row}>
            <legend>Limit {index + 1}</legend>
            <div class="pair">
              <div>
                <label for={`${field}-name`}>Limit name</label>
                <input id={`${field}-name`} required maxLength={32} autocomplete="off" value={limit.name} onInput={(event) => update(limit.row, { name: event.currentTarget.value })} />
              </div>
              <div>
                <label for={`${field}-limit`}>Max uses</label>
                <input id={`${field}-limit`} inputMode="numeric" required value={limit.limit} onInput={(event) => update(limit.row, { limit: event.currentTarget.value })} />
              </div>
              <div>
                <label for={`${field}-window`}>Window (s)</label>
                <input id={`${field}-window`} inputMode="numeric" required value={limit.window} onInput={(event) => update(limit.row, { window: event.currentTarget.value })} />
              </div>
              <div>
                <label for={`${field}-algorithm`}>Algorithm</label>
                <select id={`${field}-algorithm`} value={limit.algorithm} onChange={(event) => update(limit.row, { algorithm: event.currentTarget.value === 'counter' ? 'counter' : 'log' })}>
                  <option value="log">log (exact)</option>
                  <option value="counter">counter (large limits)</option>
                </select>
              </div>
            </div>
            <label class="check">
              <input type="checkbox" checked={limit.autoApply} onChange={(event) => update(limit.row, { autoApply: event.currentTarget.checked })} /> Apply to every use
            </label>
            <button type="button" aria-label={`Remove limit ${index + 1}${limit.name ? ` (${limit.name})` : ''}`} onClick={() => onChange(limits.filter((other) => other.row !== limit.row))}>
              Remove
            </button>
          </fieldset>
        );
      })}
      <button type="button" onClick={() => onChange([...limits, newLimitDraft()])}>
        Add a rate limit
      </button>
    </fieldset>
  );
}
