// The case page, shared by the console and the grid worker's app: the
// case, its deadline light, photos, the whole timeline, and a form for
// each action the viewer's role allows now.
import {
  t, h, clear, api, name, fmtTime, statusChip, lightOf, errorText, toast, showErrors, clearErrors, values, busy, field, okImage, keepDraft, isOpen, ApiError
} from './core.js'
import { makeMap, toMap } from './map.js'

const L = window.L

// Which actions need what.
const NEEDS_NOTE = ['return', 'verify_fail', 'request_extension', 'suspend']
const WITH_PHOTO = ['self_resolve', 'finish', 'verify_ok', 'verify_fail', 'start', 'comment']
const LEVELS_UP = ['grid', 'community', 'street', 'county', 'city']

export async function casePage (main, id, ctx, onLeave, opts = {}) {
  main.className = 'case-page' + (opts.compact ? ' compact' : '')
  const [c, events, photos] = await Promise.all([
    api('GET', '/api/v1/cases/' + id),
    api('GET', '/api/v1/cases/' + id + '/timeline'),
    api('GET', '/api/v1/cases/' + id + '/photos').catch(() => [])
  ])
  const reload = () => casePage(clear(main), id, ctx, onLeave, opts)
  const cat = ctx.catByCode[c.category]
  const dept = c.department_id ? ctx.deptByID[c.department_id] : null
  const unit = ctx.unitByCode?.[c.unit_code] || ctx.unitByCode?.[c.unit_code.slice(0, 15)]
  const row = (k, v) => v ? h('div', { class: 'kv' }, h('dt', null, t(k)), h('dd', null, v)) : null
  const mapEl = h('div', { class: 'map small', id: 'case-map' })

  const details = h('section', { class: 'panel case-main' },
    h('div', { class: 'case-head' },
      opts.back ? h('button', { type: 'button', class: 'link', onclick: opts.back }, '← ', t('common.back')) : h('a', { href: '#/cases', class: 'link' }, '← ', t('cases.title')),
      h('h2', { id: 'case-number' }, c.number),
      statusChip(c.status), lightOf(c),
      c.urgent ? h('span', { class: 'chip urgent' }, t('cases.urgent')) : null,
      c.extension_pending ? h('span', { class: 'chip warn' }, t('cases.extension_pending')) : null,
      c.duplicate_of ? h('a', { class: 'chip warn', href: '#/case/' + c.duplicate_of }, t('cases.duplicate', { n: c.duplicate_of })) : null),
    h('p', { class: 'description' }, c.description),
    h('dl', { class: 'facts' },
      row('cases.category', name(cat) || c.category),
      row('cases.unit', unit ? name(unit) + ' (' + c.unit_code + ')' : c.unit_code),
      row('cases.address', c.address),
      row('cases.level', t('level.' + c.level)),
      row('cases.channel', t('channel.' + c.channel)),
      row('cases.department', dept ? name(dept) : ''),
      row('cases.reporter', [c.reporter_name, c.reporter_phone].filter(Boolean).join(' ')),
      row('cases.reported', fmtTime(c.reported_at)),
      row('cases.due', c.due_at && isOpen(c.status) ? fmtTime(c.due_at) : ''),
      row('cases.rating', c.rating ? '★'.repeat(c.rating) + '☆'.repeat(5 - c.rating) : '')),
    c.lat || c.lon ? mapEl : null)

  const gallery = h('section', { class: 'panel' }, h('h3', null, t('cases.photos'), ' (' + photos.length + ')'),
    photos.length ? h('div', { class: 'photos' }, photos.map(p => h('a', { href: '/api/v1/photos/' + p.sha256, target: '_blank', rel: 'noopener' },
      h('img', { src: '/api/v1/photos/' + p.sha256, alt: t('cases.photos'), loading: 'lazy' })))) : h('p', { class: 'muted' }, t('common.empty')))

  const timeline = h('section', { class: 'panel' }, h('h3', null, t('cases.timeline')),
    h('ol', { class: 'timeline', id: 'timeline' }, events.map(ev => h('li', { class: 'ev ev-' + ev.action },
      h('time', null, fmtTime(ev.at)),
      h('b', null, t('action.' + ev.action)),
      ev.from && ev.to && ev.from !== ev.to ? h('span', { class: 'muted' }, ' ', t('status.' + ev.from), ' → ', t('status.' + ev.to)) : null,
      h('span', { class: 'actor' }, ' · ', ev.actor_id ? (ev.actor_id === ctx.user.id ? t('cases.me') : t('cases.user', { id: ev.actor_id })) : t('cases.system')),
      ev.note ? h('div', { class: 'note' }, ev.note) : null,
      ev.data?.card ? h('span', { class: 'chip ' + ev.data.card }, t('act.card_' + ev.data.card)) : null,
      ev.data?.rating ? h('span', null, ' ', '★'.repeat(ev.data.rating)) : null,
      ev.data?.department_id && ctx.deptByID[ev.data.department_id] ? h('span', null, ' → ', name(ctx.deptByID[ev.data.department_id])) : null))))

  const actions = h('section', { class: 'panel actions', id: 'actions' }, h('h3', null, t('cases.actions')))
  const box = h('div', { class: 'action-form' })
  if (!c.actions.length) actions.append(h('p', { class: 'muted' }, t('cases.no_actions')))
  else {
    actions.append(h('div', { class: 'action-buttons' }, c.actions.map(a => h('button', {
      type: 'button', class: 'act act-' + a, 'data-action': a, onclick: e => {
        actions.querySelectorAll('.act').forEach(b => b.classList.remove('on'))
        e.target.classList.add('on')
        clear(box, actionForm(a, c, ctx, reload))
      }
    }, t('action.' + a)))), box)
  }

  clear(main, h('div', { class: 'case-grid' }, h('div', { class: 'col' }, details, gallery), h('div', { class: 'col' }, actions, timeline)))
  if (c.lat || c.lon) {
    const map = makeMap(mapEl, { zoomControl: true })
    const ll = toMap(c.lat, c.lon)
    map.setView(ll, 16)
    L.circleMarker(ll, { radius: 8, color: '#fff', weight: 2, fillColor: c.light === 'red' ? '#d1242f' : c.light === 'yellow' ? '#e0a800' : '#2a6fb0', fillOpacity: 1 }).addTo(map)
    api('GET', '/api/v1/boundaries?level=micro_grid&under=' + encodeURIComponent(c.unit_code.slice(0, 15))).then(fc => {
      L.geoJSON(fc, { style: { weight: 1, color: '#6b9bd1', fillOpacity: 0.05 } }).addTo(map)
    }).catch(() => {})
    onLeave?.(() => map.remove())
  }
}

