// Tenantry admin console: a small single-page app over /admin/api/ (no framework, no runtime downloads).
'use strict';

const app = document.getElementById('app');
const state = { token: sessionStorage.getItem('tenantry.token') };

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false && v != null) el.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c != null) el.append(c instanceof Node ? c : String(c));
  return el;
}

function toast(text) {
  const t = document.getElementById('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 3000);
}

class ApiError extends Error {
  constructor(problem) { super(problem.detail || problem.title); this.problem = problem; }
}

async function api(method, path, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  const response = await fetch('/admin/api' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401 && path !== '/auth/login') { logout(); throw new ApiError({ title: 'Please log in again' }); }
  const text = await response.text();
  const data = text ? JSON.parse(text) : {};
  if (!response.ok) throw new ApiError(data);
  return data;
}

function logout() {
  state.token = null;
  sessionStorage.removeItem('tenantry.token');
  location.hash = '#/login';
}

const badge = (s) => h('span', { class: 'badge ' + s }, s);
const primaryDomain = (t) => (t.domains.find((d) => d.is_primary) || {}).domain || '—';
const bytes = (n) => n > 1 << 20 ? (n / (1 << 20)).toFixed(1) + ' MiB' : (n / 1024).toFixed(0) + ' KiB';

function fieldErrors(form, problem) {
  form.querySelectorAll('.field').forEach((f) => { f.classList.remove('invalid'); const e = f.querySelector('.error'); if (e) e.textContent = ''; });
  const general = form.querySelector('.form-error');
  general.textContent = '';
  const unplaced = [];
  for (const e of problem.errors || []) {
    const field = form.querySelector(`[data-field="${e.field}"]`);
    if (field) { field.classList.add('invalid'); field.querySelector('.error').textContent = e.message; }
    else unplaced.push(`${e.field}: ${e.message}`);
  }
  if (!problem.errors || unplaced.length) general.textContent = unplaced.join(' ') || problem.detail || problem.title;
}

const field = (name, label, input) => h('div', { class: 'field', 'data-field': name },
  h('label', { for: 'f-' + name }, label), input, h('span', { class: 'error' }));

// --- pages -------------------------------------------------------------------------------------------------

function loginPage() {
  const form = h('form', { class: 'panel login', novalidate: true },
    h('h1', {}, 'Sign in'),
    h('div', { class: 'form-error' }),
    field('email', 'E-mail', h('input', { id: 'f-email', name: 'email', type: 'email', autocomplete: 'username', required: true })),
    field('password', 'Password', h('input', { id: 'f-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    h('button', { class: 'primary', type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const r = await api('POST', '/auth/login', { email: form.email.value, password: form.password.value });
      state.token = r.token;
      sessionStorage.setItem('tenantry.token', r.token);
      location.hash = '#/tenants';
    } catch (e) { fieldErrors(form, e.problem || { detail: e.message }); }
  });
  return form;
}

async function tenantsPage(params) {
  const query = new URLSearchParams({ limit: '20', offset: params.get('offset') || '0' });
  for (const k of ['q', 'state', 'plan']) if (params.get(k)) query.set(k, params.get(k));
  const data = await api('GET', '/tenants?' + query);
  const q = h('input', { type: 'search', placeholder: 'Search name, slug or domain', value: params.get('q') || '', 'aria-label': 'Search' });
  const stateSelect = h('select', { 'aria-label': 'State' }, h('option', { value: '' }, 'Any state'),
    ['active', 'suspended', 'archived', 'provisioning', 'failed'].map((s) => h('option', { value: s, selected: params.get('state') === s }, s)));
  const plan = h('select', { 'aria-label': 'Plan' }, h('option', { value: '' }, 'Any plan'),
    ['free', 'pro', 'enterprise'].map((p) => h('option', { value: p, selected: params.get('plan') === p }, p)));
  const apply = () => {
    const p = new URLSearchParams();
    if (q.value) p.set('q', q.value);
    if (stateSelect.value) p.set('state', stateSelect.value);
    if (plan.value) p.set('plan', plan.value);
    location.hash = '#/tenants?' + p;
  };
  q.addEventListener('keydown', (e) => { if (e.key === 'Enter') apply(); });
  stateSelect.addEventListener('change', apply);
  plan.addEventListener('change', apply);
  const offset = Number(params.get('offset') || 0);
  const page = (o) => { const p = new URLSearchParams(params); p.set('offset', String(o)); location.hash = '#/tenants?' + p; };
  return h('div', {},
    h('h1', {}, 'Tenants', h('span', { class: 'muted' }, `(${data.count})`)),
    h('div', { class: 'toolbar' }, q, stateSelect, plan, h('button', { onclick: apply }, 'Search'),
      h('span', { class: 'spacer' }), h('button', { class: 'primary', onclick: () => { location.hash = '#/new'; } }, 'New tenant')),
    h('div', { class: 'panel' },
      h('table', { id: 'tenants' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Slug'), h('th', {}, 'Name'), h('th', {}, 'State'),
          h('th', { class: 'hide-narrow' }, 'Plan'), h('th', { class: 'hide-narrow' }, 'Primary domain'))),
        h('tbody', {}, data.results.length ? data.results.map((t) => h('tr', { 'data-slug': t.slug },
          h('td', {}, h('a', { href: '#/tenants/' + t.slug }, t.slug)), h('td', {}, t.name), h('td', {}, badge(t.state), t.maintenance ? badge('maintenance') : null),
          h('td', { class: 'hide-narrow' }, t.plan), h('td', { class: 'hide-narrow' }, primaryDomain(t))))
          : h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No tenant matches.')))),
      h('div', { class: 'pager' }, h('span', { class: 'muted' }, `${data.count ? offset + 1 : 0}–${offset + data.results.length} of ${data.count}`),
        h('button', { disabled: !data.previous, onclick: () => page(Math.max(0, offset - 20)) }, '‹ Previous'),
        h('button', { disabled: !data.next, onclick: () => page(offset + 20) }, 'Next ›'))));
}

function newTenantPage() {
  const form = h('form', { class: 'panel', novalidate: true, id: 'create-tenant' },
    h('h1', {}, 'New tenant'),
    h('div', { class: 'form-error' }),
    h('div', { class: 'grid' },
      field('slug', 'Slug (schema name)', h('input', { id: 'f-slug', name: 'slug', placeholder: 'e.g. downtown_repairs' })),
      field('name', 'Store name', h('input', { id: 'f-name', name: 'name', placeholder: 'Downtown Repairs' })),
      field('plan', 'Plan', h('select', { id: 'f-plan', name: 'plan' }, ['free', 'pro', 'enterprise'].map((p) => h('option', { value: p }, p)))),
      field('domains', 'Domains (comma-separated, optional)', h('input', { id: 'f-domains', name: 'domains', placeholder: 'shop.example.com' })),
      // A verified account becomes owner at once; anyone else gets an invitation by mail.
      field('owner', 'Owner e-mail (optional)', h('input', { id: 'f-owner', name: 'owner', type: 'email', placeholder: 'owner@example.com' }))),
    h('div', { class: 'toolbar' }, h('button', { class: 'primary', type: 'submit' }, 'Create tenant'),
      h('button', { type: 'button', onclick: () => { location.hash = '#/tenants'; } }, 'Cancel')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { slug: form.slug.value, name: form.name.value, plan: form.plan.value };
    const domains = form.domains.value.split(',').map((d) => d.trim()).filter(Boolean);
    if (domains.length) body.domains = domains;
    if (form.owner.value.trim()) body.owner = form.owner.value.trim();
    try {
      const t = await api('POST', '/tenants', body);
      const owner = t.owner ? (t.owner.status === 'member' ? `; owner ${t.owner.email}` : `; ${t.owner.email} invited as owner`) : '';
      toast(`Tenant ${t.slug} created${owner}`);
      location.hash = '#/tenants?q=' + encodeURIComponent(t.slug);
    } catch (e) { fieldErrors(form, e.problem || { detail: e.message }); }
  });
  return form;
}

function chart(perMinute) {
  const max = Math.max(1, ...perMinute);
  const w = 600, hgt = 120, bw = w / perMinute.length;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'Requests per minute, last hour');
  perMinute.forEach((n, i) => {
    const r = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
    const bh = (n / max) * (hgt - 4);
    r.setAttribute('x', String(i * bw + 1)); r.setAttribute('width', String(Math.max(1, bw - 2)));
    r.setAttribute('y', String(hgt - bh)); r.setAttribute('height', String(bh));
    const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
    title.textContent = `${n} request(s), ${perMinute.length - 1 - i} min ago`;
    r.append(title);
    svg.append(r);
  });
  return svg;
}

async function tenantPage(slug) {
  const t = await api('GET', '/tenants/' + encodeURIComponent(slug));
  const act = (label, path, cls, confirmText) => h('button', { class: cls || '', 'data-action': label.toLowerCase(), onclick: async () => {
    if (!confirm(confirmText)) return;
    try { await api('POST', `/tenants/${slug}/${path}`); toast(`${label}: done`); render(); } catch (e) { toast(e.message); }
  } }, label);
  const actions = [];
  if (t.state === 'active') actions.push(act('Suspend', 'suspend', 'danger', `Suspend ${slug}? Its API will answer 403.`));
  if (t.state === 'active' && !t.maintenance) actions.push(h('button', { 'data-action': 'maintenance', onclick: async () => {
    const message = prompt(`Put ${slug} in maintenance? Its API will answer 503 (platform admins get through). Message for its clients (optional):`, '');
    if (message === null) return;
    try { await api('PUT', `/tenants/${slug}/maintenance`, message ? { message } : {}); toast('Maintenance: on'); render(); } catch (e) { toast(e.message); }
  } }, 'Maintenance…'));
  if (t.maintenance) actions.push(h('button', { class: 'primary', 'data-action': 'end-maintenance', onclick: async () => {
    try { await api('DELETE', `/tenants/${slug}/maintenance`); toast('Maintenance: ended'); render(); } catch (e) { toast(e.message); }
  } }, 'End maintenance'));
  if (t.state === 'suspended' || t.state === 'archived') actions.push(act('Resume', 'resume', 'primary', `Resume ${slug}?`));
  if (t.state === 'active' || t.state === 'suspended') actions.push(act('Archive', 'archive', 'danger', `Archive ${slug}? It will no longer be served; data is kept.`));
  actions.push(h('button', { class: 'danger', onclick: async () => {
    const typed = prompt(`This drops ${slug} and ALL its data. Type the slug to confirm:`);
    if (typed === null) return;
    try { await api('DELETE', '/tenants/' + slug, { confirm: typed }); toast(`${slug} dropped`); location.hash = '#/tenants'; } catch (e) { toast(e.message); }
  } }, 'Drop…'));
  const newDomain = h('input', { placeholder: 'new.example.com', 'aria-label': 'New domain' });
  const domainError = h('span', { class: 'error muted' });
  return h('div', {},
    h('h1', {}, t.name, badge(t.state), t.maintenance ? badge('maintenance') : null, h('span', { class: 'muted' }, t.slug)),
    h('div', { class: 'toolbar', id: 'tenant-actions' }, actions),
    h('div', { class: 'grid' },
      h('div', { class: 'panel' }, h('h2', {}, 'Overview'),
        h('dl', { class: 'kv' }, h('dt', {}, 'Plan'), h('dd', {}, t.plan), h('dt', {}, 'Members'), h('dd', {}, t.member_count),
          h('dt', {}, 'Schema size'), h('dd', {}, bytes(t.schema_size_bytes)), h('dt', {}, 'Requests'), h('dd', {}, t.requests.total),
          h('dt', {}, 'Created'), h('dd', {}, t.created_at.slice(0, 16)), t.state_reason ? [h('dt', {}, 'Reason'), h('dd', {}, t.state_reason)] : null,
          t.maintenance ? [h('dt', {}, 'Maintenance'), h('dd', {}, `since ${t.maintenance.since.slice(0, 16)}, Retry-After ${t.maintenance.retry_after} s` +
            (t.maintenance.message ? ` (${t.maintenance.message})` : ''))] : null)),
      h('div', { class: 'panel' }, h('h2', {}, 'Domains'),
        h('ul', { class: 'plain' }, t.domains.map((d) => h('li', {}, h('span', {}, d.domain), d.is_primary ? badge('primary') : null, h('span', { class: 'spacer' }),
          d.is_primary ? null : h('button', { onclick: async () => { await api('POST', `/tenants/${slug}/domains/${d.domain}/primary`).catch((e) => toast(e.message)); render(); } }, 'Make primary'),
          h('button', { class: 'danger', onclick: async () => { if (confirm(`Remove ${d.domain}?`)) { await api('DELETE', `/tenants/${slug}/domains/${d.domain}`).catch((e) => toast(e.message)); render(); } } }, 'Remove')))),
        h('div', { class: 'toolbar', style: 'margin-top:.75rem' }, newDomain, h('button', { onclick: async () => {
          try { await api('POST', `/tenants/${slug}/domains`, { domain: newDomain.value }); render(); }
          catch (e) { domainError.textContent = (e.problem && e.problem.errors && e.problem.errors[0].message) || e.message; }
        } }, 'Add domain'), domainError))),
    h('div', { class: 'panel' }, h('h2', {}, 'Requests per minute (last hour)'), chart(t.requests.per_minute_last_hour)),
    h('div', { class: 'panel' }, h('h2', {}, 'Migrations'),
      h('p', { class: 'muted' }, `${t.migrations.applied.length} applied, ${t.migrations.pending.length} pending`),
      h('ul', { class: 'plain' }, t.migrations.applied.map((m) => h('li', {}, '✓ ', m.migration, h('span', { class: 'spacer' }), h('span', { class: 'muted' }, m.applied_at.slice(0, 16)))),
        t.migrations.pending.map((m) => h('li', {}, '○ ', m, h('span', { class: 'muted' }, ' pending'))),
        t.migrations.problems.map((p) => h('li', { class: 'form-error' }, '⚠ ', p)))));
}

async function migrationsPage() {
  const status = await api('GET', '/migrations');
  const progress = h('div', { class: 'progress' }, h('div', { style: 'width:0%' }));
  const summary = h('p', { class: 'muted', id: 'run-summary' }, 'No run started from this page yet.');
  const results = h('tbody');
  const run = h('button', { class: 'primary', id: 'run-migrations', onclick: async () => {
    run.disabled = true;
    try {
      let r = await api('POST', '/migrations/runs');
      while (!r.finished) {
        await new Promise((ok) => setTimeout(ok, 400));
        r = await api('GET', '/migrations/runs/' + r.id);
        const pct = r.total ? Math.round((100 * r.done) / r.total) : 0;
        progress.firstChild.style.width = pct + '%';
        summary.textContent = `Run #${r.id}: ${r.done}/${r.total} — ${r.migrated} migrated, ${r.current} current, ${r.failed} failed`;
        results.replaceChildren(...r.results.map((x) => h('tr', {}, h('td', {}, x.tenant), h('td', {}, badge(x.result)), h('td', { class: 'muted' }, x.error || x.applied.join(', ')))));
      }
      progress.firstChild.style.width = '100%';
      summary.textContent = `Run #${r.id} finished: ${r.migrated} migrated, ${r.current} already current, ${r.failed} failed` + (r.total ? '' : ' (every tenant was up to date)');
    } catch (e) { toast(e.message); }
    run.disabled = false;
  } }, 'Run migrations now');
  return h('div', {},
    h('h1', {}, 'Migrations'),
    h('div', { class: 'panel' }, h('div', { class: 'toolbar' }, run), progress, summary, h('table', {}, results)),
    h('div', { class: 'panel' }, h('h2', {}, 'Status per schema'),
      h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Schema'), h('th', {}, 'Applied'), h('th', {}, 'Pending'))),
        h('tbody', {}, status.schemas.map((s) => h('tr', {}, h('td', {}, s.schema), h('td', {}, s.applied),
          h('td', {}, s.pending.length ? s.pending.join(', ') : h('span', { class: 'muted' }, 'none'))))))));
}

async function auditPage(params) {
  const data = await api('GET', '/audit?limit=50' + (params.get('tenant') ? '&tenant=' + encodeURIComponent(params.get('tenant')) : ''));
  return h('div', {}, h('h1', {}, 'Audit log'),
    h('div', { class: 'panel' }, h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Who'), h('th', {}, 'Action'), h('th', {}, 'Tenant'), h('th', {}, 'Outcome'))),
      h('tbody', {}, data.results.map((e) => h('tr', {}, h('td', {}, e.at.slice(0, 19)), h('td', {}, e.actor), h('td', {}, e.action),
        h('td', {}, e.tenant || '—'), h('td', {}, badge(e.outcome === 'ok' ? 'active' : 'failed'), e.error ? h('div', { class: 'muted' }, e.error) : null)))))));
}

