// The Enterprise Key console's only script. Pages are rendered on the server; this file sends
// the admin's actions to the admin API (session cookie plus the CSRF header), shows the API's
// message when an action is refused, and reloads the page to show the new state.
/* global document, window, fetch, FormData, navigator, setTimeout, setInterval, clearInterval */
'use strict';

(function () {
  const body = document.body;
  const base = body.dataset.base || '';
  const apiBase = body.dataset.api || '/api/admin';
  const csrf = body.dataset.csrf || '';

  /** Calls the admin API; resolves with the JSON answer or throws an Error with its message. */
  async function call(method, path, payload) {
    const headers = { Accept: 'application/json' };
    if (csrf) headers['X-CSRF-Token'] = csrf;
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(apiBase + path, {
        method,
        headers,
        credentials: 'same-origin',
        body: payload === undefined ? undefined : JSON.stringify(payload),
      });
    } catch {
      throw new Error('The server could not be reached. Check your connection and try again.');
    }
    const text = await response.text();
    const data = text ? JSON.parse(text) : {};
    if (!response.ok) {
      const error = new Error(
        (data.error && data.error.message) || 'The request failed (' + response.status + ').',
      );
      error.status = response.status;
      error.details = (data.error && data.error.details) || {};
      throw error;
    }
    return data;
  }

  function scopeOf(element) {
    return element.closest('[data-scope]') || document;
  }

  function clearError(scope) {
    const box = scope.querySelector('[data-error]');
    if (box) {
      box.hidden = true;
      box.textContent = '';
    }
  }

  /** Shows a refused action's message, and the failing test steps when the API sends them. */
  function showError(scope, error) {
    const box = scope.querySelector('[data-error]');
    if (!box) return;
    box.textContent = error.message;
    const steps = error.details && error.details.test && error.details.test.steps;
    if (Array.isArray(steps)) {
      const list = document.createElement('ul');
      for (const step of steps.filter((s) => s.status === 'fail')) {
        const item = document.createElement('li');
        item.textContent =
          step.title +
          ': ' +
          (step.awsCode || step.code || 'failed') +
          (step.fix ? ' — ' + step.fix : '');
        list.appendChild(item);
      }
      box.appendChild(list);
    }
    box.hidden = false;
    box.scrollIntoView({ block: 'nearest' });
  }

  /** Disables a control while its request runs, with a busy label. */
  async function busy(control, label, work) {
    const before = control.textContent;
    control.disabled = true;
    if (label) control.textContent = label;
    try {
      await work();
    } finally {
      control.disabled = false;
      control.textContent = before;
    }
  }

  function go(path) {
    window.location.assign(path);
  }

  function fields(form) {
    const values = {};
    for (const [name, value] of new FormData(form).entries()) {
      const text = String(value).trim();
      if (text !== '') values[name] = text;
    }
    return values;
  }

  function selection() {
    const list = document.querySelector('[data-selection]');
    const apps = [...document.querySelectorAll('input[data-app]')];
    const bots = [...document.querySelectorAll('input[data-bot]')];
    return {
      selectedAppIds: apps.filter((a) => a.checked).map((a) => a.dataset.app),
      selectedBotIds: bots.filter((b) => b.checked && !b.disabled).map((b) => b.dataset.bot),
      version: list ? Number(list.dataset.version) : undefined,
    };
  }

  const keyPath = (id) => base + '/keys/' + encodeURIComponent(id);
  const apiKey = (id) => '/keys/' + encodeURIComponent(id);

  const forms = {
    login: async (form) => {
      await call('POST', '/login', { email: form.email.value, password: form.password.value });
      go(base + '/keys');
    },
    'create-key': async (form) => {
      const created = await call('POST', '/keys', fields(form));
      go(keyPath(created.id) + '?notice=created');
    },
    'edit-key': async (form) => {
      const id = form.dataset.key;
      await call('PATCH', apiKey(id), { ...fields(form), version: Number(form.dataset.version) });
      go(keyPath(id) + '?notice=saved');
    },
    rotate: async (form) => {
      const id = form.dataset.key;
      await call('POST', apiKey(id) + '/rotate', {
        ...fields(form),
        version: Number(form.dataset.version),
      });
      go(keyPath(id) + '?notice=rotation#rotation');
    },
  };

  const actions = {
    logout: async () => {
      await call('POST', '/logout');
      go(base + '/login');
    },
    copy: async (button) => {
      const input = document.getElementById(button.dataset.copyTarget);
      if (!input) return;
      input.select();
      try {
        await navigator.clipboard.writeText(input.value);
      } catch {
        document.execCommand('copy');
      }
      button.textContent = 'Copied';
      setTimeout(() => (button.textContent = 'Copy'), 2000);
    },
    test: async (button) => {
      await busy(button, 'Testing…', async () => {
        await call('POST', apiKey(button.dataset.key) + '/test');
        go(keyPath(button.dataset.key) + '?after=test#test');
      });
    },
    proceed: async (button) => {
      await busy(button, 'Proceeding…', async () => {
        const id = button.dataset.key;
        const saved = await call('PUT', apiKey(id) + '/selection', selection());
        await call('POST', apiKey(id) + '/proceed', { version: saved.version });
        go(base + '/keys?notice=scheduled');
      });
    },
    'save-selection': async (button) => {
      await busy(button, 'Saving…', async () => {
        await call('PUT', apiKey(button.dataset.key) + '/selection', selection());
        go(keyPath(button.dataset.key) + '?notice=selection#apps');
      });
    },
    'health-check': async (button) => {
      await busy(button, 'Checking…', async () => {
        await call('POST', apiKey(button.dataset.key) + '/health/check');
        go(keyPath(button.dataset.key) + '?notice=health#health');
      });
    },
  };

  document.addEventListener('submit', (event) => {
    const form = event.target.closest('form[data-form]');
    const handler = form && forms[form.dataset.form];
    if (!handler) return;
    event.preventDefault();
    const scope = scopeOf(form);
    clearError(scope);
    const submit = form.querySelector('button[type="submit"]');
    busy(submit, 'Working…', () => handler(form)).catch((error) => showError(scope, error));
  });

  document.addEventListener('click', (event) => {
    const control = event.target.closest('[data-action]');
    const handler = control && actions[control.dataset.action];
    if (!handler) return;
    event.preventDefault();
    const scope = scopeOf(control);
    clearError(scope);
    handler(control).catch((error) => showError(scope, error));
  });

  // A bot can use the key only with its app: deselecting an app deselects and locks its bots.
  document.addEventListener('change', (event) => {
    const app = event.target.closest('input[data-app]');
    if (!app) return;
    for (const bot of document.querySelectorAll('input[data-of-app="' + app.dataset.app + '"]')) {
      bot.disabled = !app.checked;
      bot.checked = app.checked;
    }
  });

  // While a rotation moves data keys, show its progress without reloading.
  const running = document.querySelector('[data-rotation-running]');
  if (running) {
    const id = document.querySelector('form[data-form="rotate"]').dataset.key;
    const timer = setInterval(async () => {
      try {
        const { job } = await call('GET', apiKey(id) + '/rotation');
        if (!job) return;
        running.querySelector('[data-rotation-text]').textContent =
          job.moved + ' of ' + job.total + ' data keys moved';
        const bar = running.querySelector('progress');
        bar.max = Math.max(job.total, 1);
        bar.value = job.total === 0 ? 1 : job.moved;
        if (job.status !== 'running') {
          clearInterval(timer);
          go(keyPath(id) + '#rotation');
        }
      } catch {
        clearInterval(timer);
      }
    }, 1500);
  }
})();
