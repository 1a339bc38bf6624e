// The grid worker's app (mobile first, installable, works offline): my
// grid on a map, report a problem with the phone's position and a photo,
// my tasks with their lights, households due for a visit. Reports and
// visits go through the outbox (queue.js).
import {
  t, h, clear, api, name, langButton, loginView, currentUser, logout, homeOf, GRID_ROLES, fmtTime, statusChip, lightOf,
  errorText, toast, showErrors, clearErrors, values, field, okImage, keepDraft, uuid, isOpen, $, ApiError
} from './core.js'
import { makeMap, Boundaries, decodePoints, Clusters, mapCRS, toMap } from './map.js'
import { casePage } from './casepage.js'
import * as outbox from './queue.js'

const L = window.L
const root = document.getElementById('app')
const ctx = { user: null, catalogue: { categories: [] }, departments: [], units: [], deptByID: {}, catByCode: {}, unitByCode: {} }
let cleanup = []
const netbar = h('div', { class: 'netbar', id: 'netbar', 'aria-live': 'polite' })

if ('serviceWorker' in navigator) navigator.serviceWorker.register('/m/sw.js', { scope: '/m/' }).catch(() => {})

function cacheSet (k, v) { try { localStorage.setItem('wangge.m.' + k, JSON.stringify(v)) } catch (e) { /* full */ } }
function cacheGet (k) { try { return JSON.parse(localStorage.getItem('wangge.m.' + k)) } catch (e) { return null } }

async function start () {
  let u = null
  try { u = await currentUser() } catch (e) {
    if (e.code === 'network') u = cacheGet('user') // offline: the last user of this phone
  }
  if (!u) return loginView(root, user => { cacheSet('user', user); GRID_ROLES.includes(user.role) ? start() : (location.href = homeOf(user)) })
  if (!GRID_ROLES.includes(u.role) && u.role !== 'admin') { location.href = homeOf(u); return }
  ctx.user = u
  cacheSet('user', u)
  await loadContext()
  window.addEventListener('hashchange', route)
  window.addEventListener('langchange', route)
  window.addEventListener('online', () => sync())
  window.addEventListener('offline', () => updateNet())
  window.addEventListener('unauthorized', () => { localStorage.removeItem('wangge.m.user'); location.reload() })
  setInterval(() => sync(), 15000)
  route()
  sync()
}

async function loadContext () {
  try {
    const [cat, deps, units] = await Promise.all([
      api('GET', '/api/v1/catalogue'), api('GET', '/api/v1/departments'), api('GET', '/api/v1/units?level=grid&limit=1000')])
    cacheSet('ctx', { cat, deps, units: units.items })
  } catch (e) { /* offline: the cached copy */ }
  const c = cacheGet('ctx') || { cat: { categories: [] }, deps: [], units: [] }
  ctx.catalogue = c.cat
  ctx.departments = c.deps
  ctx.units = c.units
  ctx.deptByID = Object.fromEntries(c.deps.map(d => [d.id, d]))
  ctx.catByCode = Object.fromEntries(c.cat.categories.map(x => [x.code, x]))
  ctx.unitByCode = Object.fromEntries(c.units.map(x => [x.code, x]))
}

// sync sends the outbox and shows what is left.
async function sync () {
  if (navigator.onLine) {
    await outbox.flush(item => {
      if (item.failed) toast(errorText(new ApiError(400, { code: 'invalid', message: item.failed })), 'error')
      else if (item.kind === 'report') toast(t('worker.sent', { number: item.number || '' }), 'ok')
      else toast(t('worker.visit_done'), 'ok')
    }).catch(() => {})
  }
  updateNet()
}

async function updateNet () {
  const n = (await outbox.all().catch(() => [])).filter(i => !i.failed).length
  const parts = []
  if (!navigator.onLine) parts.push(t('worker.offline'))
  if (n) parts.push(t('worker.queue', { n }))
  netbar.textContent = parts.join(' · ')
  netbar.className = 'netbar' + (navigator.onLine ? '' : ' offline')
  netbar.dataset.pending = n
}

