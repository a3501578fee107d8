import { useState } from 'preact/hooks';
import { ErrorNote } from '../components/error-note.js';
import { PageHeading } from '../components/page-heading.js';
import { logIn, loginNotice } from '../state/session.js';

/** POST /token with the user's name and password; the token is kept for this tab only. */
export function LoginPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await logIn(username, password);
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <PageHeading title="Log in to keyward" />
      {loginNotice.value ? (
        <p class="notice" role="status">
          {loginNotice.value}
        </p>
      ) : null}
      <form onSubmit={submit}>
        <label for="login-username">Username</label>
        <input id="login-username" name="username" autocomplete="username" required value={username} onInput={(event) => setUsername(event.currentTarget.value)} />
        <label for="login-password">Password</label>
        <input id="login-password" name="password" type="password" autocomplete="current-password" required value={password} onInput={(event) => setPassword(event.currentTarget.value)} />
        <ErrorNote error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Log in
        </button>
      </form>
    </main>
  );
}
