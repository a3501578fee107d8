import { useState } from 'preact/hooks';
import { deleteUser, listUsers, updateUser } from '../api/keyward.js';
import type { User, UserChange } from '../api/types.js';
import { ConfirmButton } from '../components/confirm-button.js';
import { ErrorNote } from '../components/error-note.js';
import { PageHeading } from '../components/page-heading.js';
import { TableRegion } from '../components/table-region.js';
import { usePagedList } from '../components/use-paged-list.js';
import { formatTime } from '../format.js';
import { may, session } from '../state/session.js';
import { UserCreateForm } from './user-create-form.js';

/** Tenant admins: GET /users, and per user PATCH (role, disabled) and DELETE; the service refuses changes to oneself. */
export function UsersPage() {
  const [error, setError] = useState<unknown>(null);
  const list = usePagedList((cursor) => listUsers(cursor), [], (user: User) => user.username);
  const users = list.items;
  const replace = (user: User) => list.update((all) => all.map((one) => (one.username === user.username ? user : one)));
  const change = async (username: string, patch: UserChange) => {
    setError(null);
    try {
      replace(await updateUser(username, patch));
    } catch (caught) {
      setError(caught);
    }
  };
  const me = session.value?.user.username;
  return (
    <>
      <PageHeading title="Users" />
      <ErrorNote error={list.error} />
      <ErrorNote error={error} />
      {list.loading ? <p role="status">Loading…</p> : null}
      <TableRegion label="Users">
        <table>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr key={user.username}>
                <td>{user.username}</td>
                <td>{user.role}</td>
                <td>{user.disabled ? 'disabled' : 'active'}</td>
                <td>{[user.full_name, user.email].filter(Boolean).join(', ') || '—'}</td>
                <td>{formatTime(user.created_at)}</td>
                <td class="row-actions">
                  {user.username === me ? (
                    <span class="muted">you</span>
                  ) : (
                    <>
                      {may('updateUser', { before: user.role, after: user.role === 'admin' ? 'member' : 'admin' }) ? (
                        <button type="button" aria-label={`${user.role === 'admin' ? 'Make member' : 'Make admin'}: ${user.username}`} onClick={() => change(user.username, { role: user.role === 'admin' ? 'member' : 'admin' })}>
                          {user.role === 'admin' ? 'Make member' : 'Make admin'}
                        </button>
                      ) : null}
                      {may('updateUser', { before: user.role, after: user.role }) ? (
                        <button type="button" aria-label={`${user.disabled ? 'Enable' : 'Disable'} ${user.username}`} onClick={() => change(user.username, { disabled: !user.disabled })}>
                          {user.disabled ? 'Enable' : 'Disable'}
                        </button>
                      ) : null}
                      {may('deleteUser', { before: user.role }) ? (
                        <ConfirmButton
                          label={`Delete ${user.username}`}
                          question={`Delete the user ${user.username}? Their tokens stop working at once. This cannot be undone.`}
                          confirmLabel="Delete"
                          onConfirm={async () => {
                            await deleteUser(user.username);
                            list.update((all) => all.filter((one) => one.username !== user.username));
                          }}
                        />
                      ) : null}
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
      <ErrorNote error={list.moreError} />
      {list.more ? (
        <button type="button" onClick={list.loadMore}>
          Load more
        </button>
      ) : null}
      {may('createUser', { after: 'member' }) ? <UserCreateForm onCreated={(user) => list.update((all) => [...all, user])} /> : null}
    </>
  );
}
