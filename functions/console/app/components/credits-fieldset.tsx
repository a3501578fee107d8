import type { CreditsDraft } from '../pages/limits-draft.js';

/** Credits: what is left, and an optional refill each day or month (blank: no credits, nothing is counted down). */
export function CreditsFieldset({ id, credits, onChange }: { id: string; credits: CreditsDraft; onChange: (credits: CreditsDraft) => void }) {
  const update = (change: Partial<CreditsDraft>) => onChange({ ...credits, ...change });
  return (
    <fieldset>
      <legend>Credits (optional)</legend>
      <label for={`${id}-remaining`}>Credits remaining (blank: none)</label>
      <input id={`${id}-remaining`} inputMode="numeric" value={credits.remaining} onInput={(event) => update({ remaining: event.currentTarget.value })} />
      <div class="pair">
        <div>
          <label for={`${id}-refill-interval`}>Refill</label>
          <select id={`${id}-refill-interval`} value={credits.refillInterval} onChange={(event) => update({ refillInterval: event.currentTarget.value === 'daily' ? 'daily' : event.currentTarget.value === 'monthly' ? 'monthly' : '' })}>
            <option value="">Never</option>
            <option value="daily">Daily</option>
            <option value="monthly">Monthly</option>
          </select>
        </div>
        <div>
          <label for={`${id}-refill-amount`}>Refill to</label>
          <input id={`${id}-refill-amount`} inputMode="numeric" value={credits.refillAmount} onInput={(event) => update({ refillAmount: event.currentTarget.value })} />
        </div>
      </div>
    </fieldset>
  );
}
