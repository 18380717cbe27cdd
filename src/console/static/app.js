// The monodyne console: sign in with an access key and secret (kept in this tab's session
// storage only), then the Tables, Internals and Hot keys views. Every request is signed here.
import { h } from './dom.js';
import { Api } from './api.js';
import { canSign } from './sigv4.js';
import { TablesView } from './tables-view.js';
import { InternalsView } from './internals-view.js';
import { HotKeysView } from './hot-keys-view.js';

const pollIntervalMs = 1000;
const root = document.getElementById('app');
const messages = h('div', { className: 'messages', id: 'messages', role: 'status' });

function notify(text, isError = false) {
  const line = h('div', { className: isError ? 'message error' : 'message' }, text);
  messages.prepend(line);
  while (messages.childElementCount > 4) messages.lastElementChild.remove();
  setTimeout(() => line.remove(), isError ? 15_000 : 5_000);
}

function signIn() {
  if (!canSign()) {
    root.replaceChildren(
      h('div', { className: 'signin' }, h('h1', {}, 'monodyne'), h('p', { className: 'message error' }, 'This browser offers no WebCrypto on this address: open the console over HTTPS (tls.*) or on 127.0.0.1.')),
    );
    return;
  }
  const accessKeyId = h('input', { id: 'access-key-id', name: 'accessKeyId', autocomplete: 'username', required: true });
  const secret = h('input', { id: 'secret-access-key', name: 'secretAccessKey', type: 'password', autocomplete: 'current-password', required: true });
  const region = h('input', { id: 'region', name: 'region', value: 'us-east-1', required: true });
  const error = h('p', { className: 'message error hidden', id: 'signin-error' });
  const form = h(
    'form',
    {
      className: 'signin',
      id: 'signin-form',
      onSubmit: async (event) => {
        event.preventDefault();
        const api = new Api({ accessKeyId: accessKeyId.value.trim(), secretAccessKey: secret.value }, region.value.trim());
        try {
          // Proves the credential before anything else is shown.
          await api.call('ListTables', { Limit: 1 });
        } catch (err) {
          error.textContent = `${err.name}: ${err.message}`;
          error.classList.remove('hidden');
          return;
        }
        sessionStorage.setItem('monodyne.credentials', JSON.stringify({ accessKeyId: api.accessKeyId, secretAccessKey: secret.value, region: api.region }));
        start(api);
      },
    },
    h('h1', {}, 'monodyne console'),
    h('p', { className: 'muted' }, 'Sign in with an access key and secret the server accepts (auth.credentials). Requests are signed in this browser; the secret stays in this tab.'),
    h('label', {}, 'Access key ID', accessKeyId),
    h('label', {}, 'Secret access key', secret),
    h('label', {}, 'Region', region),
    h('button', { type: 'submit', id: 'signin-submit' }, 'Sign in'),
    error,
  );
  root.replaceChildren(form);
  accessKeyId.focus();
}

function start(api) {
  const views = {
    tables: { label: 'Tables', view: new TablesView(api, notify), polled: false },
    internals: { label: 'Internals', view: new InternalsView(api, notify), polled: true },
    hotkeys: { label: 'Hot keys', view: new HotKeysView(api, notify), polled: true },
  };
  const main = h('main', { id: 'view' });
  const tabs = Object.entries(views).map(([name, v]) => h('button', { className: 'tab', dataset: { view: name }, onClick: () => (location.hash = name) }, v.label));
  let timer = null;
  let current = null;

  async function poll() {
    timer = null;
    const name = current;
    try {
      await views[name].view.refresh();
    } catch (err) {
      notify(`${err.name}: ${err.message}`, true);
    }
    if (current === name && views[name].polled) timer = setTimeout(poll, pollIntervalMs);
  }

  async function open(name) {
    if (!(name in views)) name = 'tables';
    if (timer !== null) clearTimeout(timer);
    timer = null;
    current = name;
    for (const tab of tabs) tab.classList.toggle('active', tab.dataset.view === name);
    main.replaceChildren(views[name].view.element);
    if (views[name].polled) await poll();
    else {
      try {
        await views[name].view.show();
      } catch (err) {
        notify(`${err.name}: ${err.message}`, true);
      }
    }
  }

  root.replaceChildren(
    h(
      'header',
      {},
      h('span', { className: 'brand' }, 'monodyne'),
      h('nav', {}, ...tabs),
      h('span', { className: 'who' }, `${api.accessKeyId} · ${api.region} `, h('button', { className: 'small secondary', id: 'sign-out', onClick: signOut }, 'Sign out')),
    ),
    messages,
    main,
  );
  window.onhashchange = () => open(location.hash.slice(1));
  void open(location.hash.slice(1));
}

function signOut() {
  sessionStorage.removeItem('monodyne.credentials');
  window.onhashchange = null;
  location.hash = '';
  signIn();
}

const saved = sessionStorage.getItem('monodyne.credentials');
if (saved !== null && canSign()) {
  const c = JSON.parse(saved);
  start(new Api({ accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey }, c.region));
} else {
  signIn();
}
