// The staff console: command centre, case list, case page and, for
// administrators, the administration screens. Hash routes: #/dashboard,
// #/cases, #/case/ID, #/admin/SECTION.
import {
  t, h, clear, api, name, langButton, loginView, currentUser, logout, homeOf, GRID_ROLES, fmtTime, pct, statusChip, lightOf,
  STATUSES, isOpen, errorText, toast, debounce, getLang, $
} from './core.js'
import {
  makeMap, Boundaries, Clusters, Bubbles, unitCounts, decodePoints, toMap, unitFeature, bboxBounds, worldBounds, viewBox, wgsBox, worldX, worldY, LEVELS, CODE_LEN
} from './map.js'
import { lineChart, barChart } from './charts.js'
import { casePage } from './casepage.js'

const root = document.getElementById('app')
export const ctx = { user: null, catalogue: null, departments: [], units: [], deptByID: {}, catByCode: {} }
let cleanup = []

function onLeave (fn) { cleanup.push(fn) }

async function start () {
  window.addEventListener('unauthorized', () => { ctx.user = null; route(true) })
  window.addEventListener('hashchange', () => route())
  window.addEventListener('langchange', () => route())
  route()
}

async function loadContext () {
  const [cat, deps, comms, grids] = await Promise.all([
    api('GET', '/api/v1/catalogue').catch(() => ({ categories: [], items: [] })),
    api('GET', '/api/v1/departments').catch(() => []),
    api('GET', '/api/v1/units?level=community&limit=1000').catch(() => ({ items: [] })),
    api('GET', '/api/v1/units?level=grid&limit=1000').catch(() => ({ items: [] }))
  ])
  ctx.catalogue = cat
  ctx.departments = deps
  ctx.units = [...comms.items, ...grids.items]
  ctx.deptByID = Object.fromEntries(deps.map(d => [d.id, d]))
  ctx.catByCode = Object.fromEntries(cat.categories.map(c => [c.code, c]))
  ctx.unitByCode = Object.fromEntries(ctx.units.map(u => [u.code, u]))
}

async function route (expired) {
  for (const fn of cleanup) fn()
  cleanup = []
  if (!ctx.user) {
    let u = null
    try { u = await currentUser() } catch (e) { clear(root, h('p', { class: 'form-error' }, errorText(e))); return }
    if (!u) {
      loginView(root, async user => {
        const home = homeOf(user)
        if (!home.startsWith('/#')) { location.href = home; return }
        ctx.user = user
        ctx.ready = loadContext()
        await ctx.ready
        if (!location.hash || location.hash === '#/') location.hash = home.slice(1)
        else route()
      }, { expired })
      return
    }
    ctx.user = u
    ctx.ready = loadContext() // the pages wait for it only where they need names
  }
  const hash = location.hash.slice(1) || homeOf(ctx.user).slice(2) || '/dashboard'
  const [path, query] = hash.split('?')
  const params = new URLSearchParams(query || '')
  const parts = path.split('/').filter(Boolean)
  const main = h('main', { id: 'view' })
  clear(root, topbar(parts[0] || 'dashboard'), main)
  const canCentre = ['admin', 'operator', 'cadre'].includes(ctx.user.role)
  try {
    if (!(canCentre && (!parts[0] || parts[0] === 'dashboard'))) await ctx.ready
    if (parts[0] === 'case' && parts[1]) await casePage(main, Number(parts[1]), ctx, onLeave)
    else if (parts[0] === 'cases') await casesPage(main, params)
    else if (parts[0] === 'admin' && ctx.user.role === 'admin') {
      const { adminPage } = await import('./admin.js')
      await adminPage(main, parts[1] || 'units', ctx)
    } else if (canCentre) await dashboard(main)
    else await casesPage(main, params)
  } catch (e) {
    main.append(h('p', { class: 'form-error' }, errorText(e)))
  }
}

