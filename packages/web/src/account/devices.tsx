import { useEffect, useState } from 'preact/hooks';
import { browserName, dateTime } from '../shared/format.js';
import { explain, notSignedOut, type DeviceRow, type TesseraApi } from '../shared/tessera-api.js';
import { ErrorAlert } from '../shared/error-alert.js';

/** A sign-in as /api/me/devices lists it: the console's device row, plus whether it is this one. */
interface Device extends DeviceRow {
  current: boolean;
}

/** "Your devices": one row per sign-in, this one marked; sign out one, or everywhere. */
export function Devices({ api, onSignedOut }: { api: TesseraApi; onSignedOut: (notice?: string) => void }) {
  const [devices, setDevices] = useState<Device[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const load = () =>
    api.call<Device[]>('GET', '/api/me/devices').then(
      ({ data }) => setDevices(data),
      (failure: unknown) => setError(explain(failure)),
    );
  useEffect(() => void load(), []);

  const signOut = async (device: Device) => {
    if (device.current) {
      try {
        await api.logout();
      } catch (failure) {
        return setError(notSignedOut(failure));
      }
      return onSignedOut('You are signed out on this device.');
    }
    try {
      await api.call('DELETE', `/api/me/devices/${encodeURIComponent(device.id)}`);
      await load();
    } catch (failure) {
      setError(explain(failure));
    }
  };
  const signOutEverywhere = async () => {
    try {
      await api.call('DELETE', '/api/me/devices');
      onSignedOut('You are signed out everywhere, this device included.');
    } catch (failure) {
      setError(explain(failure));
    }
  };

  return (
    <section class="card" aria-labelledby="devices-title">
      <h2 id="devices-title">Your devices</h2>
      <ErrorAlert message={error} />
      {devices === undefined ? (
        <p aria-busy="true">Loading…</p>
      ) : (
        <ul class="devices">
          {devices.map((device) => (
            <li key={device.id} class={device.current ? 'current' : undefined}>
              <div>
                <strong>{browserName(device.user_agent)}</strong>
                {device.current && <span class="tag">This device</span>}
                <dl>
                  <dt>Signed in</dt>
                  <dd>{dateTime(device.created_at)}</dd>
                  <dt>Last used</dt>
                  <dd>{dateTime(device.last_used_at)}</dd>
                  <dt>IP address</dt>
                  <dd>{device.ip ?? 'unknown'}</dd>
                </dl>
              </div>
              <button type="button" class="secondary" onClick={() => signOut(device)} aria-label={`Sign out ${browserName(device.user_agent)}${device.current ? ' (this device)' : ''}`}>
                Sign out
              </button>
            </li>
          ))}
        </ul>
      )}
      <button type="button" class="danger" onClick={signOutEverywhere}>
        Sign out everywhere
      </button>
    </section>
  );
}