// actionForm is the form of one action: the fields it needs, an optional
// photo, and the version of the case as loaded (a concurrent change is a
// conflict, not a silent overwrite).
function actionForm (a, c, ctx, done) {
  const inputs = []
  if (a === 'dispatch') {
    inputs.push(field(t('act.department'), h('select', { name: 'department_id' },
      h('option', { value: '' }, t('act.department_auto')),
      ctx.departments.map(d => h('option', { value: d.id }, name(d))))))
  }
  if (a === 'escalate') {
    const i = LEVELS_UP.indexOf(c.level)
    inputs.push(field(t('act.to_level'), h('select', { name: 'to_level' }, h('option', { value: '' }, t('act.next_level')),
      LEVELS_UP.slice(i + 2).map(l => h('option', { value: l }, t('level.' + l))))))
  }
  if (a === 'supervise') {
    inputs.push(h('div', { class: 'field radios', 'data-field': 'card' }, h('span', { class: 'label' }, t('act.card')),
      ['yellow', 'red'].map(k => h('label', null, h('input', { type: 'radio', name: 'card', value: k, checked: k === 'yellow' }), t('act.card_' + k)))))
  }
  if (a === 'approve_extension') inputs.push(field(t('act.hours'), h('input', { name: 'extension_hours', type: 'number', min: 1, max: 2000, step: 1, value: 8, required: true })))
  if (a === 'merge') inputs.push(field(t('act.survivor'), h('input', { name: 'survivor_id', type: 'number', min: 1, required: true, value: c.duplicate_of || '' })))
  if (a === 'rate') {
    inputs.push(h('div', { class: 'field stars', 'data-field': 'rating' }, h('span', { class: 'label' }, t('act.rating')),
      [1, 2, 3, 4, 5].map(n => h('label', null, h('input', { type: 'radio', name: 'rating', value: n }), '★'.repeat(n)))))
  }
  inputs.push(field(t('cases.note') + (NEEDS_NOTE.includes(a) ? '' : ' (' + t('common.optional') + ')'),
    h('textarea', { name: 'note', rows: 2, maxlength: 2000, required: NEEDS_NOTE.includes(a) })))
  if (WITH_PHOTO.includes(a)) inputs.push(field(t('cases.add_photo') + ' (' + t('common.optional') + ')', h('input', { name: 'photo', type: 'file', accept: 'image/jpeg,image/png,image/webp', capture: 'environment' })))
  const form = h('form', { novalidate: true, 'data-form': a },
    h('h4', null, t('action.' + a)), inputs,
    h('button', { type: 'submit', class: 'primary', id: 'confirm-action' }, t('act.confirm', { action: t('action.' + a) })))
  const draft = keepDraft(form, 'action.' + c.id + '.' + a)
  let photoSent = false
  form.addEventListener('submit', async e => {
    e.preventDefault()
    const v = values(form)
    const problems = {}
    if (NEEDS_NOTE.includes(a) && v.note.length < 2) problems.note = t('err.required')
    if (a === 'rate' && !v.rating) problems.rating = t('err.rating')
    if (a === 'approve_extension' && !(Number(v.extension_hours) > 0)) problems.extension_hours = t('err.number')
    if (a === 'merge' && !(Number(v.survivor_id) > 0)) problems.survivor_id = t('err.number')
    const file = form.photo?.files?.[0]
    if (file && !okImage(file)) problems.photo = t('err.image')
    if (Object.keys(problems).length) return showErrors(form, null, problems)
    const body = { action: a, version: c.version }
    if (v.note) body.note = v.note
    if (v.department_id) body.department_id = Number(v.department_id)
    if (v.to_level) body.to_level = v.to_level
    if (v.card) body.card = v.card
    if (v.extension_hours) body.extension_hours = Number(v.extension_hours)
    if (v.survivor_id) body.survivor_id = Number(v.survivor_id)
    if (v.rating) body.rating = Number(v.rating)
    await busy(form, async () => {
      try {
        if (file && !photoSent) {
          const fd = new FormData()
          fd.append('photo', file)
          try {
            await api('POST', '/api/v1/cases/' + c.id + '/photos', fd)
            photoSent = true
          } catch (err) {
            if (err instanceof ApiError && err.code !== 'network') return showErrors(form, err, { photo: errorText(err) })
            throw err
          }
        }
        await api('POST', '/api/v1/cases/' + c.id + '/actions', body)
        draft.clear()
        clearErrors(form)
        toast(t('action.done', { action: t('action.' + a) }), 'ok')
        done()
      } catch (err) {
        showErrors(form, err)
        if (err.code === 'conflict') form.append(h('button', { type: 'button', onclick: done }, t('common.refresh')))
      }
    })
  })
  return form
}
