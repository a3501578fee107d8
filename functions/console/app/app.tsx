import { useEffect, useState } from 'preact/hooks';
import { ErrorNote } from './components/error-note.js';
import { AuditPage } from './pages/audit-page.js';
import { DataCreatePage } from './pages/data-create-page.js';
import { DataItemPage } from './pages/data-item-page.js';
import { DataPage } from './pages/data-page.js';
import { IdentitiesPage } from './pages/identities-page.js';
import { IdentityCreatePage } from './pages/identity-create-page.js';
import { IdentityDetailPage } from './pages/identity-detail-page.js';
import { IdentityEditPage } from './pages/identity-edit-page.js';
import { KeyCreatePage } from './pages/key-create-page.js';
import { KeyDetailPage } from './pages/key-detail-page.js';
import { KeysPage } from './pages/keys-page.js';
import { LoginPage } from './pages/login-page.js';
import { UsagePage } from './pages/usage-page.js';
import { UsersPage } from './pages/users-page.js';
import { VerifyPage } from './pages/verify-page.js';
import { freshSecret } from './state/fresh-secret.js';
import { href, route } from './state/route.js';
import { logOut, may, session } from './state/session.js';
import type { RouteId } from '../../../shared/routes.js';

interface Section {
  path: string;
  label: string;
  /** The route that lists the section: the section is offered only if the policy lets the user call it. */
  needs: RouteId;
}

const sections: Section[] = [
  { path: 'keys', label: 'API keys', needs: 'listApiKeys' },
  { path: 'identities', label: 'Identities', needs: 'listIdentities' },
  { path: 'verify', label: 'Verify', needs: 'verifyApiKey' },
  { path: 'data', label: 'Data', needs: 'listItems' },
  { path: 'users', label: 'Users', needs: 'listUsers' },
  { path: 'audit', label: 'Audit log', needs: 'listAuditLogs' },
  { path: 'usage', label: 'Usage', needs: 'getUsage' },
];

function NotOffered() {
  return <p>This page is not available to your account.</p>;
}

/**
 * The page for the location's hash, if the user may see it. A page of one item is keyed by the item:
 * going from one to another starts it afresh (no edit, answer or error of the previous one stays).
 */
function Page({ parts }: { parts: string[] }) {
  const [section = 'keys', first, second] = parts;
  const allowed = sections.find((candidate) => candidate.path === section);
  if (!allowed) return <p>There is no such page. <a href={href('keys')}>Go to API keys</a>.</p>;
  if (!may(allowed.needs)) return <NotOffered />;
  if (section === 'keys' && first === 'new') return may('createApiKey') ? <KeyCreatePage identityId={second} /> : <NotOffered />;
  if (section === 'keys' && first) return <KeyDetailPage key={first} keyId={first} />;
  if (section === 'keys') return <KeysPage />;
  if (section === 'identities' && first === 'new') return may('createIdentity') ? <IdentityCreatePage /> : <NotOffered />;
  if (section === 'identities' && first && second === 'edit') return may('updateIdentity') ? <IdentityEditPage key={first} identityId={first} /> : <NotOffered />;
  if (section === 'identities' && first) return <IdentityDetailPage key={first} identityId={first} />;
  if (section === 'identities') return <IdentitiesPage />;
  if (section === 'verify') return <VerifyPage />;
  if (section === 'data' && first === 'new') return may('createItem') ? <DataCreatePage /> : <NotOffered />;
  if (section === 'data' && first === 'item' && second !== undefined) return <DataItemPage key={second} itemKey={second} />;
  if (section === 'data') return <DataPage />;
  if (section === 'users') return <UsersPage />;
  if (section === 'audit') return <AuditPage />;
  if (first === 'key' && second) return may('getApiKeyUsage') ? <UsagePage owner={{ kind: 'key', id: second }} /> : <NotOffered />;
  if (first === 'identity' && second) return may('getIdentityUsage') ? <UsagePage owner={{ kind: 'identity', id: second }} /> : <NotOffered />;
  return <UsagePage owner={{ kind: 'tenant' }} />;
}

function Shell({ parts }: { parts: string[] }) {
  const [error, setError] = useState<unknown>(null);
  const user = session.value?.user;
  const current = parts[0] ?? 'keys';
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">keyward</span>
        <nav aria-label="Main">
          <ul>
            {sections
              .filter((section) => may(section.needs))
              .map((section) => (
                <li key={section.path}>
                  <a href={href(section.path)} aria-current={current === section.path ? 'page' : undefined}>
                    {section.label}
                  </a>
                </li>
              ))}
          </ul>
        </nav>
        <div class="who">
          <span>
            {user?.username} ({user?.role}, tenant {user?.tenant_id})
          </span>
          <button
            type="button"
            onClick={() => {
              setError(null);
              logOut().catch(setError);
            }}
          >
            Log out
          </button>
        </div>
      </header>
      <ErrorNote error={error} />
      <main id="main">
        <Page parts={parts} />
      </main>
    </>
  );
}

export function App() {
  const parts = route.value;
  // A secret just issued is dropped as soon as the user leaves its key's page.
  useEffect(() => {
    if (freshSecret.value && (parts[0] !== 'keys' || parts[1] !== freshSecret.value.keyId)) freshSecret.value = null;
  }, [parts]);
  return session.value ? <Shell parts={parts} /> : <LoginPage />;
}
