import type { Identity, NamedRateLimit, NewIdentity } from '../api/types.js';
import { wholeNumber } from '../format.js';

/** A named rate limit as typed in the form: text until it is sent. */
export interface LimitDraft {
  /** Stable across removals, for Preact's keys and the fields' ids. */
  row: number;
  name: string;
  limit: string;
  window: string;
  autoApply: boolean;
  algorithm: 'log' | 'counter';
}

export type Credits = NonNullable<NewIdentity['credits']>;

/** Credits as typed: blank `remaining` means none. */
export interface CreditsDraft {
  remaining: string;
  refillInterval: '' | 'daily' | 'monthly';
  refillAmount: string;
}

let rows = 0;

export function newLimitDraft(): LimitDraft {
  rows += 1;
  return { row: rows, name: '', limit: '', window: '60', autoApply: true, algorithm: 'log' };
}

export function limitDrafts(limits: Identity['ratelimits']): LimitDraft[] {
  return limits.map((limit) => ({ ...newLimitDraft(), name: limit.name, limit: String(limit.limit), window: String(limit.window_s), autoApply: limit.auto_apply, algorithm: limit.algorithm }));
}

/** The rows as the API takes them; throws a sentence naming the row for what the page can tell (the service checks the rest). */
export function toRateLimits(drafts: LimitDraft[]): NamedRateLimit[] {
  return drafts.map((draft, index) => {
    const which = `Rate limit ${index + 1}`;
    const name = draft.name.trim();
    if (name === '') throw new Error(`${which}: give it a name`);
    const limit = wholeNumber(draft.limit, `${which}, max uses`, 1);
    const windowS = wholeNumber(draft.window, `${which}, window`, 1);
    if (limit === undefined || windowS === undefined) throw new Error(`${which}: give its max uses and window`);
    return { name, limit, window_s: windowS, auto_apply: draft.autoApply, algorithm: draft.algorithm };
  });
}

export const noCredits: CreditsDraft = { remaining: '', refillInterval: '', refillAmount: '' };

export function creditsDraft(credits: Identity['credits']): CreditsDraft {
  if (!credits) return noCredits;
  return { remaining: String(credits.remaining), refillInterval: credits.refill?.interval ?? '', refillAmount: credits.refill ? String(credits.refill.amount) : '' };
}

/** Credits as the API takes them, or undefined when none are given. */
export function toCredits(draft: CreditsDraft): Credits | undefined {
  const remaining = wholeNumber(draft.remaining, 'Credits remaining', 0);
  if (remaining === undefined) return undefined;
  if (!draft.refillInterval) return { remaining };
  const amount = wholeNumber(draft.refillAmount, 'Refill to', 1);
  if (amount === undefined) throw new Error('Refill to: give the credits each refill restores');
  return { remaining, refill: { amount, interval: draft.refillInterval } };
}

/** A meta field's text as a JSON object; throws a sentence otherwise. */
export function parseMeta(text: string): Record<string, NonNullable<NewIdentity['meta']>[string]> {
  let meta: unknown;
  try {
    meta = JSON.parse(text || '{}');
  } catch {
    throw new Error('Meta: not valid JSON');
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new Error('Meta: a JSON object, e.g. {"plan": "pro"}');
  return meta as Record<string, NonNullable<NewIdentity['meta']>[string]>;
}
