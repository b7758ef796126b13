/**
 * <tessera-migration-banner>: a drop-in for a team's own pages. It asks the API who the page's user is
 * (GET /api/me with the page's cookies); when the answer says they are on a legacy session, it shows
 * when sessions end (the `Sunset` header) and links the migration guide (the `Link: rel="deprecation"`
 * header). Nothing shows for a JWT user, a signed-out visitor, or when the API cannot be reached.
 *
 *   <script type="module" src="https://auth.example.com/ui/migration-banner.js"></script>
 *   <tessera-migration-banner></tessera-migration-banner>
 *
 * Attributes: `me-url` (default `/api/me`, the page's own origin), `guide-url` (overrides the header's
 * link), `exchange-url` (shows a "Switch now" button that POSTs there — /auth/session/exchange on
 * Tessera's origin — asking for the refresh token in Tessera's HttpOnly cookie only, then fires
 * `tessera-migrated` with the access token and its lifetime: the event bubbles to every listener on the
 * page, so it never carries a refresh token). Styling: CSS custom
 * properties `--tessera-banner-background`, `-color`, `-border`, `-accent`, and the parts
 * `banner`, `message`, `link`, `button`.
 */

const STYLE = `
  :host { display: block; }
  :host([hidden]), [hidden] { display: none !important; }
  [part='banner'] {
    display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: center; justify-content: space-between;
    padding: 0.75rem 1rem; border-radius: 8px; font: inherit;
    background: var(--tessera-banner-background, #fff4d6);
    color: var(--tessera-banner-color, #1b1f24);
    border: 1px solid var(--tessera-banner-border, #e0b44a);
  }
  [part='message'] { margin: 0; }
  [part='link'] { color: var(--tessera-banner-accent, #2453c7); }
  [part='button'] {
    font: inherit; padding: 0.4rem 0.9rem; border-radius: 6px; cursor: pointer;
    border: 1px solid var(--tessera-banner-accent, #2453c7);
    background: var(--tessera-banner-accent, #2453c7); color: #fff;
  }
  [part='button']:focus-visible, [part='link']:focus-visible { outline: 3px solid var(--tessera-banner-accent, #2453c7); outline-offset: 2px; }
`;

const TEMPLATE = `
<div part="banner" role="status" hidden>
  <p part="message"><strong>Your sign-in is changing.</strong> <span class="when"></span> <a part="link" hidden>How to switch</a></p>
  <button part="button" type="button" hidden>Switch now</button>
</div>`;

export class TesseraMigrationBanner extends HTMLElement {
  static readonly observedAttributes = ['me-url', 'guide-url', 'exchange-url'];
  private readonly root: ShadowRoot;

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    // A constructed style sheet, not a <style> element: pages whose CSP forbids inline styles still style it.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLE);
    this.root.adoptedStyleSheets = [sheet];
    this.root.innerHTML = TEMPLATE;
    this.shadowPart('button').addEventListener('click', () => void this.switchNow());
  }

  connectedCallback(): void {
    void this.refresh();
  }

  /** Asks the API again (e.g. after the page's user signed in or out). */
  async refresh(): Promise<void> {
    const answer = await fetch(this.getAttribute('me-url') ?? '/api/me', { credentials: 'include', headers: { accept: 'application/json' } }).catch(
      () => undefined,
    );
    const me = answer?.ok ? ((await answer.json().catch(() => undefined)) as { auth?: string } | undefined) : undefined;
    if (!answer || me?.auth !== 'session') return this.show(false);
    this.describe(answer.headers.get('sunset'), this.getAttribute('guide-url') ?? deprecationLink(answer.headers.get('link')));
    this.show(true);
  }

  private describe(sunset: string | null, guide: string | null): void {
    const when = this.root.querySelector('.when')!;
    const ends = sunset === null ? Number.NaN : Date.parse(sunset);
    when.textContent = Number.isNaN(ends)
      ? 'Session sign-in is being retired.'
      : `Session sign-in stops working on ${new Date(ends).toLocaleDateString(undefined, { dateStyle: 'long' })}.`;
    const link = this.shadowPart('link') as HTMLAnchorElement;
    link.hidden = guide === null;
    if (guide !== null) link.href = guide;
    this.shadowPart('button').hidden = !this.hasAttribute('exchange-url');
  }

  private async switchNow(): Promise<void> {
    const url = this.getAttribute('exchange-url');
    if (!url) return;
    const answer = await fetch(url, {
      method: 'POST',
      credentials: 'include',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token_delivery: 'cookie' }),
    }).catch(() => undefined);
    const body = answer ? await answer.json().catch(() => undefined) : undefined;
    if (answer?.ok) {
      this.show(false);
      const { access_token, token_type, expires_in } = body ?? {};
      this.dispatchEvent(new CustomEvent('tessera-migrated', { detail: { access_token, token_type, expires_in }, bubbles: true, composed: true }));
    } else {
      this.dispatchEvent(new CustomEvent('tessera-migration-failed', { detail: body ?? { error: 'unreachable' }, bubbles: true, composed: true }));
    }
  }

  private show(visible: boolean): void {
    this.shadowPart('banner').hidden = !visible;
  }

  private shadowPart(name: string): HTMLElement {
    return this.root.querySelector(`[part='${name}']`)!;
  }
}

/** The target of `Link: <…>; rel="deprecation"`, if any. */
function deprecationLink(header: string | null): string | null {
  return /<([^>]+)>\s*;\s*rel="?deprecation"?/.exec(header ?? '')?.[1] ?? null;
}

if (!customElements.get('tessera-migration-banner')) customElements.define('tessera-migration-banner', TesseraMigrationBanner);