function route () {
  for (const fn of cleanup) fn()
  cleanup = []
  const [tab, arg] = (location.hash.slice(1) || 'tasks').split('/')
  const main = h('main', { class: 'm-main', id: 'view' })
  const tabs = [['grid', 'worker.grid'], ['report', 'worker.report'], ['tasks', 'worker.tasks'], ['visits', 'worker.visits']]
  clear(root,
    h('header', { class: 'm-top' }, h('h1', null, t('app.short'), ' · ', ctx.user.name), langButton(),
      h('button', { type: 'button', class: 'link', id: 'logout', onclick: logout }, t('nav.logout'))),
    netbar, main,
    h('nav', { class: 'tabs' }, tabs.map(([k, key]) => h('a', { href: '#' + k, class: (tab === k || (tab === 'task' && k === 'tasks')) ? 'active' : '', 'data-tab': k }, t(key)))))
  updateNet()
  const run = { grid: gridTab, report: reportTab, tasks: tasksTab, visits: visitsTab, task: taskTab }[tab] || tasksTab
  Promise.resolve(run(main, arg)).catch(e => main.append(h('p', { class: 'form-error' }, errorText(e))))
}

// --- my grid ---

async function gridTab (main) {
  const el = h('div', { class: 'map tall', id: 'grid-map' })
  main.append(el)
  const map = makeMap(el)
  cleanup.push(() => map.remove())
  const roots = ctx.user.units.length ? ctx.user.units : ['']
  const layers = roots.map(code => new Boundaries(map, { under: code }))
  const fcs = await Promise.all(layers.map(b => Promise.all([b.load('grid'), b.load('micro_grid')])))
  layers.forEach(b => { b.visible = () => ['grid', 'micro_grid']; b.update() })
  const b = layers[0].bounds()
  if (b) map.fitBounds(b, { padding: [10, 10] })
  else map.setView(toMap(26.47, 116.01), 14) // WGS84, drawn on the map's tiles (GCJ-02 or not)
  const clusters = new Clusters(map, { onClick: p => { location.hash = '#task/' + p.id } })
  try {
    clusters.set(decodePoints(await api('GET', '/api/v1/web/points?open=true')))
  } catch (e) { /* offline: boundaries only */ }
  return fcs
}

// --- report ---

function categorySelect (selected) {
  const cats = ctx.catalogue.categories
  return h('select', { name: 'category', required: true },
    h('option', { value: '' }, t('report.choose')),
    cats.filter(c => c.code.length === 2).map(m => h('optgroup', { label: name(m) },
      cats.filter(c => c.code.length === 4 && c.code.startsWith(m.code)).map(c => h('option', { value: c.code, selected: c.code === selected }, name(c))))))
}

