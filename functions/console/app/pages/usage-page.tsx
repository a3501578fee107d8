import { PageHeading } from '../components/page-heading.js';

/**
 * The place for usage charts (SPEC §13, §14). The usage API (GET /usage, GET /api-keys/{id}/usage)
 * arrives with identities; this page will call it then, per key and per identity.
 */
export function UsagePage() {
  return (
    <>
      <PageHeading title="Usage" />
      <p>Usage charts arrive with identities and usage: verifications per key and per identity, by hour and by day, and the credits spent.</p>
      <p class="muted">Until then, a key's page shows when it was last used and the quota it has left.</p>
    </>
  );
}
