// The resident's page: report a problem without an account (a pin on the
// map or a community and an address, a category, a description, a photo,
// an optional phone), get a case number and a tracking code, follow the
// case and rate it when it is closed. Phones first.
import {
  t, h, clear, api, name, langButton, fmtTime, errorText, toast, showErrors, clearErrors, values, busy, field, okImage, keepDraft, uuid, validPhone, getLang
} from './core.js'
import { makeMap, Boundaries, mapCRS, toMap } from './map.js'

const L = window.L
const root = document.getElementById('app')
let categories = []
let cleanup = []

function mine () { try { return JSON.parse(localStorage.getItem('wangge.r.mine') || '[]') } catch (e) { return [] } }
function remember (r) { localStorage.setItem('wangge.r.mine', JSON.stringify([r, ...mine().filter(x => x.number !== r.number)].slice(0, 20))) }

async function start () {
  window.addEventListener('hashchange', route)
  window.addEventListener('langchange', route)
  try { categories = await api('GET', '/api/v1/public/categories') } catch (e) { categories = [] }
  route()
}

function route () {
  for (const fn of cleanup) fn()
  cleanup = []
  const [tab, number, code] = (location.hash.slice(1) || 'report').split('/')
  const main = h('main', { class: 'm-main', id: 'view' })
  clear(root,
    h('header', { class: 'm-top' }, h('h1', null, t('nav.resident')), langButton(), h('a', { href: '/', class: 'link' }, t('login.title'))),
    main)
  main.append(h('div', { class: 'seg' },
    h('a', { href: '#report', class: tab !== 'track' ? 'active' : '', 'data-tab': 'report' }, t('report.title')),
    h('a', { href: '#track', class: tab === 'track' ? 'active' : '', 'data-tab': 'track' }, t('track.title'))))
  if (tab === 'track') trackTab(main, number, code)
  else reportTab(main)
}

function categorySelect () {
  const majors = []
  for (const c of categories) {
    const m = getLang() === 'en' ? c.major_en : c.major_zh
    let g = majors.find(x => x.label === m)
    if (!g) { g = { label: m, items: [] }; majors.push(g) }
    g.items.push(c)
  }
  return h('select', { name: 'category', required: true }, h('option', { value: '' }, t('report.choose')),
    majors.map(g => h('optgroup', { label: g.label }, g.items.map(c => h('option', { value: c.code }, name(c))))))
}

