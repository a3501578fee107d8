import { signal } from '@preact/signals';

/**
 * A secret just issued (created or rotated), held in memory only until the user dismisses it: a
 * reload, another page or "Done" and it is gone for good, as the API shows it only once.
 */
export const freshSecret = signal<{ keyId: string; value: string; rotated: boolean } | null>(null);