function topbar (active) {
  const role = ctx.user.role
  const links = []
  if (['admin', 'operator', 'cadre'].includes(role)) links.push(['dashboard', '#/dashboard', 'nav.dashboard'])
  links.push(['cases', '#/cases', role === 'department' ? 'nav.tasks' : 'nav.cases'])
  if (role === 'admin') links.push(['admin', '#/admin/units', 'nav.admin'])
  if (GRID_ROLES.includes(role) || role === 'admin') links.push(['m', '/m/', 'nav.worker'])
  links.push(['report', '/report', 'nav.resident'])
  return h('header', { class: 'topbar' },
    h('a', { class: 'brand', href: '#/' }, h('img', { src: window.STATIC + '/icon.svg', alt: '' }), h('span', null, t('app.name'))),
    h('nav', null, links.map(([k, href, key]) => h('a', { href, class: active === k ? 'active' : '', 'data-nav': k }, t(key)))),
    h('div', { class: 'who' },
      langButton(),
      h('span', { class: 'user', title: ctx.user.username }, ctx.user.name, ' · ', t('role.' + role)),
      h('button', { type: 'button', class: 'link', id: 'logout', onclick: logout }, t('nav.logout'))))
}

// --- filters shared by the dashboard and the case list ---

const PERIODS = ['today', '7', '30', '90', '365']

function periodRange (p) {
  const now = new Date()
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate())
  if (p !== 'today') start.setDate(start.getDate() - Number(p) + 1)
  const end = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1)
  return { from: start, to: end }
}

function day (d) {
  return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0')
}

function loadFilters () {
  try { return { period: '30', ...JSON.parse(localStorage.getItem('wangge.filters') || '{}') } } catch (e) { return { period: '30' } }
}

function filterBar (f, onChange, { withLight } = {}) {
  const majors = (ctx.catalogue?.categories || []).filter(c => c.code.length === 2)
  const leaves = (ctx.catalogue?.categories || []).filter(c => c.code.length === 4)
  const sel = (key, opts, label) => h('label', { class: 'filter' }, h('span', null, label),
    h('select', { name: key, onchange: e => { f[key] = e.target.value; localStorage.setItem('wangge.filters', JSON.stringify(f)); onChange() } },
      opts.map(o => o.group
        ? h('optgroup', { label: o.group }, o.items.map(i => h('option', { value: i.value, selected: f[key] === i.value }, i.label)))
        : h('option', { value: o.value, selected: (f[key] || '') === o.value }, o.label))))
  const communities = ctx.units.filter(u => u.level === 'community')
  return h('form', { class: 'filters', onsubmit: e => e.preventDefault() },
    sel('unit', [{ value: '', label: t('common.all') }, ...communities.map(c => ({
      group: name(c),
      items: [{ value: c.code, label: name(c) }, ...ctx.units.filter(g => g.parent_code === c.code).map(g => ({ value: g.code, label: '· ' + name(g) }))]
    }))], t('filter.unit')),
    sel('category', [{ value: '', label: t('common.all') }, ...majors.map(m => ({
      group: name(m), items: [{ value: m.code, label: name(m) }, ...leaves.filter(l => l.code.startsWith(m.code)).map(l => ({ value: l.code, label: '· ' + name(l) }))]
    }))], t('filter.category')),
    sel('department', [{ value: '', label: t('common.all') }, ...ctx.departments.map(d => ({ value: String(d.id), label: name(d) }))], t('filter.department')),
    sel('status', [{ value: '', label: t('status.open') }, { value: 'all', label: t('common.all') }, { value: 'done', label: t('status.done') }, ...STATUSES.map(s => ({ value: s, label: t('status.' + s) }))], t('filter.status')),
    withLight ? sel('light', [{ value: '', label: t('common.all') }, ...['green', 'yellow', 'red'].map(l => ({ value: l, label: t('light.' + l) }))], t('filter.light')) : null,
    sel('period', PERIODS.map(p => ({ value: p, label: t('period.' + p) })), t('filter.period')))
}

