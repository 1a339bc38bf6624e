// Administration: units (import GeoJSON, edit, split, merge, retire,
// versions and history), users and their units, departments, categories
// with limits and routing, working calendars, webhooks. Every form keeps
// what was typed when a request fails.
import { t, h, clear, api, name, fmtTime, errorText, toast, showErrors, clearErrors, values, busy, field, keepDraft, serverText, ApiError, CONFIG } from './core.js'
import { makeMap, wgsToGcj } from './map.js'

const L = window.L

const SECTIONS = ['units', 'users', 'departments', 'categories', 'calendars', 'webhooks']
const ROLES = ['admin', 'operator', 'department', 'cadre', 'grid_leader', 'grid_worker', 'grid_worker_part', 'micro_grid_member', 'grid_police']
const LEVELS = ['county', 'street', 'community', 'grid', 'micro_grid']

export async function adminPage (main, section, ctx) {
  main.className = 'admin'
  const body = h('div', { class: 'admin-body', id: 'admin-' + section })
  main.append(h('nav', { class: 'admin-nav' }, SECTIONS.map(s => h('a', { href: '#/admin/' + s, class: s === section ? 'active' : '' }, t('admin.' + s)))), body)
  await ({ units, users, departments, categories, calendars, webhooks }[section] || units)(body, ctx)
}

// form builds a form that posts with fn and reports errors next to fields.
function form (id, fields, submitLabel, fn) {
  const f = h('form', { class: 'inline panel', id, novalidate: true }, fields, h('button', { type: 'submit', class: 'primary' }, submitLabel))
  const draft = keepDraft(f, 'admin.' + id)
  f.addEventListener('submit', async e => {
    e.preventDefault()
    await busy(f, async () => {
      try { await fn(values(f), f); draft.clear(); clearErrors(f); toast(t('common.saved'), 'ok') } catch (err) { showErrors(f, err) }
    })
  })
  return f
}

function table (cols, rows) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'list' }, h('thead', null, h('tr', null, cols.map(c => h('th', null, c)))),
    h('tbody', null, rows)))
}

async function units (body) {
  const q = new URLSearchParams(location.hash.split('?')[1] || '')
  const level = q.get('level') || 'community'
  const r = await api('GET', '/api/v1/units?' + new URLSearchParams({ level, limit: 200, ...(q.get('q') ? { q: q.get('q') } : {}) }))
  const list = h('div')
  const work = h('div', { id: 'unit-work' }) // the split, merge and history panels
  const rerender = async () => { clear(body); await units(body) }
  body.append(
    h('div', { class: 'panel' }, h('h3', null, t('admin.units')),
      h('div', { class: 'filters' }, LEVELS.map(l => h('a', { href: '#/admin/units?level=' + l, class: 'chip' + (l === level ? ' st-reported' : '') }, t('level.' + l)))),
      h('p', { class: 'muted small' }, t('admin.split_merge'))),
    work,
    list,
    mergeForm(list, work, rerender),
    form('import-form', [
      field(t('admin.import_file'), h('input', { type: 'file', name: 'file', accept: '.json,.geojson,application/geo+json' })),
      field(t('admin.level'), h('select', { name: 'level' }, LEVELS.map(l => h('option', { value: l }, t('level.' + l))))),
      field(t('admin.import_parent'), h('input', { name: 'parent' })),
      field(t('admin.import_crs'), h('select', { name: 'crs' }, ['wgs84', 'gcj02', 'bd09'].map(c => h('option', { value: c }, c))))
    ], t('admin.import'), async (v, f) => {
      const file = f.file.files[0]
      if (!file) throw Object.assign(new Error('file'), { fields: {} })
      const fc = JSON.parse(await file.text())
      const res = await api('POST', '/api/v1/units/import?' + new URLSearchParams({ level: v.level, parent: v.parent, crs: v.crs }), fc)
      toast(t('admin.imported', { n: res.created }), 'ok')
    }))
  clear(list, table(['', t('admin.code'), t('admin.name_zh'), t('admin.name_en'), t('admin.households'), t('admin.population'), t('admin.version'), ''],
    r.items.map(u => h('tr', { 'data-unit': u.code },
      h('td', null, h('input', { type: 'checkbox', name: 'merge', value: u.code, 'aria-label': t('admin.merge_pick', { code: u.code }) })),
      h('td', null, u.code), h('td', null, u.name_zh), h('td', null, u.name_en || ''),
      h('td', null, String(u.households)), h('td', null, String(u.population)), h('td', null, 'v' + u.version),
      h('td', null,
        h('button', { type: 'button', onclick: e => editUnit(u, e.target.closest('tr')) }, t('common.edit')), ' ',
        h('button', { type: 'button', onclick: () => versions(u, list) }, t('admin.versions')), ' ',
        h('button', { type: 'button', 'data-split': u.code, onclick: () => splitPanel(u, work, rerender) }, t('admin.split')), ' ',
        h('button', { type: 'button', 'data-history': u.code, onclick: () => historyPanel(u.code, work) }, t('admin.history')), ' ',
        h('button', { type: 'button', onclick: async () => {
          if (!confirm(t('common.confirm'))) return
          try { const res = await api('DELETE', '/api/v1/units/' + u.code); toast(t('admin.retired', { n: res.retired }), 'ok') } catch (e) { toast(errorText(e), 'error') }
        } }, t('admin.retire')))))))
}

