// Shared by every page: configuration, language, DOM building, the API
// client, form errors next to their fields, drafts, formatting, login.
import { DICT, SERVER } from './i18n.js'

export const CONFIG = JSON.parse(document.getElementById('config')?.textContent || '{}')

// --- language ---

let lang = localStorage.getItem('wangge.lang') === 'en' ? 'en' : 'zh'
applyLang()

function applyLang () {
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN'
  document.querySelectorAll('[data-i18n]').forEach(el => { el.textContent = t(el.dataset.i18n) })
}

export function getLang () { return lang }

export function setLang (l) {
  lang = l === 'en' ? 'en' : 'zh'
  localStorage.setItem('wangge.lang', lang)
  applyLang()
  window.dispatchEvent(new CustomEvent('langchange'))
}

export function t (key, params) {
  const e = DICT[key]
  let s = e ? e[lang === 'en' ? 1 : 0] : key
  if (params) for (const k in params) s = s.split('{' + k + '}').join(params[k])
  return s
}

// name picks the name of a unit, category or department in the language.
export function name (o) {
  if (!o) return ''
  return lang === 'en' ? (o.name_en || o.name_zh || o.code || '') : (o.name_zh || o.name_en || o.code || '')
}

// serverText translates a problem the server named.
export function serverText (msg) {
  if (!msg) return ''
  for (const [re, pair] of SERVER) if (re.test(msg)) return pair[lang === 'en' ? 1 : 0]
  return msg
}

export function langButton () {
  const b = h('button', { type: 'button', class: 'lang', id: 'lang-switch', title: t('lang.label'), onclick: () => setLang(lang === 'en' ? 'zh' : 'en') }, t('lang.switch'))
  window.addEventListener('langchange', () => { b.textContent = t('lang.switch') })
  return b
}

// --- DOM ---

// h builds an element: h('a', {href, onclick}, 'text', child, [more]).
// Text is always set as text, never parsed as HTML.
export function h (tag, attrs, ...children) {
  const el = tag.includes(':') ? document.createElementNS('http://www.w3.org/2000/svg', tag.split(':')[1]) : document.createElement(tag)
  for (const k in attrs || {}) {
    const v = attrs[k]
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else if (k === 'class') el.setAttribute('class', v)
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v)
    else if (k === 'value' && 'value' in el) el.value = v
    else el.setAttribute(k, v === true ? '' : v)
  }
  append(el, children)
  return el
}

function append (el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue
    if (Array.isArray(c)) append(el, c)
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
}

export function clear (el, ...children) { el.replaceChildren(); append(el, children); return el }

export function $ (sel, root) { return (root || document).querySelector(sel) }

// --- API ---

export class ApiError extends Error {
  constructor (status, body) {
    super(body?.message || 'error ' + status)
    this.status = status
    this.code = body?.code || (status === 0 ? 'network' : 'internal')
    this.fields = body?.fields || {}
  }
}

// api calls the JSON API with the session cookie. A failed call throws an
// ApiError; a lost connection has code "network".
export async function api (method, path, body, opts = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } }
  if (body instanceof FormData) init.body = body
  else if (body !== undefined) { init.body = JSON.stringify(body); init.headers['Content-Type'] = 'application/json' }
  if (opts.signal) init.signal = opts.signal
  let resp
  try {
    resp = await fetch(path, init)
  } catch (e) {
    if (e.name === 'AbortError') throw e
    throw new ApiError(0, { code: 'network', message: String(e) })
  }
  if (resp.status === 204) return null
  let data = null
  try { data = await resp.json() } catch (e) { data = null }
  if (!resp.ok) {
    const err = new ApiError(resp.status, data)
    if (resp.status === 401 && !opts.quiet401) window.dispatchEvent(new CustomEvent('unauthorized'))
    throw err
  }
  return data
}

// errorText is the message of a failed call, in the user's language.
export function errorText (err) {
  if (!(err instanceof ApiError)) return t('err.generic', { msg: String(err?.message || err) })
  switch (err.code) {
    case 'network': return t('err.network')
    case 'not_found': return t('err.notfound')
    case 'conflict': return err.message.startsWith('the case changed') ? t('err.conflict') : t('err.generic', { msg: serverText(err.message) })
    case 'forbidden': return t('err.forbidden', { msg: serverText(err.message) })
    case 'too_large': return t('err.toolarge')
    case 'invalid': return Object.keys(err.fields).length ? t('err.fix') : t('err.generic', { msg: serverText(err.message) })
  }
  return t('err.generic', { msg: serverText(err.message) })
}