function reportTab (main) {
  const mapEl = h('div', { class: 'map', id: 'resident-map' })
  const pinned = h('div', { class: 'small muted', id: 'pinned' }, t('report.pin'))
  const form = h('form', { id: 'resident-form', novalidate: true, class: 'panel' },
    h('p', { class: 'muted' }, t('report.lead')),
    field(t('report.category'), categorySelect()),
    field(t('report.description'), h('textarea', { name: 'description', rows: 4, required: true, maxlength: 2000 })),
    h('div', { class: 'field', 'data-field': 'lat lon' }, h('span', { class: 'label' }, t('report.where')), mapEl, pinned,
      h('button', { type: 'button', id: 'locate', onclick: locate }, '📍 ', t('report.locate'))),
    h('input', { type: 'hidden', name: 'lat' }), h('input', { type: 'hidden', name: 'lon' }), h('input', { type: 'hidden', name: 'crs' }),
    h('input', { type: 'hidden', name: 'key' }),
    field(t('report.community') + ' (' + t('report.no_pin') + ')', h('select', { name: 'unit_code' }, h('option', { value: '' }, t('report.community_pick')))),
    field(t('report.address'), h('input', { name: 'address', maxlength: 200 })),
    field(t('report.photo') + ' (' + t('common.optional') + ')', h('input', { name: 'photo', type: 'file', accept: 'image/jpeg,image/png,image/webp', capture: 'environment' })),
    field(t('report.name') + ' (' + t('common.optional') + ')', h('input', { name: 'name', maxlength: 50, autocomplete: 'name' })),
    field(t('report.phone'), h('input', { name: 'phone', type: 'tel', maxlength: 20, autocomplete: 'tel', inputmode: 'tel' })),
    h('button', { type: 'submit', class: 'primary' }, t('report.submit')))
  main.append(form)
  const draft = keepDraft(form, 'resident.report')
  // One key per report being written: a resubmission after a lost answer
  // is the same report.
  if (!form.key.value) { form.key.value = uuid(); draft.save() }

  const map = makeMap(mapEl)
  cleanup.push(() => map.remove())
  map.setView([26.475, 116.01], 13)
  const outline = new Boundaries(map, { path: '/api/v1/public/outline' })
  outline.visible = () => ['county', 'street', 'community']
  Promise.all([outline.load('county'), outline.load('community')]).then(([, communities]) => {
    if (!form.lat.value) { const b = outline.bounds(); if (b) map.fitBounds(b) }
    // Without a pin, the community chosen here and the address place the report.
    const chosen = form.unit_code.value
    const list = (communities.features || []).map(f => f.properties).sort((a, b) => name(a).localeCompare(name(b), getLang()))
    for (const p of list) form.unit_code.append(h('option', { value: p.code }, name(p)))
    form.unit_code.value = chosen
  }).catch(() => {})
  let marker = null
  const place = (lat, lon, crs) => {
    form.lat.value = Number(lat).toFixed(7); form.lon.value = Number(lon).toFixed(7); form.crs.value = crs
    // A WGS84 point (the phone's position) is drawn where it lies on the
    // map's tiles, which may be GCJ-02; the form keeps it as given.
    const ll = crs === mapCRS ? [Number(lat), Number(lon)] : toMap(Number(lat), Number(lon))
    if (marker) marker.setLatLng(ll); else marker = L.marker(ll).addTo(map)
    return ll
    pinned.textContent = t('report.pinned', { lat: form.lat.value, lon: form.lon.value })
    draft.save()
  }
  if (form.lat.value) map.setView(place(form.lat.value, form.lon.value, form.crs.value || 'wgs84'), 16)
  map.on('click', e => place(e.latlng.lat, e.latlng.lng, mapCRS))
  function locate () {
    navigator.geolocation?.getCurrentPosition(p => { map.setView(place(p.coords.latitude, p.coords.longitude, 'wgs84'), 17) },
      () => toast(t('worker.gps_fail')), { enableHighAccuracy: true, timeout: 15000 })
  }

  form.addEventListener('submit', async e => {
    e.preventDefault()
    const v = values(form)
    const file = form.photo.files[0]
    const problems = {}
    if (!v.category) problems.category = t('err.required')
    if (!v.description) problems.description = t('err.required')
    if (!v.lat && !v.unit_code) problems.lat = t('err.point')
    if (!v.lat && v.unit_code && (v.address || '').trim().length < 4) problems.address = t('err.address')
    if (!validPhone(v.phone)) problems.phone = t('err.phone')
    if (file && !okImage(file)) problems.photo = t('err.image')
    if (Object.keys(problems).length) return showErrors(form, null, problems)
    const body = { category: v.category, description: v.description, idempotency_key: v.key }
    if (v.lat) Object.assign(body, { lat: Number(v.lat), lon: Number(v.lon), crs: v.crs || 'wgs84' })
    else body.unit_code = v.unit_code
    if (v.address) body.address = v.address
    if (v.name) body.name = v.name
    if (v.phone) body.phone = v.phone
    await busy(form, async () => {
      let r
      try {
        r = await api('POST', '/api/v1/public/reports', body)
      } catch (err) {
        if (err.fields?.phone === undefined && err.fields?.reporter_phone) err.fields.phone = err.fields.reporter_phone
        return showErrors(form, err) // what was typed stays in the form and the draft
      }
      remember({ number: r.number, code: r.tracking_code })
      let photoFailed = false
      if (file) {
        const fd = new FormData()
        fd.append('photo', file)
        fd.append('code', r.tracking_code)
        try { await api('POST', '/api/v1/public/reports/' + encodeURIComponent(r.number) + '/photos', fd) } catch (err) { photoFailed = true }
      }
      draft.clear()
      clearErrors(form)
      form.replaceWith(h('div', { class: 'panel result', id: 'report-result' },
        h('h2', null, '✅ ', t('report.done')),
        h('div', null, t('report.number')), h('div', { class: 'big', id: 'case-number' }, r.number),
        h('div', null, t('report.code')), h('div', { class: 'big', id: 'tracking-code' }, r.tracking_code),
        h('p', { class: 'notice' }, t('report.keep')),
        photoFailed ? h('p', { class: 'form-error' }, t('report.photo_failed')) : null,
        h('p', null, h('a', { href: '#track/' + encodeURIComponent(r.number) + '/' + encodeURIComponent(r.tracking_code) }, t('track.title'))),
        h('button', { type: 'button', onclick: () => route() }, t('report.another'))))
    })
  })
}

