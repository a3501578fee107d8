import { useState } from 'preact/hooks';
import { createUser } from '../api/keyward.js';
import type { User } from '../api/types.js';
import { ErrorNote } from '../components/error-note.js';

/** POST /users: a new user of the tenant, with a role. */
export function UserCreateForm({ onCreated }: { onCreated: (user: User) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<'member' | 'admin'>('member');
  const [fullName, setFullName] = useState('');
  const [email, setEmail] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      const user = await createUser({ username, password, role, ...(fullName ? { full_name: fullName } : {}), ...(email ? { email } : {}) });
      setUsername('');
      setPassword('');
      setFullName('');
      setEmail('');
      onCreated(user);
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <form onSubmit={submit} class="form" aria-labelledby="new-user-title">
      <h2 id="new-user-title">Add a user</h2>
      <label for="new-user-name">Username</label>
      <input id="new-user-name" required autocomplete="off" value={username} onInput={(event) => setUsername(event.currentTarget.value)} />
      <label for="new-user-password">Password</label>
      <input id="new-user-password" type="password" required autocomplete="new-password" value={password} onInput={(event) => setPassword(event.currentTarget.value)} />
      <label for="new-user-role">Role</label>
      <select id="new-user-role" value={role} onChange={(event) => setRole(event.currentTarget.value === 'admin' ? 'admin' : 'member')}>
        <option value="member">member</option>
        <option value="admin">admin</option>
      </select>
      <label for="new-user-full-name">Full name (optional)</label>
      <input id="new-user-full-name" value={fullName} onInput={(event) => setFullName(event.currentTarget.value)} />
      <label for="new-user-email">Email (optional)</label>
      <input id="new-user-email" type="email" value={email} onInput={(event) => setEmail(event.currentTarget.value)} />
      <ErrorNote error={error} />
      <button type="submit" class="primary">
        Add user
      </button>
    </form>
  );
}