// caseQuery turns the filters into the query of /api/v1/cases or /web/points.
function caseQuery (f, { period = true } = {}) {
  const q = new URLSearchParams()
  if (f.unit) q.set('unit', f.unit)
  if (f.category) q.set('category', f.category)
  if (f.department) q.set('department', f.department)
  if (f.light) q.set('light', f.light)
  if (!f.status) q.set('open', 'true')
  else if (f.status === 'done') q.set('open', 'false')
  else if (f.status !== 'all') { q.set('status', f.status); q.set('open', 'all') } else q.set('open', 'all')
  if (period && f.status && f.status !== '' && f.period) {
    const r = periodRange(f.period)
    q.set('from', r.from.toISOString()); q.set('to', r.to.toISOString())
  }
  return q
}

function statsQuery (f, extra) {
  const q = new URLSearchParams(extra)
  if (f.unit) q.set('unit', f.unit)
  if (f.category) q.set('category', f.category)
  if (f.department) q.set('department', f.department)
  return q
}

// --- command centre ---

// Above MAX_POINTS open cases in the scope, the map shows counts per unit
// (from the statistics) instead of every case's point, and the points of
// the view only once it holds no more than MAX_POINTS. A unit gets a count
// when it is at least BUBBLE_PX across on screen.
const MAX_POINTS = 5000
const BUBBLE_PX = 64

