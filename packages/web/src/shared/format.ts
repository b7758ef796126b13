/** How the pages show times and clients. */

export const dateTime = (iso: string): string =>
  new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export const date = (value: string | number | Date): string => new Date(value).toLocaleDateString(undefined, { dateStyle: 'long' });

/** A short name for a User-Agent: the browser and the system, or the client's own name. */
export function browserName(userAgent: string | null): string {
  if (!userAgent) return 'Unknown client';
  const browser = /(Edg|Firefox|Chrome|Safari)\/[\d.]+/.exec(userAgent);
  const system = /(Windows|Android|iPhone|iPad|Mac OS X|Linux)/.exec(userAgent);
  if (browser) {
    const name = { Edg: 'Edge', Firefox: 'Firefox', Chrome: 'Chrome', Safari: 'Safari' }[browser[1] as 'Edg'];
    return system ? `${name} on ${system[1] === 'Mac OS X' ? 'macOS' : system[1]}` : name;
  }
  return userAgent.length > 40 ? `${userAgent.slice(0, 40)}…` : userAgent;
}