async function trackTab (main, number, code) {
  const out = h('div', { id: 'track-result' })
  const form = h('form', { id: 'track-form', novalidate: true, class: 'panel' },
    field(t('report.number'), h('input', { name: 'number', required: true, value: decodeURIComponent(number || ''), autocomplete: 'off' })),
    field(t('report.code'), h('input', { name: 'code', required: true, value: decodeURIComponent(code || ''), autocomplete: 'off' })),
    h('button', { type: 'submit', class: 'primary' }, t('track.submit')))
  const list = mine()
  main.append(form, out, list.length ? h('div', { class: 'panel' }, list.map(r => h('div', null,
    h('a', { href: '#track/' + encodeURIComponent(r.number) + '/' + encodeURIComponent(r.code) }, r.number)))) : null)
  const show = async () => {
    const v = values(form)
    const problems = {}
    if (!v.number) problems.number = t('err.required')
    if (!v.code) problems.code = t('err.required')
    if (Object.keys(problems).length) return showErrors(form, null, problems)
    await busy(form, async () => {
      try {
        const c = await api('GET', '/api/v1/public/reports/' + encodeURIComponent(v.number) + '?code=' + encodeURIComponent(v.code))
        clearErrors(form)
        clear(out, view(c, v.number, v.code))
      } catch (err) {
        showErrors(form, err, err.code === 'not_found' ? { number: t('track.notfound') } : undefined)
      }
    })
  }
  form.addEventListener('submit', e => { e.preventDefault(); show() })
  if (number && code) show()
}

function view (c, number, code) {
  const cat = categories.find(x => x.code === c.category)
  const box = h('div', { class: 'panel' },
    h('h2', null, c.number),
    h('p', null, t('track.status'), ': ', h('b', { id: 'track-status', 'data-status': c.status }, t('status.' + c.status))),
    h('p', null, name(cat) || c.category),
    h('p', { class: 'description' }, c.description),
    h('p', { class: 'small muted' }, t('track.reported'), ': ', fmtTime(c.reported_at),
      c.closed_at ? [' · ', t('track.closed'), ': ', fmtTime(c.closed_at)] : c.due_at ? [' · ', t('track.due'), ': ', fmtTime(c.due_at)] : null),
    c.rating ? h('p', { id: 'my-rating' }, t('track.your_rating', { n: c.rating }), ' ', '★'.repeat(c.rating)) : null)
  if (c.can_rate) {
    const form = h('form', { id: 'rate-form', novalidate: true },
      h('h3', null, t('track.rate')),
      h('div', { class: 'field stars', 'data-field': 'rating' }, [1, 2, 3, 4, 5].map(n => h('label', null, h('input', { type: 'radio', name: 'rating', value: n }), '★'.repeat(n)))),
      field(t('track.comment'), h('textarea', { name: 'comment', rows: 2, maxlength: 500 })),
      h('button', { type: 'submit', class: 'primary' }, t('action.rate')))
    const draft = keepDraft(form, 'rate.' + number)
    form.addEventListener('submit', async e => {
      e.preventDefault()
      const v = values(form)
      if (!v.rating) return showErrors(form, null, { rating: t('err.rating') })
      await busy(form, async () => {
        try {
          const r = await api('POST', '/api/v1/public/reports/' + encodeURIComponent(number) + '/rate', { tracking_code: code, rating: Number(v.rating), comment: v.comment || undefined })
          draft.clear()
          toast(t('track.rated'), 'ok')
          box.replaceWith(view(r, number, code))
        } catch (err) { showErrors(form, err) }
      })
    })
    box.append(form)
  }
  return box
}

start()
export { errorText }
