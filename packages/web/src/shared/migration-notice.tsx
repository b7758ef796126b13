import { date } from './format.js';

/** The migration banner as the account page shows it (the web component draws the same for other apps). */
export function MigrationNotice({ sunset, guide, onSwitch, busy }: { sunset: string | null; guide: string | null; onSwitch?: () => void; busy?: boolean }) {
  return (
    <section class="banner" role="status" aria-label="Sign-in change">
      <p>
        <strong>Your sign-in is changing.</strong> You are signed in with a session{sunset ? <> that stops working on <time dateTime={new Date(sunset).toISOString()}>{date(sunset)}</time></> : null}.
        {guide ? <> <a href={guide}>What changes</a></> : null}
      </p>
      {onSwitch && (
        <button type="button" onClick={onSwitch} disabled={busy}>
          Switch now
        </button>
      )}
    </section>
  );
}