// --- routing -----------------------------------------------------------------------------------------------

// Renders can overlap (a navigation, then a search while the first fetch is under way): only the latest may
// paint, or a slow, stale answer would overwrite a newer one.
let latestRender = 0;

async function render() {
  const ticket = ++latestRender;
  const [path, query] = (location.hash.slice(1) || '/tenants').split('?');
  const params = new URLSearchParams(query || '');
  document.getElementById('nav').hidden = !state.token;
  if (!state.token && path !== '/login') { location.hash = '#/login'; return; }
  document.querySelectorAll('[data-nav]').forEach((a) => a.classList.toggle('active', path.startsWith('/' + a.dataset.nav)));
  try {
    let page;
    if (path === '/login') page = loginPage();
    else if (path === '/tenants') page = await tenantsPage(params);
    else if (path === '/new') page = newTenantPage();
    else if (path.startsWith('/tenants/')) page = await tenantPage(decodeURIComponent(path.slice(9)));
    else if (path === '/migrations') page = await migrationsPage();
    else if (path === '/audit') page = await auditPage(params);
    else page = h('p', {}, 'Not found.');
    if (ticket !== latestRender) return;
    app.replaceChildren(page);
    const first = app.querySelector('input');
    if (first && path !== '/tenants') first.focus();
  } catch (e) {
    if (ticket === latestRender) app.replaceChildren(h('div', { class: 'panel form-error' }, e.message));
  }
}

// The token is revoked on the server too, not only forgotten here.
async function signOut() {
  try { if (state.token) await api('POST', '/auth/logout'); } catch (e) { /* expired already */ }
  logout();
}
document.getElementById('logout').addEventListener('click', signOut);
window.addEventListener('hashchange', render);
render();