function reportTab (main) {
  const pos = h('div', { class: 'muted small', id: 'gps-state' })
  const mapEl = h('div', { class: 'map', id: 'report-map' })
  const form = h('form', { id: 'report-form', novalidate: true, class: 'panel' },
    h('h2', null, t('report.title')),
    field(t('report.category'), categorySelect()),
    field(t('report.description'), h('textarea', { name: 'description', rows: 4, required: true, maxlength: 2000 })),
    h('div', { class: 'field', 'data-field': 'lat lon' }, h('span', { class: 'label' }, t('worker.location')),
      h('button', { type: 'button', id: 'use-gps', onclick: locate }, '📍 ', t('worker.use_gps')), pos, mapEl),
    h('input', { type: 'hidden', name: 'lat' }), h('input', { type: 'hidden', name: 'lon' }), h('input', { type: 'hidden', name: 'crs' }),
    field(t('report.address') + ' (' + t('common.optional') + ')', h('input', { name: 'address', maxlength: 200 })),
    field(t('report.photo') + ' (' + t('common.optional') + ')', h('input', { name: 'photo', type: 'file', accept: 'image/jpeg,image/png,image/webp', capture: 'environment' })),
    h('button', { type: 'submit', class: 'primary' }, t('report.submit')))
  main.append(form)
  const draft = keepDraft(form, 'worker.report')
  let marker = null
  const map = makeMap(mapEl)
  cleanup.push(() => map.remove())
  const mine = new Boundaries(map, { under: ctx.user.units[0] })
  mine.load('grid').then(() => { mine.visible = () => ['grid']; mine.update(); const b = mine.bounds(); if (b && !marker) map.fitBounds(b) }).catch(() => map.setView([26.47, 116.01], 14))
  const place = (lat, lon, crs, ll) => {
    form.lat.value = lat; form.lon.value = lon; form.crs.value = crs
    if (marker) marker.setLatLng(ll); else marker = L.marker(ll).addTo(map)
    draft.save()
  }
  if (form.lat.value) { const ll = [Number(form.lat.value), Number(form.lon.value)]; map.setView(ll, 16); place(form.lat.value, form.lon.value, form.crs.value, ll) }
  map.on('click', e => { place(e.latlng.lat.toFixed(7), e.latlng.lng.toFixed(7), mapCRS, e.latlng); pos.textContent = '' })
  function locate () {
    pos.textContent = t('map.here')
    navigator.geolocation.getCurrentPosition(p => {
      // The browser gives WGS84; the server converts what the map shows.
      const ll = toMap(p.coords.latitude, p.coords.longitude) // where it lies on the map's tiles
      place(p.coords.latitude.toFixed(7), p.coords.longitude.toFixed(7), 'wgs84', ll)
      map.setView(ll, 17)
      pos.textContent = t('worker.gps_ok', { acc: Math.round(p.coords.accuracy) })
    }, () => { pos.textContent = t('worker.gps_fail') }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 })
  }
  form.addEventListener('submit', async e => {
    e.preventDefault()
    const v = values(form)
    const file = form.photo.files[0]
    const problems = {}
    if (!v.category) problems.category = t('err.required')
    if (!v.description) problems.description = t('err.required')
    if (file && !okImage(file)) problems.photo = t('err.image')
    if (Object.keys(problems).length) return showErrors(form, null, problems)
    clearErrors(form)
    const body = { category: v.category, description: v.description }
    if (v.address) body.address = v.address
    if (v.lat) { body.lat = Number(v.lat); body.lon = Number(v.lon); body.crs = v.crs || 'wgs84' } else body.unit_code = ctx.user.units[0]
    const key = uuid()
    await outbox.put({ key, kind: 'report', body, photo: file || null, photoName: file?.name, created: Date.now() })
    draft.clear()
    form.reset()
    form.lat.value = form.lon.value = ''
    if (marker) { marker.remove(); marker = null }
    if (!navigator.onLine) toast(t('worker.queued'))
    await sync()
    const left = (await outbox.all()).find(i => i.key === key)
    if (left && left.failed) {
      // The server refused it: give the report back to the form with the reasons.
      await outbox.remove(key)
      for (const k in left.body) if (form[k] && typeof left.body[k] !== 'object') form[k].value = left.body[k]
      showErrors(form, new ApiError(400, { code: 'invalid', message: left.failed, fields: left.fields || {} }))
    } else if (left) toast(t('worker.queued'))
  })
}

// --- tasks ---

async function tasksTab (main) {
  const list = h('div', { id: 'tasks' })
  main.append(h('h2', null, t('worker.tasks')), list)
  let items
  try {
    const r = await api('GET', '/api/v1/cases?open=true&limit=200')
    items = r.items
    cacheSet('tasks', items)
  } catch (e) {
    if (e.code !== 'network') throw e
    items = cacheGet('tasks') || []
    list.before(h('p', { class: 'notice' }, t('worker.offline')))
  }
  const rank = { red: 0, yellow: 1, green: 2, '': 3 }
  items.sort((a, b) => (rank[a.light || ''] - rank[b.light || '']) || (new Date(a.due_at || 8.64e15) - new Date(b.due_at || 8.64e15)))
  const now = Date.now()
  clear(list, items.length ? items.map(c => h('a', { class: 'task ' + (c.light || ''), href: '#task/' + c.id, 'data-case': c.number },
    h('div', { class: 'top' }, h('b', null, name(ctx.catByCode[c.category]) || c.category), statusChip(c.status)),
    h('div', { class: 'desc' }, c.description.slice(0, 80)),
    h('div', { class: 'top small muted' }, h('span', null, c.number), lightOf(c, now)))) : h('p', { class: 'muted' }, t('worker.no_tasks')))
}