// problem translates a problem the server named; a percentage in it (the
// coverage of a split) is kept.
function problem (msg) {
  const s = serverText(msg)
  const n = msg.match(/(\d+(?:\.\d+)?) %/)
  return s !== msg && n ? s + ' (' + n[1] + ' %)' : s
}

// placeErrors shows a failed call's problems next to the fields they name:
// those in the GeoJSON of the parts (features…, parts…, geojson…) go next
// to its text box with their path, the selection of a merge (codes…) next
// to the list of picked units, the others next to their own input.
function placeErrors (f, err) {
  if (!(err instanceof ApiError) || !err.fields || !Object.keys(err.fields).length) { showErrors(f, err); return }
  const out = {}
  const loose = []
  for (const [k, msg] of Object.entries(err.fields)) {
    let target = k
    if (/^(features|parts|geojson)/.test(k)) target = 'geojson'
    else if (/^codes/.test(k)) target = 'codes'
    const text = (target !== k ? k + ': ' : '') + problem(msg)
    if (!f.querySelector(`[name="${CSS.escape(target)}"], [data-field~="${CSS.escape(target)}"]`)) { loose.push(text); continue }
    out[target] = out[target] ? out[target] + '; ' + text : text
  }
  if (Object.keys(out).length) showErrors(f, err, out)
  else clearErrors(f)
  if (loose.length) f.querySelector('.form-error')?.remove()
  if (loose.length) f.prepend(h('div', { class: 'form-error', role: 'alert' }, loose.join('; ')))
}

const gcjTiles = CONFIG.tile_crs === 'gcj02' && !!CONFIG.tile_url

// onMap turns a stored WGS84 geometry into what the map draws.
function onMap (g) {
  if (!gcjTiles || !g) return g
  const walk = c => typeof c[0] === 'number' ? wgsToGcj(c[0], c[1]) : c.map(walk)
  return { ...g, coordinates: walk(g.coordinates) }
}

// drawPreview draws the old outline (dashed) under the new shapes.
function drawPreview (host, state, old, shapes) {
  if (!state.map) {
    host.hidden = false
    state.map = makeMap(host)
  }
  state.layer?.remove()
  const colours = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf']
  state.layer = L.featureGroup([
    ...(old ? [L.geoJSON(onMap(old), { style: { color: '#555', weight: 3, dashArray: '6 4', fillOpacity: 0 } })] : []),
    ...shapes.map((g, i) => L.geoJSON(onMap(g), { style: { color: colours[i % colours.length], weight: 2, fillOpacity: 0.25 } }))
  ]).addTo(state.map)
  state.map.invalidateSize()
  const b = state.layer.getBounds()
  if (b.isValid()) state.map.fitBounds(b, { padding: [12, 12] })
}

