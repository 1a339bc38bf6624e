// The map: tiles when a server is configured and reachable, unit
// boundaries at every level, case markers clustered on a pixel grid.
// Boundaries and points are stored in WGS84; tiles drawn in GCJ-02
// (AutoNavi, Tencent) need everything shifted onto them.
import { CONFIG, api, t, name, h, getLang } from './core.js'

const L = window.L

// --- coordinates: the published GCJ-02 offset (as internal/geo) ---

const A = 6378245.0
const EE = 0.00669342162296594323

function outOfChina (lon, lat) { return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271 }

function offset (lon, lat) {
  const x = lon - 105.0; const y = lat - 35.0; const PI = Math.PI
  const common = (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0
  let dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) + common
  dlat += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0
  dlat += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0
  let dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) + common
  dlon += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0
  dlon += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0
  const rad = lat / 180.0 * PI; const s = Math.sin(rad); const magic = 1 - EE * s * s; const sq = Math.sqrt(magic)
  return [dlon * 180.0 / (A / sq * Math.cos(rad) * PI), dlat * 180.0 / ((A * (1 - EE)) / (magic * sq) * PI)]
}

export function wgsToGcj (lon, lat) {
  if (outOfChina(lon, lat)) return [lon, lat]
  const [dx, dy] = offset(lon, lat)
  return [lon + dx, lat + dy]
}

export function gcjToWgs (lon, lat) {
  if (outOfChina(lon, lat)) return [lon, lat]
  let w = [lon, lat]
  for (let i = 0; i < 10; i++) {
    const c = wgsToGcj(w[0], w[1]); const dx = c[0] - lon; const dy = c[1] - lat
    w = [w[0] - dx, w[1] - dy]
    if (Math.abs(dx) < 1e-9 && Math.abs(dy) < 1e-9) break
  }
  return w
}

const gcj = CONFIG.tile_crs === 'gcj02' && !!CONFIG.tile_url

// toMap turns a stored WGS84 point into the map's [lat, lon].
export function toMap (lat, lon) {
  if (!gcj) return [lat, lon]
  const p = wgsToGcj(lon, lat)
  return [p[1], p[0]]
}

// mapCRS is the system of a point picked on the map: send it as the
// report's crs and the server converts it.
export const mapCRS = gcj ? 'gcj02' : 'wgs84'

function shiftGeometry (g) {
  if (!gcj) return g
  const walk = c => typeof c[0] === 'number' ? wgsToGcj(c[0], c[1]) : c.map(walk)
  g.coordinates = walk(g.coordinates)
  return g
}

// --- the map ---

export function makeMap (el, opts = {}) {
  const map = L.map(el, { preferCanvas: true, zoomSnap: 0.5, minZoom: 5, maxZoom: CONFIG.tile_max_zoom || 18, attributionControl: !!CONFIG.tile_url, ...opts })
  const note = h('div', { class: 'map-note' })
  el.append(note)
  const say = key => { note.textContent = t(key); note.dataset.key = key }
  window.addEventListener('langchange', () => { if (note.dataset.key) note.textContent = t(note.dataset.key) })
  if (CONFIG.tile_url) {
    const subdomains = /tianditu/.test(CONFIG.tile_url) ? '01234567' : 'abc'
    const layer = L.tileLayer(CONFIG.tile_url, { maxZoom: CONFIG.tile_max_zoom || 18, attribution: CONFIG.tile_attribution || '', subdomains })
    let ok = 0; let bad = 0
    layer.on('tileload', () => { ok++ })
    layer.on('tileerror', () => {
      bad++
      if (bad >= 4 && ok === 0) { map.removeLayer(layer); say('map.tilesfail'); el.classList.add('no-tiles') }
    })
    layer.addTo(map)
  } else {
    say('map.notiles')
    el.classList.add('no-tiles')
  }
  return map
}

export const LEVELS = ['county', 'street', 'community', 'grid', 'micro_grid']
const CODE_LEN = { county: 6, street: 9, community: 12, grid: 15, micro_grid: 18 }

