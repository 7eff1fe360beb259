/**
 * HTML without a template engine: a tagged template that escapes every interpolated value
 * unless it is itself markup built by the same tag. Pages are assembled from these fragments,
 * so no value from the database or the request can reach the page unescaped.
 */

/** Markup that is already safe to insert: produced only by {@link html}. */
export class SafeHtml {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

/** What a template may interpolate: text, numbers, markup, lists of them, or nothing. */
export type HtmlValue =
  string | number | SafeHtml | null | undefined | false | readonly HtmlValue[];

const entities: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for use in element content and quoted attribute values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => entities[c] ?? c);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value));
}

/** Builds markup; every interpolation is escaped unless it is {@link SafeHtml}. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** What every page shares. */
export interface LayoutOptions {
  title: string;
  /** Where the console is mounted (`req.baseUrl`), for links and assets. */
  base: string;
  /** The admin API's base path, read by the scripts. */
  apiBase: string;
  /** The signed-in admin; absent on the sign-in page. */
  admin?: { email: string; workspaceName: string; csrfToken: string };
  /** Which page the scripts should wire up. */
  page: string;
  body: SafeHtml;
}

/** The page frame: header with the workspace and sign-out, the body, and the one script. */
export function layout(options: LayoutOptions): SafeHtml {
  const { base, admin } = options;
  const header = admin
    ? html`<header class="top">
        <a class="brand" href="${base}/keys">Enterprise Key</a>
        <span class="who"
          >${admin.workspaceName} · ${admin.email}
          <button type="button" class="link" data-action="logout">Sign out</button></span
        >
      </header>`
    : html`<header class="top"><span class="brand">Enterprise Key</span></header>`;

  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${options.title} · Enterprise Key</title>
        <link rel="stylesheet" href="${base}/assets/console.css" />
        <script src="${base}/assets/console.js" defer></script>
      </head>
      <body
        data-page="${options.page}"
        data-base="${base}"
        data-api="${options.apiBase}"
        data-csrf="${admin?.csrfToken ?? ''}"
      >
        ${header}
        <main>${options.body}</main>
      </body>
    </html>`;
}
