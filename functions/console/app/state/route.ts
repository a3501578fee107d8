import { signal } from '@preact/signals';

/** The page shown, from the location's hash (`#/keys/key_...`): the server serves one page for all. */
export const route = signal(currentRoute());

function currentRoute(): string[] {
  const path = location.hash.replace(/^#\/?/, '');
  return path === '' ? ['keys'] : path.split('/').map((part) => decodeURIComponent(part));
}

addEventListener('hashchange', () => {
  route.value = currentRoute();
});

/** Goes to a page: `navigate('keys', keyId)`. */
export function navigate(...parts: string[]): void {
  location.hash = `#/${parts.map((part) => encodeURIComponent(part)).join('/')}`;
}

export function href(...parts: string[]): string {
  return `#/${parts.map((part) => encodeURIComponent(part)).join('/')}`;
}