// --- forms ---

// clearErrors removes the messages of a previous attempt.
export function clearErrors (form) {
  form.querySelectorAll('.field-error, .form-error').forEach(e => e.remove())
  form.querySelectorAll('.invalid').forEach(e => { e.classList.remove('invalid'); e.removeAttribute('aria-invalid') })
}

// showErrors puts each problem next to its field (found by name, or a
// [data-field] box), translated; the rest goes at the top of the form.
export function showErrors (form, err, fieldMessages) {
  clearErrors(form)
  const fields = fieldMessages || (err instanceof ApiError ? err.fields : {})
  let placed = 0
  for (const f in fields) {
    const el = form.querySelector(`[name="${CSS.escape(f)}"]`) || form.querySelector(`[data-field~="${CSS.escape(f)}"]`)
    const msg = fieldMessages ? fields[f] : serverText(fields[f])
    if (el) {
      el.classList.add('invalid')
      el.setAttribute('aria-invalid', 'true')
      const box = el.closest('label, .field') || el
      box.after(h('div', { class: 'field-error', role: 'alert', 'data-for': f }, msg))
      placed++
    }
  }
  if (!placed || (err && (!fields || !Object.keys(fields).length))) {
    form.prepend(h('div', { class: 'form-error', role: 'alert' }, err ? errorText(err) : t('err.fix')))
  } else {
    form.prepend(h('div', { class: 'form-error', role: 'alert' }, t('err.fix')))
  }
  const first = form.querySelector('.invalid')
  if (first) first.focus()
}

// values reads a form's named fields.
export function values (form) {
  const out = {}
  for (const el of form.elements) {
    if (!el.name || el.type === 'file' || el.type === 'submit' || el.type === 'button') continue
    if (el.type === 'radio') { if (el.checked) out[el.name] = el.value; continue }
    if (el.type === 'checkbox') { out[el.name] = el.checked; continue }
    out[el.name] = el.value.trim()
  }
  return out
}

// keepDraft saves what is typed into a form as it is typed and puts it back
// when the form is built again: a reload or a lost connection loses nothing.
export function keepDraft (form, key) {
  const k = 'wangge.draft.' + key
  try {
    const saved = JSON.parse(localStorage.getItem(k) || '{}')
    for (const el of form.elements) {
      if (el.name && saved[el.name] !== undefined && el.type !== 'file' && el.type !== 'password') {
        if (el.type === 'radio') el.checked = el.value === saved[el.name]
        else if (el.type === 'checkbox') el.checked = !!saved[el.name]
        else el.value = saved[el.name]
      }
    }
  } catch (e) { /* a broken draft is dropped */ }
  const save = () => {
    const v = values(form)
    for (const el of form.elements) if (el.type === 'password') delete v[el.name]
    localStorage.setItem(k, JSON.stringify(v))
  }
  form.addEventListener('input', save)
  form.addEventListener('change', save)
  return { save, clear: () => localStorage.removeItem(k) }
}

// busy disables a form's buttons while a request runs.
export async function busy (form, fn) {
  const buttons = [...form.querySelectorAll('button')]
  buttons.forEach(b => { b.disabled = true })
  form.classList.add('busy')
  try { return await fn() } finally {
    buttons.forEach(b => { b.disabled = false })
    form.classList.remove('busy')
  }
}

export function field (label, input, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'label' }, label), input, hint ? h('small', { class: 'hint' }, hint) : null)
}

// okImage checks a chosen photo before it is sent.
export function okImage (file) {
  return !file || (/^image\/(jpeg|png|webp)$/.test(file.type) && file.size <= 10 * 1024 * 1024)
}

export function validPhone (s) { return !s || /^1\d{10}$/.test(s) || /^0\d{2,3}-?\d{7,8}$/.test(s) }

// --- formatting ---

export function fmtTime (iso) {
  if (!iso) return ''
  const d = new Date(iso)
  return d.toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false })
}

export function fmtDuration (ms) {
  const m = Math.round(Math.abs(ms) / 60000)
  const d = Math.floor(m / 1440); const hh = Math.floor((m % 1440) / 60); const mm = m % 60
  if (lang === 'en') return d ? `${d}d ${hh}h` : hh ? `${hh}h ${mm}m` : `${mm}m`
  return d ? `${d}天${hh}小时` : hh ? `${hh}小时${mm}分` : `${mm}分钟`
}