// planView shows what a split or merge does (or did).
function planView (ch) {
  const cov = ch.coverage
  return h('div', { class: 'plan', id: 'change-plan' },
    cov ? h('p', { 'data-coverage': String(cov.ratio) }, t('admin.coverage', { pct: (cov.ratio * 100).toFixed(1) + ' %' })) : null,
    h('h4', null, t('admin.new_units')),
    table([t('admin.code'), t('admin.name_zh'), t('admin.households'), t('admin.population')], (ch.units || []).map(u => h('tr', { 'data-new': u.code },
      h('td', null, u.code), h('td', null, name(u)), h('td', null, String(u.households)), h('td', null, String(u.population))))),
    h('h4', null, t('admin.moves')),
    ch.moves.length ? table([t('admin.from'), t('admin.to'), t('admin.name_zh')], ch.moves.map(m => h('tr', { 'data-move': m.from }, h('td', null, m.from), h('td', null, m.to), h('td', null, name(m)))))
      : h('p', { class: 'muted small' }, t('common.none')),
    h('p', { class: 'small' }, t('admin.cases_moved', { n: ch.cases_moved }), ' · ', t('admin.assignments_moved', { n: ch.assignments_moved }),
      ' · ', t('admin.registry_moved', { b: ch.registry_moved.buildings, h: ch.registry_moved.households, p: ch.registry_moved.persons }),
      ch.registry_moved.unplaced ? h('span', { class: 'bad' }, ' · ', t('admin.registry_unplaced', { n: ch.registry_moved.unplaced })) : ''))
}

// partsBody reads the GeoJSON typed or uploaded for a split, and the shapes
// to draw before the server has checked them.
function partsBody (text) {
  const doc = JSON.parse(text)
  const features = doc.type === 'FeatureCollection' ? doc.features : doc.type === 'Feature' ? [doc] : null
  const list = Array.isArray(doc) ? doc : doc.parts
  const shapes = features ? features.map(f => f.geometry) : (list || []).map(p => p.boundary)
  return { doc, shapes: shapes.filter(Boolean) }
}

// splitPanel guides a split: the GeoJSON of the parts, a preview of the
// parts over the old outline with the server's dry run, then the change.
async function splitPanel (u, work, rerender) {
  const old = await api('GET', '/api/v1/units/' + u.code)
  const mapEl = h('div', { class: 'change-map', hidden: true, style: { height: '320px', margin: '8px 0' } })
  const planBox = h('div')
  const state = {}
  let planned = null // the text the last successful dry run checked
  const text = h('textarea', { name: 'geojson', rows: 8, spellcheck: 'false' })
  const crs = h('select', { name: 'crs' }, ['wgs84', 'gcj02', 'bd09'].map(c => h('option', { value: c }, c)))
  const note = h('input', { name: 'note' })
  const confirmBtn = h('button', { type: 'button', class: 'primary', 'data-step': 'confirm', disabled: true }, t('admin.confirm'))
  const f = h('form', { class: 'panel', id: 'split-form', 'data-unit': u.code, novalidate: true },
    h('h3', null, t('admin.split_title', { name: name(u), code: u.code })),
    h('p', { class: 'muted small' }, t('admin.split_help')),
    field(t('admin.parts_file'), h('input', { type: 'file', name: 'file', accept: '.json,.geojson,application/geo+json', onchange: async e => {
      const file = e.target.files[0]
      if (file) { text.value = await file.text(); text.dispatchEvent(new Event('input')) }
    } })),
    field(t('admin.parts_geojson'), text),
    field(t('admin.import_crs'), crs),
    field(t('admin.note'), note),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', 'data-step': 'preview' }, t('admin.preview')), ' ', confirmBtn, ' ',
      h('button', { type: 'button', onclick: () => f.remove() }, t('common.cancel'))),
    mapEl, planBox)
  const path = dry => '/api/v1/units/' + encodeURIComponent(u.code) + '/split?' + new URLSearchParams({ crs: crs.value, note: note.value, ...(dry ? { dry_run: 'true' } : {}) })
  const read = () => {
    try { return partsBody(text.value) } catch (e) {
      showErrors(f, null, { geojson: t('admin.bad_json', { msg: e.message }) })
      return null
    }
  }
  text.addEventListener('input', () => { confirmBtn.disabled = true; planned = null })
  crs.addEventListener('change', () => { confirmBtn.disabled = true; planned = null })
  f.addEventListener('submit', async e => {
    e.preventDefault()
    clearErrors(f)
    clear(planBox)
    const parts = read()
    if (!parts) return
    await busy(f, async () => {
      try {
        const ch = await api('POST', path(true), parts.doc)
        drawPreview(mapEl, state, old.boundary, ch.units.map(x => x.boundary))
        clear(planBox, planView(ch))
        planned = text.value
      } catch (err) {
        drawPreview(mapEl, state, old.boundary, parts.shapes)
        placeErrors(f, err)
      }
    })
    confirmBtn.disabled = planned === null
  })
  confirmBtn.addEventListener('click', async () => {
    if (planned === null || planned !== text.value) return
    const parts = read()
    if (!parts) return
    await busy(f, async () => {
      try {
        const ch = await api('POST', path(false), parts.doc)
        toast(t('admin.split_done', { n: ch.to.length }), 'ok')
        await rerender()
        await historyPanel(u.code, document.getElementById('unit-work'))
      } catch (err) { placeErrors(f, err) }
    })
  })
  clear(work, f)
  f.scrollIntoView({ block: 'start' })
}