// fetchBoundaries loads every unit of a level (in pages of 1,000).
export async function fetchBoundaries (level, under, path = '/api/v1/boundaries') {
  const out = []
  for (let offset = 0; ; offset += 1000) {
    const q = new URLSearchParams({ level, limit: 1000, offset })
    if (under) q.set('under', under)
    const fc = await api('GET', path + '?' + q)
    for (const f of fc.features) { shiftGeometry(f.geometry); out.push(f) }
    if (fc.features.length < 1000 || out.length >= fc.total || path !== '/api/v1/boundaries') break
  }
  return { type: 'FeatureCollection', features: out }
}

// Boundaries draws units at every level on one canvas, showing the levels
// that suit the zoom, and colours them by the case counts given.
export class Boundaries {
  constructor (map, { onClick, path, under } = {}) {
    this.map = map
    this.layers = {}
    this.data = {}
    this.counts = null
    this.onClick = onClick
    this.path = path
    this.under = under
    this.renderer = L.canvas({ padding: 0.3 })
    map.on('zoomend', () => this.update())
    window.addEventListener('langchange', () => { for (const l in this.layers) this.layers[l].eachLayer(f => f.setTooltipContent?.(name(f.feature.properties))) })
  }

  // load fetches a level; the first call for a level draws it.
  async load (level) {
    if (!this.data[level]) this.data[level] = fetchBoundaries(level, this.under, this.path)
    const fc = await this.data[level]
    if (!this.layers[level]) {
      this.layers[level] = L.geoJSON(fc, {
        renderer: this.renderer,
        style: f => this.style(f),
        onEachFeature: (f, layer) => {
          if (['community', 'grid', 'micro_grid'].includes(level)) layer.bindTooltip(() => this.tip(f), { sticky: true })
          layer.on('click', e => this.onClick?.(f.properties, e))
        }
      })
      this.update()
    }
    return fc
  }

  tip (f) {
    const p = f.properties
    const c = this.counts?.[p.code]
    return name(p) + (c ? ' — ' + t('map.open_n', { open: c.open, red: c.red }) : '')
  }

  bounds () {
    for (const l of ['community', 'grid', 'street', 'county']) {
      if (this.layers[l] && this.layers[l].getLayers().length) return this.layers[l].getBounds()
    }
    return null
  }

  // visible decides which levels to draw at a zoom.
  visible (z) {
    if (z >= 15) return ['community', 'grid', 'micro_grid']
    if (z >= 13.5) return ['street', 'community', 'grid']
    return ['county', 'street', 'community']
  }

  update () {
    const want = this.visible(this.map.getZoom())
    for (const l of LEVELS) {
      const layer = this.layers[l]
      if (!layer) continue
      const on = want.includes(l)
      if (on && !this.map.hasLayer(layer)) layer.addTo(this.map)
      if (!on && this.map.hasLayer(layer)) this.map.removeLayer(layer)
    }
    this.fillLevel = want.includes('micro_grid') ? 'micro_grid' : want.includes('grid') ? 'grid' : 'community'
    this.restyle()
    for (const l of LEVELS) if (this.layers[l] && this.map.hasLayer(this.layers[l]) && l !== 'county') this.layers[l].bringToFront()
  }

  setCounts (counts) { this.counts = counts; this.restyle() }

  restyle () {
    for (const l in this.layers) this.layers[l].setStyle(f => this.style(f))
  }

  style (f) {
    const p = f.properties
    const base = { county: [3, '#1d4e89'], street: [2.5, '#2a6fb0'], community: [1.6, '#3b82c4'], grid: [1, '#6b9bd1'], micro_grid: [0.5, '#9bbce0'] }[p.level] || [1, '#888']
    const s = { weight: base[0], color: base[1], fillOpacity: 0, opacity: 0.9 }
    if (p.level === this.fillLevel && this.counts) {
      const c = this.counts[p.code]
      if (c && c.open) {
        const k = Math.min(1, Math.log2(1 + c.open) / Math.log2(1 + (this.counts._max[p.level] || 1)))
        s.fillColor = `hsl(${40 - 40 * k}, 90%, ${62 - 22 * k}%)`
        s.fillOpacity = 0.25 + 0.4 * k
        if (c.red) { s.color = '#d1242f'; s.weight = Math.max(s.weight, 1.5) }
      }
    }
    return s
  }
}