async function dashboard (main) {
  const f = loadFilters()
  const kpis = h('section', { class: 'kpis', id: 'kpis' })
  const mapEl = h('div', { class: 'map', id: 'map' })
  const feed = h('ol', { class: 'feed', id: 'feed' })
  const feedState = h('span', { class: 'muted small' })
  const list = h('div', { class: 'mini-list', id: 'open-list' })
  const charts = h('section', { class: 'charts' })
  const truncated = h('div', { class: 'map-truncated' })
  main.className = 'dashboard'
  const filters = h('div', { class: 'filters-slot' })
  main.append(
    filters,
    kpis,
    h('section', { class: 'centre' },
      h('div', { class: 'map-wrap' }, mapEl, truncated, h('div', { class: 'map-legend' }, t('map.legend'))),
      h('aside', { class: 'side' },
        h('div', { class: 'panel' }, h('h3', null, t('feed.title'), ' ', feedState), feed),
        h('div', { class: 'panel grow' }, h('h3', null, h('a', { href: '#/cases' }, t('cases.title'))), list))),
    charts)

  // The map and its layers. The scope's root units (the filter's unit, or
  // the user's) give the first view and the levels loaded whole: their
  // children and grandchildren. Finer levels come for the view as the map
  // zooms in (see Boundaries).
  let points = []
  let pointsBox = null // the world box the points were fetched for; 'all': every one
  let scopeOpen = 0 // open cases in the scope, from the KPIs
  let counted = false // whether the map shows counts (or points of a view)
  const countCache = new Map() // 'unit/depth' → promise of the stats groups
  let layersGen = 0
  let painted = false // the first useful paint is done
  const countsWanted = () => !f.status && !f.light && scopeOpen > MAX_POINTS
  const map = makeMap(mapEl)
  // The figures and the list do not wait for the map.
  const kpisP = loadKPIs().then(() => performance.mark('w-kpis'))
  const listP = loadList().then(() => performance.mark('w-list'))
  kpisP.catch(() => {}); listP.catch(() => {})
  mapEl.wangge = { map }
  onLeave(() => map.remove())
  const roots = await scopeOf(f)
  const ranks = roots.map(u => LEVELS.indexOf(u.level)).filter(i => i >= 0)
  const top = ranks.length ? LEVELS[Math.min(...ranks)] : 'county'
  const ti = LEVELS.indexOf(top)
  const boxes = roots.map(u => u.bbox).filter(Boolean)
  const box = boxes.length ? [Math.min(...boxes.map(b => b[0])), Math.min(...boxes.map(b => b[1])), Math.max(...boxes.map(b => b[2])), Math.max(...boxes.map(b => b[3]))] : null
  if (box) map.fitBounds(bboxBounds(box), { padding: [10, 10], animate: false })
  else map.setView(toMap(35, 105), 5)
  const scope = { roots: roots.length ? roots.map(u => u.code) : [''], top, bbox: box }
  const bounds = new Boundaries(map, { scope, onClick: unitClick, onLoad: () => layersSoon() })
  const clusters = new Clusters(map, { onClick: p => { location.hash = '#/case/' + p.id } })
  const bubbles = new Bubbles(map, { onClick: b => zoomTo(b.code) })
  Object.assign(mapEl.wangge, { bounds, clusters, bubbles, scope })
  bounds.add(top, roots.filter(u => u.boundary).map(unitFeature), true)
  const first = Promise.all(LEVELS.slice(ti + 1, ti + 3).map(l => bounds.load(l))).then(() => {
    const b = bounds.bounds()
    if (b && !box) map.fitBounds(b, { padding: [10, 10] })
  })

  // zoomTo shows a unit whole.
  function zoomTo (code) {
    const u = bounds.unit(code)
    if (u) map.fitBounds(worldBounds(u.box), { padding: [20, 20] })
  }
  // A click on a community or below filters the page by it (its grid); on
  // a larger unit, zooms to it.
  function unitClick (p) {
    if (LEVELS.indexOf(p.level) < LEVELS.indexOf('community')) { zoomTo(p.code); return }
    f.unit = p.code.slice(0, Math.min(p.code.length, 15))
    localStorage.setItem('wangge.filters', JSON.stringify(f))
    route()
  }

  // What the map shows of the cases: with few open cases in the scope (or
  // another status or light asked for), every case's point, as loaded
  // once; with more than MAX_POINTS, counts per unit at the finest level
  // whose units are BUBBLE_PX on screen, and the points of the view once
  // the view holds no more than MAX_POINTS.

  let allPoints = null // the promise of every case's points, once asked
  async function loadPoints (fetched, box, gen) {
    const r = await fetched
    if (gen !== layersGen) return
    points = decodePoints(r)
    pointsBox = box
    clusters.set(points)
    if (!counted) bounds.setCounts(unitCounts(points))
    truncated.textContent = r.truncated ? t('map.truncated', { n: r.rows.length }) : ''
  }

  function bubbleLevel () {
    const s = map.options.crs.scale(map.getZoom())
    let b = Math.min(ti + 1, LEVELS.length - 1)
    for (let i = b + 1; i < LEVELS.length; i++) {
      const size = bounds.typical(LEVELS[i])
      if (!size || size * s < BUBBLE_PX) break
      b = i
    }
    return b
  }

  // countsOf asks the statistics (compact) for the open cases of the level's units
  // in view: of the root's children or grandchildren in one question,
  // below that the children of each parent in view.
  function countsOf (b) {
    const parents = b - 2 <= ti ? scope.roots : bounds.inView(LEVELS[b - 1]).map(u => u.feature.properties.code)
    return Promise.all(parents.map(code => {
      const key = code + '/' + CODE_LEN[LEVELS[b]]
      if (!countCache.has(key)) {
        const p = api('GET', '/api/v1/web/counts?' + statsQuery({ ...f, unit: code }, { unit_depth: CODE_LEN[LEVELS[b]] }))
          .then(r => r.rows.map(([key, open, red]) => ({ key, open, red })))
        p.catch(() => countCache.delete(key))
        countCache.set(key, p)
      }
      return countCache.get(key)
    })).then(lists => lists.flat())
  }

  // updateLayers brings the cases' layer in line with the view.
  async function updateLayers () {
    const gen = ++layersGen
    if (!countsWanted()) {
      bubbles.set([])
      if (counted) { counted = false; allPoints = null }
      if (!allPoints) {
        allPoints = api('GET', '/api/v1/web/points?' + caseQuery(f))
        allPoints.catch(() => { allPoints = null })
      }
      await loadPoints(allPoints, 'all', gen)
      return
    }
    counted = true
    allPoints = null
    const b = bubbleLevel()
    const groups = await countsOf(b)
    if (gen !== layersGen) return
    const counts = { _max: {} }
    const items = []
    const view = viewBox(map)
    let inView = 0
    for (const g of groups) {
      if (!g.open) continue
      const u = bounds.unit(g.key)
      const level = LEVELS[b]
      counts[g.key] = { open: g.open, red: g.red }
      counts._max[level] = Math.max(counts._max[level] || 0, g.open)
      if (!u) continue
      const x = (u.box[0] + u.box[2]) / 2; const y = (u.box[1] + u.box[3]) / 2
      if (u.box[0] <= view[2] && u.box[2] >= view[0] && u.box[1] <= view[3] && u.box[3] >= view[1]) inView += g.open
      items.push({ code: g.key, name: name(g) || name(u.feature.properties), open: g.open, red: g.red, wx: x, wy: y })
    }
    bounds.setCounts(counts)
    if (inView > MAX_POINTS) {
      bubbles.set(items)
      clusters.set([]); points = []; pointsBox = null
      truncated.textContent = t('map.counts')
      return
    }
    bubbles.set([])
    truncated.textContent = ''
    if (pointsBox && pointsBox !== 'all' && pointsBox[0] <= view[0] && pointsBox[1] <= view[1] && pointsBox[2] >= view[2] && pointsBox[3] >= view[3]) return
    const pb = viewBox(map, 0.5)
    const q = caseQuery(f)
    q.set('bbox', wgsBox(pb).map(x => x.toFixed(6)).join(','))
    pointsBox = null
    await loadPoints(api('GET', '/api/v1/web/points?' + q), pb, gen)
  }
  const layersSoon = debounce(() => { if (painted) updateLayers().catch(e => { truncated.textContent = errorText(e) }) }, 200, 1000)
  map.on('moveend', layersSoon)

  async function loadKPIs () {
    const range = periodRange(f.period)
    const today = periodRange('today')
    const [all, period, todayStats] = await Promise.all([
      api('GET', '/api/v1/stats?' + statsQuery(f)),
      api('GET', '/api/v1/stats?' + statsQuery(f, { from: day(range.from), to: day(range.to) })),
      api('GET', '/api/v1/stats?' + statsQuery(f, { from: day(today.from), to: day(today.to) }))
    ])
    const wasCounted = countsWanted()
    scopeOpen = all.open
    if (painted && wasCounted !== countsWanted()) layersSoon()
    const card = (key, value, sub, cls) => h('div', { class: 'kpi ' + (cls || ''), 'data-kpi': key }, h('div', { class: 'kpi-label' }, t(key)), h('div', { class: 'kpi-value' }, value), h('div', { class: 'kpi-sub' }, sub || ''))
    clear(kpis,
      card('kpi.today', String(todayStats.reported)),
      card('kpi.open', String(all.open)),
      card('kpi.overdue', String(all.red), '', all.red ? 'bad' : ''),
      card('kpi.closure', pct(period.closure_rate), t('period.' + f.period)),
      card('kpi.ontime', pct(period.on_time_rate), t('period.' + f.period)),
      // the mean rating of the cases reported in the period and rated
      card('kpi.satisfaction', period.rated ? period.satisfaction.toFixed(2) + ' / 5' : '—', t('kpi.rated_n', { n: period.rated })))
  }

  async function loadCharts () {
    const range = periodRange(f.period === 'today' ? '7' : f.period)
    const [byDay, byMajor, byUnit] = await Promise.all([
      api('GET', '/api/v1/stats?' + statsQuery(f, { from: day(range.from), to: day(range.to), group_by: 'day' })),
      api('GET', '/api/v1/stats?' + statsQuery(f, { from: day(range.from), to: day(range.to), group_by: 'major' })),
      api('GET', '/api/v1/stats?' + statsQuery(f, { group_by: 'children' }))
    ])
    await ctx.ready
    const days = []
    for (let d = new Date(range.from); d < range.to; d.setDate(d.getDate() + 1)) days.push(day(d))
    const byKey = Object.fromEntries((byDay.groups || []).map(g => [g.key, g]))
    clear(charts,
      h('div', { class: 'panel' }, h('h3', null, t('chart.trend')),
        lineChart(days.map(d => d.slice(5)), [
          { label: t('chart.received'), colour: '#2a6fb0', values: days.map(d => byKey[d]?.reported || 0) },
          { label: t('chart.closed'), colour: '#2e9e44', values: days.map(d => byKey[d]?.closed || 0) }])),
      h('div', { class: 'panel' }, h('h3', null, t('chart.by_major')),
        barChart((byMajor.groups || []).map(g => ({ label: name(ctx.catByCode[g.key]) || g.key, value: g.reported })))),
      h('div', { class: 'panel' }, h('h3', null, t('chart.by_unit')),
        barChart((byUnit.groups || []).map(g => ({ label: name(g) || g.key, value: g.open, code: g.key })), { colour: '#e07b00' })))
  }

  async function loadList () {
    const q = caseQuery(f)
    q.set('limit', 30)
    const r = await api('GET', '/api/v1/cases?' + q)
    await ctx.ready
    clear(list, r.items.length ? r.items.map(c => caseRow(c)) : h('p', { class: 'muted' }, t('common.empty')),
      h('p', { class: 'muted small' }, t('cases.count', { n: r.total })))
  }

  ctx.ready.then(() => clear(filters, filterBar(f, () => route())))
  const refreshSoon = debounce(() => { loadKPIs().catch(() => {}); loadList().catch(() => {}) }, 1500, 5000)
  async function refresh () {
    // The first useful paint: boundaries (the scope's two levels below its
    // root), figures and the newest cases. The cases on the map follow:
    // on a small machine fetching them at once slows the first paint down.
    await Promise.all([first.catch(() => {}).then(() => performance.mark('w-bounds')), kpisP, listP])
    performance.mark('wangge-useful')
    painted = true
    document.body.dataset.ready = '1'
    await new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve)))
    bounds.fetching = true
    bounds.update()
    await updateLayers().catch(e => { truncated.textContent = errorText(e) })
    await bounds.idle()
    await updateLayers().catch(e => { truncated.textContent = errorText(e) })
    performance.mark('wangge-points')
    document.body.dataset.points = '1'
    loadCharts().catch(e => charts.append(h('p', { class: 'form-error' }, errorText(e))))
  }

  // The live feed: a case's point moves with it; counts are asked again.
  const es = new EventSource('/api/v1/stream')
  es.onopen = () => { feedState.textContent = '● ' + t('feed.connected'); feedState.className = 'muted small ok' }
  es.onerror = () => { feedState.textContent = '○ ' + t('feed.disconnected'); feedState.className = 'muted small bad' }
  es.addEventListener('case', ev => {
    const e = JSON.parse(ev.data)
    const c = e.case
    feed.prepend(h('li', null, h('a', { href: '#/case/' + c.id },
      h('time', null, fmtTime(c.updated_at).slice(-5)), ' ', c.number, ' ', h('b', null, t('action.' + e.action)), ' → ', t('status.' + c.status))))
    while (feed.children.length > 50) feed.lastChild.remove()
    if (pointsBox) {
      const i = points.findIndex(p => p.id === c.id)
      const p = { id: c.id, lat: c.lat, lon: c.lon, ll: toMap(c.lat, c.lon), unit: c.unit_code, light: c.light, status: c.status, open: isOpen(c.status) }
      const x = worldX(p.ll[1]); const y = worldY(p.ll[0])
      if (i >= 0) points[i] = p
      else if (pointsBox === 'all' || (x >= pointsBox[0] && x <= pointsBox[2] && y >= pointsBox[1] && y <= pointsBox[3])) points.push(p)
      clustersSoon()
    }
    if (counted) countsSoon()
    refreshSoon()
  })
  const clustersSoon = debounce(() => { clusters.set(points); if (!counted) bounds.setCounts(unitCounts(points)) }, 500, 2000)
  const countsSoon = debounce(() => { countCache.clear(); layersSoon() }, 1500, 5000)
  onLeave(() => es.close())
  await refresh()
}