// mergeForm merges the units ticked in the list.
function mergeForm (list, work, rerender) {
  const picked = h('p', { class: 'small', 'data-field': 'codes', id: 'merge-picked' }, t('admin.none_selected'))
  const mapEl = h('div', { class: 'change-map', hidden: true, style: { height: '280px', margin: '8px 0' } })
  const planBox = h('div')
  const state = {}
  let planned = null
  const codes = () => [...list.querySelectorAll('input[name=merge]:checked')].map(c => c.value)
  const body = () => {
    const v = values(f)
    return { codes: codes(), code: v.code || undefined, name_zh: v.name_zh, name_en: v.name_en, note: v.note }
  }
  const confirmBtn = h('button', { type: 'button', class: 'primary', 'data-step': 'confirm', disabled: true }, t('admin.confirm'))
  const f = h('form', { class: 'panel', id: 'merge-form', novalidate: true },
    h('h3', null, t('admin.merge_title')),
    h('p', { class: 'muted small' }, t('admin.merge_help')),
    picked,
    h('div', { class: 'inline' },
      field(t('admin.name_zh'), h('input', { name: 'name_zh' })),
      field(t('admin.name_en'), h('input', { name: 'name_en' })),
      field(t('admin.new_code'), h('input', { name: 'code' })),
      field(t('admin.note'), h('input', { name: 'note' }))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', 'data-step': 'preview' }, t('admin.preview')), ' ', confirmBtn),
    mapEl, planBox)
  const changed = () => { confirmBtn.disabled = true; planned = null }
  list.addEventListener('change', e => {
    if (e.target.name !== 'merge') return
    const c = codes()
    picked.textContent = c.length ? t('admin.selected', { codes: c.join(', ') }) : t('admin.none_selected')
    changed()
  })
  f.addEventListener('input', changed)
  f.addEventListener('submit', async e => {
    e.preventDefault()
    clearErrors(f)
    clear(planBox)
    await busy(f, async () => {
      try {
        const b = body()
        const ch = await api('POST', '/api/v1/units/merge?dry_run=true', b)
        drawPreview(mapEl, state, null, ch.units.map(x => x.boundary).filter(Boolean))
        clear(planBox, planView(ch))
        planned = JSON.stringify(b)
      } catch (err) { placeErrors(f, err) }
    })
    confirmBtn.disabled = planned === null
  })
  confirmBtn.addEventListener('click', async () => {
    const b = body()
    if (planned !== JSON.stringify(b)) return
    await busy(f, async () => {
      try {
        const ch = await api('POST', '/api/v1/units/merge', b)
        toast(t('admin.merge_done', { code: ch.to[0] }), 'ok')
        await rerender()
        await historyPanel(ch.to[0], document.getElementById('unit-work'))
      } catch (err) { placeErrors(f, err) }
    })
  })
  return f
}

// historyPanel lists the splits and merges a unit took part in.
async function historyPanel (code, work) {
  let hist
  try { hist = await api('GET', '/api/v1/units/' + encodeURIComponent(code) + '/history') } catch (e) { toast(errorText(e), 'error'); return }
  clear(work, h('div', { class: 'panel', id: 'unit-history', 'data-unit': code },
    h('h3', null, code, ' — ', t('admin.history')),
    hist.length ? table([t('admin.when'), t('admin.kind'), t('admin.from'), t('admin.to'), t('admin.moves'), t('admin.who'), t('admin.note')],
      hist.map(c => h('tr', { 'data-change': c.kind },
        h('td', null, fmtTime(c.at)), h('td', null, t('admin.kind_' + c.kind)), h('td', null, c.from.join(', ')), h('td', null, c.to.join(', ')),
        h('td', null, String(c.moves.length)), h('td', null, c.actor || ''), h('td', null, c.note || ''))))
      : h('p', { class: 'muted' }, t('admin.no_history'))))
}

function editUnit (u, row) {
  const f = form('unit-' + u.code, [
    field(t('admin.name_zh'), h('input', { name: 'name_zh', value: u.name_zh })),
    field(t('admin.name_en'), h('input', { name: 'name_en', value: u.name_en || '' })),
    field(t('admin.households'), h('input', { name: 'households', type: 'number', min: 0, value: u.households })),
    field(t('admin.population'), h('input', { name: 'population', type: 'number', min: 0, value: u.population })),
    field(t('admin.boundary'), h('textarea', { name: 'boundary', rows: 2 }))
  ], t('common.save'), async v => {
    const body = { name_zh: v.name_zh, name_en: v.name_en, households: Number(v.households), population: Number(v.population) }
    if (v.boundary) body.boundary = JSON.parse(v.boundary)
    await api('PUT', '/api/v1/units/' + u.code, body)
  })
  row.after(h('tr', null, h('td', { colspan: 7 }, f)))
}

async function versions (u, list) {
  const vs = await api('GET', '/api/v1/units/' + u.code + '/versions')
  list.prepend(h('div', { class: 'panel' }, h('h3', null, name(u), ' — ', t('admin.versions')),
    table([t('admin.version'), t('admin.name_zh'), t('admin.valid_from'), t('admin.valid_to')],
      vs.map(v => h('tr', null, h('td', null, 'v' + v.version), h('td', null, v.name_zh), h('td', null, fmtTime(v.valid_from)), h('td', null, v.valid_to ? fmtTime(v.valid_to) : '—'))))))
}

async function users (body, ctx) {
  const r = await api('GET', '/api/v1/users?limit=200')
  body.append(
    form('user-form', [
      field(t('admin.username'), h('input', { name: 'username', required: true })),
      field(t('admin.name'), h('input', { name: 'name' })),
      field(t('admin.role'), h('select', { name: 'role' }, ROLES.map(x => h('option', { value: x }, t('role.' + x))))),
      field(t('admin.routing_dept'), h('select', { name: 'department_id' }, h('option', { value: '' }, t('common.none')), ctx.departments.map(d => h('option', { value: d.id }, name(d))))),
      field(t('admin.assign'), h('input', { name: 'units' })),
      field(t('admin.password'), h('input', { name: 'password', type: 'password', autocomplete: 'new-password' }))
    ], t('common.create'), async (v, f) => {
      await api('POST', '/api/v1/users', { username: v.username, name: v.name, role: v.role, password: f.password.value,
        department_id: v.department_id ? Number(v.department_id) : undefined, units: v.units ? v.units.split(',').map(s => s.trim()).filter(Boolean) : [] })
    }),
    table([t('admin.username'), t('admin.name'), t('admin.role'), t('admin.assign'), ''], r.items.map(u => h('tr', null,
      h('td', null, u.username), h('td', null, u.name), h('td', null, t('role.' + u.role)), h('td', null, (u.units || []).join(', ')),
      h('td', null, h('button', { type: 'button', onclick: async () => {
        const units = prompt(t('admin.assign'), (u.units || []).join(','))
        if (units === null) return
        try { await api('PUT', '/api/v1/users/' + u.id + '/assignments', { units: units.split(',').map(s => s.trim()).filter(Boolean) }); toast(t('common.saved'), 'ok') } catch (e) { toast(errorText(e), 'error') }
      } }, t('admin.set_units')))))),
    h('p', { class: 'muted small' }, t('common.page', { n: 1, total: r.total })))
}

async function departments (body, ctx) {
  body.append(
    form('dept-form', [
      field(t('admin.code'), h('input', { name: 'code', required: true })),
      field(t('admin.name_zh'), h('input', { name: 'name_zh', required: true })),
      field(t('admin.name_en'), h('input', { name: 'name_en' })),
      field(t('admin.zone'), h('input', { name: 'unit_code', value: ctx.user.units[0] || '' }))
    ], t('common.create'), async v => { await api('POST', '/api/v1/departments', v) }),
    table([t('admin.code'), t('admin.name_zh'), t('admin.name_en'), t('admin.zone')],
      ctx.departments.map(d => h('tr', null, h('td', null, d.code), h('td', null, d.name_zh), h('td', null, d.name_en), h('td', null, d.unit_code)))))
}

async function categories (body, ctx) {
  const cats = ctx.catalogue.categories.filter(c => c.code.length === 4)
  const lim = l => l ? l.value + (l.unit === 'days' ? t('common.days') : t('common.whours')) : ''
  body.append(table([t('admin.code'), t('cases.category'), t('admin.kind'), t('admin.limits'), t('admin.routing')], cats.map(c => h('tr', null,
    h('td', null, c.code), h('td', null, name(c)), h('td', null, c.kind),
    h('td', null, [c.limits.accept, c.limits.dispatch, c.limits.handle, c.limits.verify].map(lim).join(' / ')),
    h('td', null, h('select', { onchange: async e => {
      try { await api('PUT', '/api/v1/routing/' + c.code, { rules: e.target.value ? [{ department_id: Number(e.target.value) }] : [] }); toast(t('common.saved'), 'ok') } catch (err) { toast(errorText(err), 'error') }
    } }, h('option', { value: '' }, '—'), ctx.departments.map(d => h('option', { value: d.id, selected: d.code === c.department }, name(d)))))))))
}

// calendars lists the units' own working calendars and edits one: the
// national calendar with local days, or a calendar of its own (zone, week,
// hours). The server's problems appear next to the input they name
// (calendar.overrides[2].date next to that date).
async function calendars (body, ctx) {
  let list
  try { list = await api('GET', '/api/v1/calendars') } catch (e) {
    if (e.status === 404) { body.append(h('p', { class: 'notice' }, t('common.unavailable'))); return }
    throw e
  }
  const rows = list.calendars || []
  const rerender = async () => { clear(body); await calendars(body, ctx) }
  const days = h('tbody')
  const unit = h('input', { name: 'unit_code', value: ctx.user.units[0] || '', required: true })
  const base = h('select', { name: 'calendar.base' }, h('option', { value: 'cn' }, t('admin.cal_base_cn')), h('option', { value: '' }, t('admin.cal_base_custom')))
  const custom = h('div', { class: 'inline', 'data-custom': '' },
    field(t('admin.cal_zone'), h('input', { name: 'calendar.zone', placeholder: 'Asia/Shanghai' })),
    field(t('admin.cal_weekdays'), h('input', { name: 'calendar.weekdays', placeholder: '1,2,3,4,5', 'data-field': listTokens('calendar.weekdays') })),
    field(t('admin.cal_hours'), h('input', { name: 'calendar.hours', placeholder: '08:30-12:00,14:00-17:30', 'data-field': listTokens('calendar.hours') })))
  const showCustom = () => { custom.hidden = base.value === 'cn' }
  base.addEventListener('change', showCustom)
  const addDay = (o = {}) => {
    const i = days.children.length
    days.append(h('tr', { 'data-day': '' },
      h('td', null, h('input', { type: 'date', name: `calendar.overrides[${i}].date`, value: o.date || '', 'aria-label': t('admin.cal_date') })),
      h('td', null, h('select', { name: `calendar.overrides[${i}].kind`, 'aria-label': t('admin.cal_kind') },
        ['holiday', 'workday'].map(k => h('option', { value: k, selected: o.kind === k }, t('admin.' + k))))),
      h('td', null, h('input', { name: `calendar.overrides[${i}].name`, value: o.name || '', 'aria-label': t('admin.cal_name') })),
      h('td', null, h('button', { type: 'button', onclick: e => { e.target.closest('tr').remove(); renumber() } }, t('common.delete')))))
  }
  // After a row is removed the names follow the order again, so that the
  // server's overrides[i] names the row on screen.
  const renumber = () => [...days.children].forEach((tr, i) => tr.querySelectorAll('[name]').forEach(el => {
    el.name = el.name.replace(/overrides\[\d+\]/, `overrides[${i}]`)
  }))
  const load = c => {
    unit.value = c.unit_code
    base.value = c.calendar.base === 'cn' ? 'cn' : ''
    f.querySelector('[name="calendar.zone"]').value = c.calendar.zone || ''
    f.querySelector('[name="calendar.weekdays"]').value = (c.calendar.weekdays || []).join(',')
    f.querySelector('[name="calendar.hours"]').value = (c.calendar.hours || []).join(',')
    clear(days)
    for (const o of c.calendar.overrides || []) addDay(o)
    showCustom()
    clearErrors(f)
  }
  const spec = () => {
    const v = values(f)
    const out = {}
    if (v['calendar.base'] === 'cn') out.base = 'cn'
    else {
      out.zone = v['calendar.zone']
      const week = v['calendar.weekdays'] ? v['calendar.weekdays'].split(',').map(x => x.trim()) : []
      out.weekdays = week.map(x => /^\d+$/.test(x) ? Number(x) : -1)
      out.hours = v['calendar.hours'] ? v['calendar.hours'].split(',').map(x => x.trim()) : []
    }
    out.overrides = [...days.children].map((tr, i) => ({ date: v[`calendar.overrides[${i}].date`], kind: v[`calendar.overrides[${i}].kind`], name: v[`calendar.overrides[${i}].name`] || undefined }))
    return out
  }
  const f = h('form', { class: 'panel', id: 'calendar-form', novalidate: true },
    h('h3', null, t('admin.calendars')),
    h('div', { class: 'inline' }, field(t('admin.cal_unit'), unit), field(t('admin.cal_base'), base)),
    custom,
    h('h4', null, t('admin.cal_days')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
      h('thead', null, h('tr', null, [t('admin.cal_date'), t('admin.cal_kind'), t('admin.cal_name'), ''].map(c => h('th', null, c)))), days)),
    h('div', { class: 'actions' },
      h('button', { type: 'button', id: 'calendar-add-day', onclick: () => addDay() }, t('admin.add_day')), ' ',
      h('button', { type: 'submit', class: 'primary' }, t('common.save'))))
  f.addEventListener('submit', async e => {
    e.preventDefault()
    clearErrors(f)
    await busy(f, async () => {
      try {
        if (!unit.value.trim()) { showErrors(f, null, { unit_code: t('err.required') }); return }
        await api('PUT', '/api/v1/calendars/' + encodeURIComponent(unit.value.trim()), spec())
        toast(t('common.saved'), 'ok')
        await rerender()
      } catch (err) { placeErrors(f, err) }
    })
  })
  showCustom()
  body.append(
    h('div', { class: 'panel' },
      h('p', { class: 'muted small' }, t('admin.cal_default')),
      rows.length ? table([t('admin.zone'), t('admin.cal_base'), t('admin.weekdays'), t('admin.hours'), t('admin.overrides'), ''], rows.map(c => h('tr', { 'data-calendar': c.unit_code },
        h('td', null, c.unit_code),
        h('td', null, c.calendar.base === 'cn' ? t('admin.cal_base_cn') : (c.calendar.zone || '')),
        h('td', null, (c.calendar.weekdays || []).join(',')),
        h('td', null, (c.calendar.hours || []).join(', ')),
        h('td', null, (c.calendar.overrides || []).map(o => o.date + (o.name ? ' ' + o.name : '') + ' (' + t('admin.' + o.kind) + ')').join('; ')),
        h('td', null,
          h('button', { type: 'button', 'data-edit': c.unit_code, onclick: () => load(c) }, t('common.edit')), ' ',
          h('button', { type: 'button', 'data-delete': c.unit_code, onclick: async () => {
            if (!confirm(t('common.confirm'))) return
            try { await api('DELETE', '/api/v1/calendars/' + encodeURIComponent(c.unit_code)); toast(t('admin.deleted'), 'ok'); await rerender() } catch (e) { toast(errorText(e), 'error') }
          } }, t('common.delete'))))))
        : h('p', { class: 'muted', id: 'calendars-empty' }, t('admin.cal_none'))),
    f)
}

// listTokens names a list input and each of its elements, so that a
// problem with hours[2] is shown next to the hours.
function listTokens (name) {
  return [name, ...Array.from({ length: 16 }, (_, i) => `${name}[${i}]`)].join(' ')
}

async function webhooks (body) {
  const list = await api('GET', '/api/v1/webhooks')
  body.append(
    form('webhook-form', [
      field(t('admin.url'), h('input', { name: 'url', type: 'url', required: true })),
      field(t('admin.events'), h('input', { name: 'events', value: '*' }))
    ], t('common.create'), async v => {
      const w = await api('POST', '/api/v1/webhooks', v)
      alert(t('admin.secret', { s: w.secret || '' }))
    }),
    table([t('admin.url'), t('admin.events'), ''], list.map(w => h('tr', null, h('td', null, w.url), h('td', null, w.events),
      h('td', null, h('button', { type: 'button', onclick: async () => {
        if (!confirm(t('common.confirm'))) return
        try { await api('DELETE', '/api/v1/webhooks/' + w.id); toast(t('common.saved'), 'ok') } catch (e) { toast(errorText(e), 'error') }
      } }, t('common.delete')))))))
}
