/** A timestamp as the user's locale shows it, in UTC as the API gives it (so it matches the audit trail). */
export function formatTime(iso: string | null): string {
  if (!iso) return 'never';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Seconds as "1 h 30 min", "45 s". */
export function formatSeconds(seconds: number): string {
  const parts: string[] = [];
  const units: [string, number][] = [['d', 86_400], ['h', 3600], ['min', 60], ['s', 1]];
  let left = seconds;
  for (const [unit, size] of units) {
    const count = Math.floor(left / size);
    if (count > 0) parts.push(`${count} ${unit}`);
    left -= count * size;
    if (parts.length === 2) break;
  }
  return parts.length > 0 ? parts.join(' ') : '0 s';
}

/** A whole number typed in a field, or undefined when blank; throws a sentence for anything else. */
export function wholeNumber(text: string, label: string, min = 0): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (!/^\d+$/.test(trimmed) || Number(trimmed) < min) throw new Error(`${label}: a whole number of at least ${min}`);
  return Number(trimmed);
}

/** A `datetime-local` field's value (the user's local time) as ISO 8601 UTC, or undefined when blank. */
export function localToIso(value: string): string | undefined {
  if (value === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Credits (a key's quota, an identity's credits) in words: what is left and how they refill. */
export function formatCredits(credits: { remaining: number; refill: { amount: number; interval: string } | null } | null): string {
  if (!credits) return 'none';
  return `${credits.remaining.toLocaleString('en')} left${credits.refill ? `, refilled ${credits.refill.interval} to ${credits.refill.amount.toLocaleString('en')}` : ''}`;
}
