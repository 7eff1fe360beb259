/** The sign-in page: e-mail and password, posted to the admin API by the console script. */
import { html, type SafeHtml } from '../html.js';

/** The sign-in form. */
export function loginPage(): SafeHtml {
  return html`<section class="card narrow" data-scope>
    <h1>Sign in</h1>
    <p class="muted">Sign in with your workspace admin account to manage its Enterprise Key.</p>
    <form data-form="login" novalidate>
      <label for="email">E-mail</label>
      <input id="email" name="email" type="email" autocomplete="username" required />
      <label for="password">Password</label>
      <input
        id="password"
        name="password"
        type="password"
        autocomplete="current-password"
        required
      />
      <p class="alert error" data-error role="alert" hidden></p>
      <button type="submit" class="primary">Sign in</button>
    </form>
  </section>`;
}
