import { useEffect, useState } from 'preact/hooks';
import { browserName, dateTime } from '../shared/format.js';
import { explain, type DeviceRow, type TesseraApi } from '../shared/tessera-api.js';
import type { Confirm } from './reauth.js';

interface User {
  id: string;
  username: string;
  role: string;
  email: string | null;
  /** Whether Tessera mails the address: set by an operator, or confirmed by the user. */
  email_verified: boolean;
  created_at: string;
  disabled_at: string | null;
}

type Device = DeviceRow;

type Say = (ok: boolean, text: string) => void;

/** Users: search, create, disable and enable, change role, reset password, unlock, devices. */
export function UsersPanel({ api, confirm }: { api: TesseraApi; confirm: Confirm }) {
  const [users, setUsers] = useState<User[] | undefined>();
  const [query, setQuery] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const say: Say = (ok, text) => setMessage({ ok, text });
  const load = async (username = query) => {
    const path = username ? `/admin/users?username=${encodeURIComponent(username)}` : '/admin/users?limit=100';
    setUsers((await api.call<User[]>('GET', path)).data);
  };
  useEffect(() => void load().catch((error: unknown) => say(false, explain(error))), []);

  const search = (event: Event) => {
    event.preventDefault();
    const username = String(new FormData(event.currentTarget as HTMLFormElement).get('q')).trim();
    setQuery(username);
    load(username).catch((error: unknown) => say(false, explain(error)));
  };
  const create = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const fields = new FormData(form);
    try {
      const { data } = await api.call<User>('POST', '/admin/users', {
        username: String(fields.get('username')),
        password: String(fields.get('password')),
        role: String(fields.get('role')),
        email: String(fields.get('email')).trim() || null,
      });
      form.reset();
      say(true, `Created ${data.username}.`);
      await load();
    } catch (error) {
      say(false, explain(error));
    }
  };

  return (
    <>
      <section class="card" aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        <form class="row" role="search" onSubmit={search}>
          <label>
            Find a user by name
            <input name="q" type="search" defaultValue={query} />
          </label>
          <button type="submit">Search</button>
        </form>
        {message && (
          <p class={message.ok ? 'success' : 'error'} role={message.ok ? 'status' : 'alert'}>
            {message.text}
          </p>
        )}
        {users === undefined ? (
          <p aria-busy="true">Loading…</p>
        ) : users.length === 0 ? (
          <p>No user found.</p>
        ) : (
          <ul class="devices">
            {users.map((user) => (
              <UserRow key={user.id} api={api} user={user} confirm={confirm} say={say} reload={() => load()} />
            ))}
          </ul>
        )}
      </section>
      <form class="card" onSubmit={create} aria-labelledby="create-title">
        <h2 id="create-title">Create a user</h2>
        <div class="row">
          <label>
            Username
            <input name="username" required autocomplete="off" />
          </label>
          <label>
            Password
            <input name="password" type="password" required minLength={8} autocomplete="new-password" />
          </label>
          <label>
            Email (optional)
            <input name="email" type="email" autocomplete="off" />
          </label>
          <label>
            Role
            <select name="role">
              <option value="user">user</option>
              <option value="admin">admin</option>
            </select>
          </label>
          <button type="submit">Create user</button>
        </div>
      </form>
    </>
  );
}