// scopeOf returns the root units of the command centre's map, with their
// boundaries and boxes: the filter's unit, else the user's units, else
// (an administrator of everything) the first unit of the tree.
async function scopeOf (f) {
  let codes = f.unit ? [f.unit] : (ctx.user.units || [])
  if (!codes.length) codes = (await api('GET', '/api/v1/units?limit=1')).items.map(u => u.code)
  const units = await Promise.all(codes.map(c => api('GET', '/api/v1/units/' + encodeURIComponent(c)).catch(() => null)))
  return units.filter(Boolean)
}

function caseRow (c) {
  const cat = ctx.catByCode[c.category]
  return h('a', { class: 'case-row', href: '#/case/' + c.id, 'data-case': c.number },
    h('span', { class: 'num' }, c.number),
    statusChip(c.status),
    lightOf(c),
    h('span', { class: 'cat' }, name(cat) || c.category),
    h('span', { class: 'desc' }, c.description.slice(0, 60)))
}

// --- case list ---

async function casesPage (main, params) {
  const f = loadFilters()
  const offset = Number(params.get('offset') || 0)
  const table = h('div', { class: 'table-wrap' })
  main.className = 'cases'
  main.append(h('div', { class: 'page-head' }, h('h2', null, ctx.user.role === 'department' ? t('nav.tasks') : t('cases.title'))),
    filterBar(f, () => { location.hash = '#/cases'; route() }, { withLight: true }), table)
  const q = caseQuery(f)
  q.set('limit', 50); q.set('offset', offset)
  const r = await api('GET', '/api/v1/cases?' + q)
  const now = Date.now()
  clear(table, h('table', { class: 'list', id: 'case-table' },
    h('thead', null, h('tr', null, ['cases.number', 'cases.category', 'cases.unit', 'cases.status', 'cases.light', 'cases.department', 'cases.reported'].map(k => h('th', null, t(k))))),
    h('tbody', null, r.items.map(c => h('tr', { onclick: () => { location.hash = '#/case/' + c.id } },
      h('td', null, h('a', { href: '#/case/' + c.id }, c.number), c.urgent ? h('span', { class: 'chip urgent' }, t('cases.urgent')) : null),
      h('td', null, name(ctx.catByCode[c.category]) || c.category),
      h('td', null, name(ctx.unitByCode[c.unit_code]) || name(ctx.unitByCode[c.unit_code?.slice(0, 15)]) || c.unit_code),
      h('td', null, statusChip(c.status)),
      h('td', null, lightOf(c, now)),
      h('td', null, c.department_id ? name(ctx.deptByID[c.department_id]) : ''),
      h('td', null, fmtTime(c.reported_at)))))),
  r.items.length ? null : h('p', { class: 'muted' }, t('common.empty')),
  h('div', { class: 'pager' },
    h('button', { type: 'button', disabled: offset === 0, onclick: () => { location.hash = '#/cases?offset=' + Math.max(0, offset - 50) } }, t('common.prev')),
    h('span', null, t('common.page', { n: Math.floor(offset / 50) + 1, total: r.total })),
    h('button', { type: 'button', disabled: offset + 50 >= r.total, onclick: () => { location.hash = '#/cases?offset=' + (offset + 50) } }, t('common.next'))))
}

window.STATIC = JSON.parse($('#config').textContent).static
start()
export { getLang }