// unitCounts adds up open and overdue cases for every unit above each
// point, from the codes (a child's code extends its parent's).
export function unitCounts (points) {
  const counts = { _max: {} }
  for (const p of points) {
    if (!p.open) continue
    for (const level of LEVELS) {
      const code = p.unit.slice(0, CODE_LEN[level])
      if (code.length < CODE_LEN[level]) break
      const c = counts[code] || (counts[code] = { open: 0, red: 0 })
      c.open++
      if (p.light === 'red') c.red++
      if (c.open > (counts._max[level] || 0)) counts._max[level] = c.open
    }
  }
  return counts
}

// Clusters draws points grouped on a pixel grid: one marker per cell,
// coloured by the worst light in it. Rebuilt after each move.
export class Clusters {
  constructor (map, { onClick, cell = 56 } = {}) {
    this.map = map
    this.points = []
    this.cell = cell
    this.visible = true
    this.onClick = onClick
    this.group = L.layerGroup().addTo(map)
    this.renderer = L.canvas({ padding: 0.2 })
    map.on('moveend', () => this.draw())
  }

  set (points) { this.points = points; this.draw() }

  draw () {
    const map = this.map
    const group = this.group
    group.clearLayers()
    if (!this.visible) return
    const b = map.getBounds().pad(0.1)
    const z = map.getZoom()
    const cells = new Map()
    for (const p of this.points) {
      if (!b.contains(p.ll)) continue
      const px = map.project(p.ll, z)
      const key = Math.floor(px.x / this.cell) + ':' + Math.floor(px.y / this.cell)
      let c = cells.get(key)
      if (!c) { c = { n: 0, lat: 0, lon: 0, worst: 0, first: p }; cells.set(key, c) }
      c.n++; c.lat += p.ll[0]; c.lon += p.ll[1]
      const w = p.light === 'red' ? 3 : p.light === 'yellow' ? 2 : 1
      if (w > c.worst) c.worst = w
    }
    const colour = ['#2e9e44', '#2e9e44', '#e0a800', '#d1242f']
    for (const c of cells.values()) {
      if (c.n === 1 || z >= (CONFIG.tile_max_zoom || 18)) {
        const p = c.first
        const m = L.circleMarker(p.ll, { renderer: this.renderer, radius: 6, weight: 1.5, color: '#fff', fillColor: colour[c.worst], fillOpacity: 0.95 })
        m.on('click', () => this.onClick?.(p))
        group.addLayer(m)
        continue
      }
      const size = c.n < 10 ? 30 : c.n < 100 ? 36 : c.n < 1000 ? 42 : 48
      const icon = L.divIcon({ className: 'cluster w' + c.worst, iconSize: [size, size], html: '<span>' + c.n + '</span>' })
      const m = L.marker([c.lat / c.n, c.lon / c.n], { icon, keyboard: false })
      m.on('click', () => map.setView(m.getLatLng(), Math.min(z + 2, map.getMaxZoom())))
      group.addLayer(m)
    }
  }
}

// points turns the compact answer of /api/v1/web/points into objects.
export function decodePoints (r) {
  return r.rows.map(([id, lat, lon, u, l, s]) => {
    const status = r.statuses[s]
    return { id, lat, lon, ll: toMap(lat, lon), unit: r.units[u], light: r.lights[l], status, open: !['closed', 'rated', 'rejected', 'merged'].includes(status) }
  })
}

export function langName (p) { return getLang() === 'en' ? (p.name_en || p.name_zh) : p.name_zh }
