// Administration: units (import GeoJSON, edit, retire, history), users and
// their units, departments, categories with limits and routing, working
// calendars, webhooks. Every form keeps what was typed when a request fails.
import { t, h, clear, api, name, fmtTime, errorText, toast, showErrors, clearErrors, values, busy, field, keepDraft } from './core.js'

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
  body.append(
    h('div', { class: 'panel' }, h('h3', null, t('admin.units')),
      h('div', { class: 'filters' }, LEVELS.map(l => h('a', { href: '#/admin/units?level=' + l, class: 'chip' + (l === level ? ' st-reported' : '') }, t('level.' + l)))),
      h('p', { class: 'muted small' }, t('admin.split_merge'))),
    list,
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
  clear(list, table([t('admin.code'), t('admin.name_zh'), t('admin.name_en'), t('admin.households'), t('admin.population'), t('admin.version'), ''],
    r.items.map(u => h('tr', { 'data-unit': u.code }, h('td', null, u.code), h('td', null, u.name_zh), h('td', null, u.name_en || ''),
      h('td', null, String(u.households)), h('td', null, String(u.population)), h('td', null, 'v' + u.version),
      h('td', null,
        h('button', { type: 'button', onclick: e => editUnit(u, e.target.closest('tr')) }, t('common.edit')), ' ',
        h('button', { type: 'button', onclick: () => versions(u, list) }, t('admin.versions')), ' ',
        h('button', { type: 'button', onclick: async () => {
          if (!confirm(t('common.confirm'))) return
          try { const res = await api('DELETE', '/api/v1/units/' + u.code); toast(t('admin.retired', { n: res.retired }), 'ok') } catch (e) { toast(errorText(e), 'error') }
        } }, t('admin.retire')))))))
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

async function calendars (body, ctx) {
  let list
  try { list = await api('GET', '/api/v1/calendars') } catch (e) {
    if (e.status === 404) { body.append(h('p', { class: 'notice' }, t('common.unavailable'))); return }
    throw e
  }
  const rows = (list.items || list || [])
  body.append(table([t('admin.zone'), t('admin.weekdays'), t('admin.hours'), t('admin.overrides'), t('admin.start')], rows.map(c => h('tr', null,
    h('td', null, c.unit_code), h('td', null, JSON.stringify(c.calendar?.weekdays ?? '')), h('td', null, JSON.stringify(c.calendar?.hours ?? '')),
    h('td', null, String((c.calendar?.overrides || []).length)), h('td', null, c.calendar?.start || '')))),
  form('calendar-form', [
    field(t('admin.zone'), h('input', { name: 'unit', value: ctx.user.units[0] || '' })),
    field('JSON', h('textarea', { name: 'calendar', rows: 4 }))
  ], t('common.save'), async v => { await api('PUT', '/api/v1/calendars/' + encodeURIComponent(v.unit), JSON.parse(v.calendar || '{}')) }))
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