function UserRow({ api, user, confirm, say, reload }: { api: TesseraApi; user: User; confirm: Confirm; say: Say; reload: () => Promise<void> }) {
  const [devices, setDevices] = useState<Device[] | undefined>();
  const act = async (work: () => Promise<string>) => {
    try {
      say(true, await work());
      await reload();
    } catch (error) {
      say(false, explain(error));
    }
  };
  const path = `/admin/users/${encodeURIComponent(user.id)}`;
  const loadDevices = async () => setDevices((await api.call<Device[]>('GET', `${path}/families`)).data);

  const toggle = () =>
    act(async () => {
      const disabling = user.disabled_at === null;
      if (disabling && !(await confirm(`Disable ${user.username}: every device and token of theirs ends now.`))) return 'Nothing changed.';
      await api.call('PATCH', path, { disabled: disabling });
      return `${user.username} is ${disabling ? 'disabled and signed out everywhere' : 'enabled'}.`;
    });
  const changeRole = (event: Event) =>
    act(async () => {
      const role = (event.currentTarget as HTMLSelectElement).value;
      if (!(await confirm(`Make ${user.username} ${role === 'admin' ? 'an admin' : `a ${role}`}.`))) return 'Nothing changed.';
      await api.call('PATCH', path, { role });
      return `${user.username} is now ${role}.`;
    });
  const resetPassword = () =>
    act(async () => {
      const password = window.prompt(`New password for ${user.username} (at least 8 characters)`);
      if (!password) return 'Nothing changed.';
      if (!(await confirm(`Reset the password of ${user.username}: they are signed out everywhere.`))) return 'Nothing changed.';
      await api.call('POST', `${path}/password`, { password });
      return `New password set for ${user.username}; they are signed out everywhere.`;
    });
  const changeEmail = () =>
    act(async () => {
      const entered = window.prompt(`Email address of ${user.username} (empty to remove it)`, user.email ?? '');
      if (entered === null) return 'Nothing changed.';
      const { data } = await api.call<User>('PATCH', path, { email: entered.trim() || null });
      return data.email === null ? `${user.username} has no email address.` : `${user.username}'s email is now ${data.email}.`;
    });
  const unlock = () =>
    act(async () => {
      await api.call('DELETE', `${path}/login-throttle`);
      return `${user.username} can sign in again from every address.`;
    });
  const signOut = (device?: Device) =>
    act(async () => {
      if (!(await confirm(device ? `Sign out ${browserName(device.user_agent)} of ${user.username}.` : `Sign ${user.username} out everywhere.`))) return 'Nothing changed.';
      await api.call('DELETE', device ? `${path}/families/${encodeURIComponent(device.id)}` : `${path}/families`);
      await loadDevices();
      return device ? 'Device signed out.' : `${user.username} is signed out everywhere.`;
    });

  return (
    <li>
      <div>
        <strong>{user.username}</strong> <span class="tag">{user.role}</span>
        {user.disabled_at && <span class="tag">disabled</span>}
        <div class="muted">
          {user.email ?? 'no email'}
          {user.email !== null && !user.email_verified && ' (unconfirmed by the user: not mailed)'} · created {dateTime(user.created_at)}
        </div>
        {devices && (
          <ul>
            {devices.length === 0 && <li>No signed-in device.</li>}
            {devices.map((d) => (
              <li key={d.id}>
                {browserName(d.user_agent)} · {d.ip ?? 'unknown IP'} · last used {dateTime(d.last_used_at)}{' '}
                <button type="button" class="secondary" onClick={() => signOut(d)}>
                  Sign out
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      <div class="actions">
        <label class="inline">
          Role
          <select value={user.role} onChange={changeRole} aria-label={`Role of ${user.username}`}>
            <option value="user">user</option>
            <option value="admin">admin</option>
            {!['user', 'admin'].includes(user.role) && <option value={user.role}>{user.role}</option>}
          </select>
        </label>
        <button type="button" class={user.disabled_at ? 'secondary' : 'danger'} onClick={toggle} aria-label={`${user.disabled_at ? 'Enable' : 'Disable'} ${user.username}`}>
          {user.disabled_at ? 'Enable' : 'Disable'}
        </button>
        <button type="button" class="secondary" onClick={resetPassword} aria-label={`Reset password of ${user.username}`}>
          Reset password
        </button>
        <button type="button" class="secondary" onClick={changeEmail} aria-label={`Email of ${user.username}`}>
          Email
        </button>
        <button type="button" class="secondary" onClick={unlock} aria-label={`Unlock ${user.username}`}>
          Unlock
        </button>
        <button type="button" class="secondary" onClick={() => loadDevices().catch((e: unknown) => say(false, explain(e)))} aria-label={`Devices of ${user.username}`}>
          Devices
        </button>
        <button type="button" class="secondary" onClick={() => signOut()} aria-label={`Sign ${user.username} out everywhere`}>
          Sign out everywhere
        </button>
      </div>
    </li>
  );
}