async function taskTab (main, id) {
  await casePage(main, Number(id), ctx, fn => cleanup.push(fn), { compact: true, back: () => { location.hash = '#tasks' } })
}

// --- visits ---

async function visitsTab (main) {
  const tier = sessionStorage.getItem('wangge.m.tier') || ''
  const seg = h('div', { class: 'seg' }, [['', 'common.all'], ['high_risk', 'worker.tier.high_risk'], ['key', 'worker.tier.key'], ['general', 'worker.tier.general']].map(([k, key]) =>
    h('a', { href: '#visits', class: tier === k ? 'active' : '', onclick: e => { e.preventDefault(); sessionStorage.setItem('wangge.m.tier', k); route() } }, t(key))))
  const list = h('div', { id: 'visits' })
  main.append(h('h2', null, t('worker.due_visits')), seg, list)
  const q = new URLSearchParams({ visit_due: 'now', limit: 100 })
  if (tier) q.set('care_tier', tier)
  let r
  try {
    r = await api('GET', '/api/v1/persons?' + q)
    cacheSet('visits.' + tier, r)
  } catch (e) {
    if (e.code !== 'network') throw e
    r = cacheGet('visits.' + tier) || { items: [], total: 0 }
  }
  const pending = new Set((await outbox.all().catch(() => [])).filter(i => i.kind === 'visit').map(i => i.personId))
  clear(list, r.items.length ? r.items.filter(p => !pending.has(p.id)).map(p => personCard(p)) : h('p', { class: 'muted' }, t('common.empty')))
}

function personCard (p) {
  const box = h('div', { class: 'person', 'data-person': p.id },
    h('div', { class: 'top' }, h('b', null, p.name), h('span', { class: 'chip' + (p.care_tier === 'high_risk' ? ' red' : p.care_tier === 'key' ? ' yellow' : '') }, t('worker.tier.' + p.care_tier))),
    h('div', { class: 'small muted' }, (p.tags || []).join(' · ')),
    h('div', { class: 'small' }, t('worker.last_visit', { t: p.last_visit ? fmtTime(p.last_visit) : t('worker.never') }), ' · ',
      t('worker.next_due', { t: p.next_visit_due ? fmtTime(p.next_visit_due) : '—' })))
  const open = h('button', { type: 'button', class: 'record', onclick: () => { open.remove(); box.append(visitForm(p, box)) } }, t('worker.visit'))
  box.append(open)
  return box
}

function visitForm (p, box) {
  const form = h('form', { novalidate: true },
    field(t('worker.visit_note'), h('textarea', { name: 'note', rows: 3, required: true, maxlength: 2000 })),
    h('button', { type: 'submit', class: 'primary' }, t('common.submit')))
  const draft = keepDraft(form, 'visit.' + p.id)
  form.addEventListener('submit', async e => {
    e.preventDefault()
    const v = values(form)
    if (!v.note) return showErrors(form, null, { note: t('err.required') })
    const key = uuid()
    await outbox.put({ key, kind: 'visit', personId: p.id, body: { note: v.note, at: new Date().toISOString(), idempotency_key: key }, created: Date.now() })
    draft.clear()
    box.remove()
    if (!navigator.onLine) toast(t('worker.queued'))
    sync()
  })
  return form
}

window.STATIC = JSON.parse($('#config').textContent).static
start()
export { isOpen }