export function pct (x) { return (x * 100).toFixed(1) + '%' }

export function statusChip (s) { return h('span', { class: 'chip st-' + s }, t('status.' + s)) }

// light shows the traffic light of a case and its deadline.
export function lightOf (c, now) {
  if (!c.light || !c.due_at || !isOpen(c.status)) return h('span', { class: 'light none' }, '—')
  const left = new Date(c.due_at) - (now || Date.now())
  const txt = left >= 0 ? t('cases.left', { t: fmtDuration(left) }) : t('cases.over', { t: fmtDuration(left) })
  return h('span', { class: 'light ' + c.light, title: t('light.' + c.light) }, h('i', { class: 'dot' }), txt)
}

export function isOpen (s) { return !['closed', 'rated', 'rejected', 'merged'].includes(s) }

export const STATUSES = ['reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified', 'closed', 'rated', 'rejected', 'merged', 'suspended']

// --- notices ---

export function toast (msg, kind) {
  let box = $('#toasts')
  if (!box) { box = h('div', { id: 'toasts', 'aria-live': 'polite' }); document.body.append(box) }
  const el = h('div', { class: 'toast ' + (kind || '') }, msg)
  box.append(el)
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000)
}

// --- session ---

export const GRID_ROLES = ['grid_leader', 'grid_worker', 'grid_worker_part', 'micro_grid_member', 'grid_police']

export function homeOf (user) {
  if (GRID_ROLES.includes(user.role)) return '/m/'
  if (user.role === 'resident') return '/report'
  if (user.role === 'department') return '/#/cases'
  return '/#/dashboard'
}

export async function currentUser () {
  try { return await api('GET', '/api/v1/me', undefined, { quiet401: true }) } catch (e) {
    if (e.status === 401) return null
    throw e
  }
}

export async function logout () {
  try { await api('POST', '/api/v1/auth/logout') } catch (e) { /* gone anyway */ }
  location.href = location.pathname.startsWith('/m/') ? '/m/' : '/'
}

// loginView draws the login form into root and calls done(user).
export function loginView (root, done, opts = {}) {
  const form = h('form', { class: 'login card', novalidate: true, id: 'login-form' },
    h('h1', null, t('app.name')),
    h('h2', null, t('login.title')),
    field(t('login.username'), h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true })),
    field(t('login.password'), h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    h('button', { type: 'submit', class: 'primary' }, t('login.submit')),
    h('p', { class: 'muted' }, h('a', { href: '/report' }, t('login.resident'))),
    opts.expired ? h('p', { class: 'notice' }, t('login.expired')) : null
  )
  form.addEventListener('submit', async e => {
    e.preventDefault()
    const v = values(form)
    const miss = {}
    if (!v.username) miss.username = t('err.required')
    if (!form.password.value) miss.password = t('err.required')
    if (Object.keys(miss).length) return showErrors(form, null, miss)
    await busy(form, async () => {
      try {
        const r = await api('POST', '/api/v1/auth/login', { username: v.username, password: form.password.value, cookie: true }, { quiet401: true })
        clearErrors(form)
        done(r.user)
      } catch (err) {
        if (err.status === 401) showErrors(form, null, { password: t('login.failed') })
        else showErrors(form, err)
      }
    })
  })
  clear(root, h('div', { class: 'login-wrap' }, h('div', { class: 'login-lang' }, langButton()), form))
}

// debounce delays fn until calls stop for ms, but no longer than maxWait
// after the first call it delays: under a steady stream of calls (the live
// feed's events) it still runs every maxWait.
export function debounce (fn, ms, maxWait = Infinity) {
  let timer
  let first = 0
  return (...a) => {
    const now = Date.now()
    if (!first) first = now
    clearTimeout(timer)
    timer = setTimeout(() => { first = 0; fn(...a) }, Math.max(0, Math.min(ms, first + maxWait - now)))
  }
}

// uuid is an idempotency key for a report.
export function uuid () {
  if (crypto.randomUUID) return crypto.randomUUID()
  const b = crypto.getRandomValues(new Uint8Array(16))
  return [...b].map(x => x.toString(16).padStart(2, '0')).join('')
}
