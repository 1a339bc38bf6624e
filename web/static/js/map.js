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
  const relabel = () => { if (note.dataset.key) note.textContent = t(note.dataset.key) }
  window.addEventListener('langchange', relabel)
  map.on('unload', () => window.removeEventListener('langchange', relabel))
  // The zoom shows on the element, for styles and tests.
  map.on('zoomend', () => { el.dataset.zoom = map.getZoom() })
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

export const LEVELS = ['province', 'city', 'county', 'street', 'community', 'grid', 'micro_grid']
export const CODE_LEN = { province: 2, city: 4, county: 6, street: 9, community: 12, grid: 15, micro_grid: 18 }
const TIP_LEVELS = ['community', 'grid', 'micro_grid']
const outline = (weight, color) => Object.freeze({ weight, color, fillOpacity: 0, opacity: 0.9 })
const OUTLINE = {
  province: outline(3.5, '#12355e'),
  city: outline(3.2, '#163f70'),
  county: outline(3, '#1d4e89'),
  street: outline(2.5, '#2a6fb0'),
  community: outline(1.6, '#3b82c4'),
  grid: outline(1, '#6b9bd1'),
  micro_grid: outline(0.5, '#9bbce0'),
  other: outline(1, '#888')
}

// fetchBoundaries loads every unit of a level (in pages of 1,000), under a
// unit and within a box (minLon,minLat,maxLon,maxLat, WGS84) if given.
export async function fetchBoundaries (level, under, path = '/api/v1/boundaries', bbox) {
  const out = []
  for (let offset = 0; ; offset += 1000) {
    const q = new URLSearchParams({ level, limit: 1000, offset })
    if (under) q.set('under', under)
    if (bbox) q.set('bbox', bbox.map(x => x.toFixed(6)).join(','))
    const fc = await api('GET', path + '?' + q)
    for (const f of fc.features) { shiftGeometry(f.geometry); out.push(f) }
    if (fc.features.length < 1000 || out.length >= fc.total || path !== '/api/v1/boundaries') break
  }
  return { type: 'FeatureCollection', features: out }
}

// --- drawing ---

// countDisc draws a count in a ringed disc with a soft shadow, in the
// context's font: the clusters of points and the units' bubbles.
function countDisc (ctx, x, y, r, label, fill, shadow, ring) {
  ctx.beginPath()
  ctx.arc(x, y + 1, r + 1.5, 0, 2 * Math.PI)
  ctx.fillStyle = shadow
  ctx.fill()
  ctx.beginPath()
  ctx.arc(x, y, r - 1.5, 0, 2 * Math.PI)
  ctx.fillStyle = fill
  ctx.fill()
  ctx.lineWidth = 3
  ctx.strokeStyle = ring
  ctx.stroke()
  ctx.fillStyle = '#fff'
  ctx.fillText(label, x, y + 0.5)
}

// A point's pixel on the map at zoom z is its world position (Web Mercator
// scaled to [0, 1]², as L.CRS.EPSG3857 has it) times 256·2^z. Boundaries
// and points are projected once, when they arrive, so that a zoom only
// multiplies: Leaflet's own path layers project every vertex again at
// each zoom, which was most of the stall of a zoom.
const MAX_LAT = 85.0511287798

export function worldX (lon) { return 0.5 + lon / 360 }

export function worldY (lat) {
  const s = Math.sin(Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI / 180)
  return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)
}

// fromWorld returns the [lat, lon] of a world position.
export function fromWorld (x, y) {
  return [(2 * Math.atan(Math.exp((0.5 - y) * 2 * Math.PI)) - Math.PI / 2) * 180 / Math.PI, (x - 0.5) * 360]
}

// view describes the part of the world a canvas covers (x0…x1, y0…y1) and
// how a world position becomes one of its pixels: x·s − ox, y·s − oy.
function view (map, bounds) {
  const z = map.getZoom()
  const s = map.options.crs.scale(z)
  const o = map.getPixelOrigin()
  return { z, s, ox: o.x, oy: o.y, x0: (bounds.min.x + o.x) / s, y0: (bounds.min.y + o.y) / s, x1: (bounds.max.x + o.x) / s, y1: (bounds.max.y + o.y) / s }
}

// Sheet is a Leaflet canvas renderer that paints the scenes of its map
// (boundaries, points) instead of Leaflet's path layers. Leaflet still
// sizes, places and animates the canvas. A paint does what can be seen
// first and the canvas's margin (the part a pan uncovers) a frame later,
// which halves the work of the frame that ends a zoom (much of it is the
// browser drawing the paths into the canvas's pixels). A pan that stays
// within the margin leaves the canvas as it is: the picture is there. The
// mouse goes through the canvas to the map (see scenes).
const Sheet = L.Canvas.extend({
  initialize (paint, options) {
    L.Canvas.prototype.initialize.call(this, options)
    this._paint = paint
  },
  _initContainer () {
    const c = this._container = document.createElement('canvas')
    c.style.pointerEvents = 'none'
    this._ctx = c.getContext('2d')
  },
  _update () {
    const map = this._map
    if (map._animatingZoom && this._bounds) return
    const size = map.getSize()
    const origin = map.getPixelOrigin()
    if (this._whole && this._zoom === map.getZoom() && this._size?.equals(size) && this._origin?.equals(origin)) {
      // Still at least a third of the margin from every edge?
      const keep = size.multiplyBy(this.options.padding / 3)
      const shown = L.bounds(map.containerPointToLayerPoint(keep.multiplyBy(-1)), map.containerPointToLayerPoint(size.add(keep)))
      if (this._bounds.contains(shown)) return
    }
    L.Renderer.prototype._update.call(this)
    this._size = size
    this._origin = origin
    const b = this._bounds; const c = this._container; const px = b.getSize(); const m = L.Browser.retina ? 2 : 1
    L.DomUtil.setPosition(c, b.min)
    // (Setting the size, even to the same, allocates a new bitmap.)
    if (c.width !== m * px.x || c.height !== m * px.y) {
      c.width = m * px.x; c.height = m * px.y
      c.style.width = px.x + 'px'; c.style.height = px.y + 'px'
    }
    this._ctx.setTransform(m, 0, 0, m, -m * b.min.x, -m * b.min.y)
    // The view the canvas is placed for: a repaint before the next move
    // (new data, a pinch under way) draws for it, not for the map's zoom
    // of the moment.
    this._view = view(map, b)
    this.fire('update')
  },
  _updatePaths () { if (!this._postponeUpdatePaths) this._redraw() },
  _redraw () {
    const ctx = this._ctx
    L.Util.cancelAnimFrame(this._redrawRequest)
    L.Util.cancelAnimFrame(this._marginRequest)
    this._redrawRequest = this._marginRequest = null
    if (!this._map || !this._view) return
    this._redrawBounds = null
    this._clear()
    // The part shown, unless a zoom is under way: all of the canvas then.
    const map = this._map
    const size = map.getSize()
    const r = map._animatingZoom || map.getZoom() !== this._zoom
      ? this._bounds
      : L.bounds(map.containerPointToLayerPoint([0, 0]), map.containerPointToLayerPoint(size))
    const v = this._view
    const shown = { ...v, x0: (r.min.x + v.ox) / v.s, y0: (r.min.y + v.oy) / v.s, x1: (r.max.x + v.ox) / v.s, y1: (r.max.y + v.oy) / v.s }
    ctx.save()
    ctx.beginPath()
    ctx.rect(r.min.x, r.min.y, r.max.x - r.min.x, r.max.y - r.min.y)
    ctx.clip()
    this._paint(ctx, shown)
    ctx.restore()
    this._whole = false
    // The margin at the next frame but one: the next frame shows what was
    // just painted.
    this._marginRequest = L.Util.requestAnimFrame(() => {
      this._marginRequest = L.Util.requestAnimFrame(() => {
        this._marginRequest = null
        const b = this._bounds
        ctx.save()
        ctx.beginPath()
        ctx.rect(b.min.x, b.min.y, b.max.x - b.min.x, b.max.y - b.min.y)
        ctx.rect(r.min.x, r.min.y, r.max.x - r.min.x, r.max.y - r.min.y)
        ctx.clip('evenodd')
        this._paint(ctx, { ...v, hole: shown })
        ctx.restore()
        this._whole = true
      })
    })
  },
  _draw () {
    if (this._map && this._view) { this._paint(this._ctx, this._view); this._whole = true }
  },
  _destroyContainer () {
    L.Util.cancelAnimFrame(this._marginRequest)
    L.Canvas.prototype._destroyContainer.call(this)
  },
  // redraw paints again at the next frame, once however often it is asked.
  redraw () {
    if (this._map && !this._redrawRequest) this._redrawRequest = L.Util.requestAnimFrame(this._redraw, this)
  }
})

// outside tells whether a world box (x0, y0, x1, y1), widened by m, misses
// what a paint covers: out of its view, or within the hole it leaves.
function outside (v, x0, y0, x1, y1, m) {
  if (x1 < v.x0 - m || x0 > v.x1 + m || y1 < v.y0 - m || y0 > v.y1 + m) return true
  const h = v.hole
  return !!h && x0 - m >= h.x0 && x1 + m <= h.x1 && y0 - m >= h.y0 && y1 + m <= h.y1
}

// scenes returns the drawing surface of a map, made at the first call: one
// canvas on which every scene added paints (paint(ctx, view)), in the order
// added, and the mouse, for which each scene's hit(w) says what it has at
// the world position w ({ click, tip } or null), the scene painted last
// (on top) first. Hovering is looked up once per frame.
function scenes (map) {
  if (map._wanggeScenes) return map._wanggeScenes
  const list = []
  const sheet = new Sheet((ctx, v) => {
    for (const scene of list) {
      ctx.save()
      scene.paint(ctx, v)
      ctx.restore()
    }
  }, { padding: 0.3 }).addTo(map)
  const text = document.createElement('span')
  const tip = L.tooltip({ direction: 'auto' }).setContent(text)
  let frame = 0; let last = null
  const at = e => {
    const w = { x: worldX(e.latlng.lng), y: worldY(e.latlng.lat), s: map.options.crs.scale(map.getZoom()) }
    for (let i = list.length - 1; i >= 0; i--) {
      const hit = list[i].hit(w)
      if (hit) return hit
    }
    return null
  }
  const leave = () => {
    map.getContainer().classList.remove('map-pointer')
    if (map.hasLayer(tip)) map.removeLayer(tip)
  }
  const hover = () => {
    frame = 0
    if (!last || map.dragging?.moving() || map._animatingZoom) return
    const hit = at(last)
    map.getContainer().classList.toggle('map-pointer', !!hit?.click)
    const s = hit?.tip?.()
    if (!s) { if (map.hasLayer(tip)) map.removeLayer(tip); return }
    text.textContent = s
    tip.setLatLng(last.latlng)
    if (!map.hasLayer(tip)) map.addLayer(tip)
  }
  map.on('mousemove', e => { last = e; if (!frame) frame = L.Util.requestAnimFrame(hover) })
  map.on('mouseout', () => { last = null; leave() })
  map.on('movestart zoomstart', leave)
  map.on('click', e => at(e)?.click?.(e))
  map.on('unload', () => L.Util.cancelAnimFrame(frame))
  map._wanggeScenes = {
    add (scene) { list.push(scene); sheet.redraw() },
    redraw () { sheet.redraw() }
  }
  return map._wanggeScenes
}

const later = () => new Promise(resolve => setTimeout(resolve))

// compile projects the features' rings to world positions, in slices of
// about 8 ms so that the 1,623 micro-grids do not hold the page.
async function compile (fc) {
  const out = []
  let t0 = performance.now()
  for (const f of fc.features) {
    const g = f.geometry || {}
    const polygons = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : []
    const rings = []
    let x0 = Infinity; let y0 = Infinity; let x1 = -Infinity; let y1 = -Infinity
    for (const polygon of polygons) {
      for (const ring of polygon) {
        const a = new Float64Array(ring.length * 2)
        for (let i = 0; i < ring.length; i++) {
          const x = worldX(ring[i][0]); const y = worldY(ring[i][1])
          a[2 * i] = x; a[2 * i + 1] = y
          if (x < x0) x0 = x
          if (x > x1) x1 = x
          if (y < y0) y0 = y
          if (y > y1) y1 = y
        }
        rings.push(a)
      }
    }
    if (rings.length) out.push({ feature: f, rings, box: [x0, y0, x1, y1], style: null })
    if (performance.now() - t0 > 8) { await later(); t0 = performance.now() }
  }
  return out
}

// trace adds a unit's rings to the canvas path, leaving out the vertices
// that fall within a pixel of the last one drawn.
function trace (ctx, u, v) {
  const { s, ox, oy } = v
  for (const r of u.rings) {
    const n = r.length - 2
    let lx = r[0] * s - ox; let ly = r[1] * s - oy
    ctx.moveTo(lx, ly)
    for (let i = 2; i < n; i += 2) {
      const x = r[i] * s - ox; const y = r[i + 1] * s - oy
      if (Math.abs(x - lx) + Math.abs(y - ly) < 0.75) continue
      ctx.lineTo(x, y); lx = x; ly = y
    }
    if (n > 0) ctx.lineTo(r[n] * s - ox, r[n + 1] * s - oy)
    ctx.closePath()
  }
}

// inside tells whether the world position (x, y) is in a unit (even-odd
// over all its rings, as the canvas fills it).
function inside (u, x, y) {
  const b = u.box
  if (x < b[0] || x > b[2] || y < b[1] || y > b[3]) return false
  let in_ = false
  for (const r of u.rings) {
    for (let i = 0, j = r.length - 2; i < r.length; j = i, i += 2) {
      const xi = r[i]; const yi = r[i + 1]; const xj = r[j]; const yj = r[j + 1]
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) in_ = !in_
    }
  }
  return in_
}

// How large a level's typical unit (the median of the longer sides of its
// units' boxes) must be on screen, in px: the finest level drawn has units
// of DRAW_PX at least; a level's children are fetched for the view once its
// units reach SPLIT_PX (or, once the children's size is known, when they
// are nearly large enough to draw). Beyond MAX_TILES tiles for one view
// the fetch waits for a closer zoom.
const DRAW_PX = 40
const SPLIT_PX = 150
const MAX_TILES = 16

// unitFeature turns a unit of the API (with its boundary) into a feature.
export function unitFeature (u) {
  return {
    type: 'Feature',
    geometry: shiftGeometry(u.boundary),
    properties: { code: u.code, level: u.level, name_zh: u.name_zh, name_en: u.name_en, parent_code: u.parent_code }
  }
}

// bboxBounds is the map's bounds of a WGS84 box [minLon, minLat, maxLon, maxLat].
export function bboxBounds (b) {
  const corners = [toMap(b[1], b[0]), toMap(b[3], b[2]), toMap(b[1], b[2]), toMap(b[3], b[0])]
  return L.latLngBounds(corners)
}

// worldBounds is the map's bounds of a world box [x0, y0, x1, y1].
export function worldBounds (box) { return L.latLngBounds(fromWorld(box[0], box[3]), fromWorld(box[2], box[1])) }

// viewBox is the world box the map shows, widened by pad times its size on
// every side.
export function viewBox (map, pad = 0) {
  const b = map.getPixelBounds()
  const s = map.options.crs.scale(map.getZoom())
  const w = (b.max.x - b.min.x) * pad; const hh = (b.max.y - b.min.y) * pad
  return [(b.min.x - w) / s, (b.min.y - hh) / s, (b.max.x + w) / s, (b.max.y + hh) / s]
}

// wgsBox is the WGS84 box [minLon, minLat, maxLon, maxLat] around a world
// box (widened by the GCJ-02 shift when the map is drawn in it).
export function wgsBox (box) {
  const [n, w] = fromWorld(box[0], box[1])
  const [so, e] = fromWorld(box[2], box[3])
  const m = gcj ? 0.01 : 0
  return [Math.max(-180, w - m), Math.max(-85, so - m), Math.min(180, e + m), Math.min(85, n + m)]
}

function meets (a, b) { return a[0] <= b[2] && a[2] >= b[0] && a[1] <= b[3] && a[3] >= b[1] }

// Boundaries draws units at every level on one canvas, showing the levels
// that suit the zoom, and colours them by the case counts given. Only the
// units in view are drawn, from geometry projected once.
//
// Given a scope ({ roots: unit codes, top: their level, bbox: WGS84 }),
// it chooses the levels by the size of their units on screen, and fetches
// the levels below the ones loaded (load) for the part of the map in view
// only, in tiles of a grid fixed per level, each fetched once.
export class Boundaries {
  constructor (map, { onClick, path, under, scope, onLoad } = {}) {
    this.map = map
    this.data = {} // level → promise of its FeatureCollection
    this.units = {} // level → [{ feature, rings, box, style }], once compiled
    this.byCode = new Map() // code → unit, every level
    this.sizes = {} // level → typical size in world units (undefined: to work out)
    this.tiles = new Map() // 'level/zoom/x/y' → promise
    this.tileZoom = {} // level → zoom of its tile grid, fixed when first used
    this.full = {} // level → loaded for the whole scope
    this.shown = []
    this.counts = null
    this.onClick = onClick
    this.onLoad = onLoad
    this.path = path
    this.under = under
    this.scope = scope
    this.fetching = false // fetch by view (turned on once the first paint is done)
    if (scope) {
      this.top = Math.max(0, LEVELS.indexOf(scope.top))
      if (scope.bbox) {
        const [a, b] = [toMap(scope.bbox[3], scope.bbox[0]), toMap(scope.bbox[1], scope.bbox[2])]
        const m = gcj ? 0.01 : 0
        this.box = [worldX(a[1] - m), worldY(a[0] + m), worldX(b[1] + m), worldY(b[0] - m)]
      }
    }
    this.sheet = scenes(map)
    map.on('zoomend', () => this.update())
    if (scope) map.on('moveend', () => this.update())
    this.sheet.add(this)
  }

  // load fetches a level (under each root of the scope); the first call
  // for a level draws it.
  load (level) {
    if (!this.data[level]) {
      const unders = this.scope ? this.scope.roots : [this.under]
      this.data[level] = Promise.all(unders.map(u => fetchBoundaries(level, u, this.path))).then(async fcs => {
        const fc = { type: 'FeatureCollection', features: fcs.flatMap(fc => fc.features) }
        await this.add(level, fc.features)
        this.full[level] = true
        return fc
      })
    }
    return this.data[level]
  }

  // add draws the features of a level not drawn yet.
  async add (level, features, full) {
    const compiled = await compile({ features: features.filter(f => !this.byCode.has(f.properties?.code)) })
    const list = this.units[level] || (this.units[level] = [])
    for (const u of compiled) {
      const code = u.feature.properties?.code
      if (code) {
        if (this.byCode.has(code)) continue
        this.byCode.set(code, u)
      }
      u.filled = this.style(u.feature)
      list.push(u)
    }
    if (full) this.full[level] = true
    this.sizes[level] = undefined
    this.update()
    this.onLoad?.(level)
  }

  unit (code) { return this.byCode.get(code) }

  // typical is the median of the longer sides of a level's units' boxes,
  // in world units (0 when none is loaded).
  typical (level) {
    if (this.sizes[level] === undefined) {
      const us = this.units[level]
      if (!us?.length) return 0
      const v = us.map(({ box }) => Math.max(box[2] - box[0], box[3] - box[1])).sort((a, b) => a - b)
      this.sizes[level] = v[v.length >> 1]
    }
    return this.sizes[level]
  }

  // inView lists the loaded units of a level whose box meets the view.
  inView (level, pad = 0) {
    const v = viewBox(this.map, pad)
    return (this.units[level] || []).filter(u => meets(u.box, v))
  }

  // idle resolves when every fetch begun has ended.
  async idle () {
    for (;;) {
      const all = [...Object.values(this.data), ...this.tiles.values()]
      await Promise.allSettled(all)
      if (all.length === this.tiles.size + Object.keys(this.data).length) return
    }
  }

  tip (f) {
    const p = f.properties
    const c = this.counts?.[p.code]
    return name(p) + (c ? ' — ' + t('map.open_n', { open: c.open, red: c.red }) : '')
  }

  bounds () {
    for (const l of ['community', 'grid', 'street', 'county', 'city', 'province']) {
      const units = this.units[l]
      if (!units || !units.length) continue
      let x0 = Infinity; let y0 = Infinity; let x1 = -Infinity; let y1 = -Infinity
      for (const { box } of units) {
        x0 = Math.min(x0, box[0]); y0 = Math.min(y0, box[1]); x1 = Math.max(x1, box[2]); y1 = Math.max(y1, box[3])
      }
      return worldBounds([x0, y0, x1, y1])
    }
    return null
  }

  // visible decides which levels to draw at a zoom: with a scope, the
  // finest whose units are DRAW_PX on screen and the two above it (not
  // above the scope); otherwise by zoom, as for one county.
  visible (z) {
    if (!this.scope) {
      if (z >= 15) return ['community', 'grid', 'micro_grid']
      if (z >= 13.5) return ['street', 'community', 'grid']
      return ['county', 'street', 'community']
    }
    const s = this.map.options.crs.scale(z)
    let fine = this.top
    for (let i = this.top + 1; i < LEVELS.length; i++) {
      const size = this.typical(LEVELS[i])
      if (!size || size * s < DRAW_PX) break
      fine = i
    }
    return LEVELS.slice(Math.max(this.top, fine - 2), fine + 1)
  }

  // update picks the levels for the zoom; the canvas paints them when the
  // map has moved, or at the next frame.
  update () {
    const want = this.visible(this.map.getZoom())
    this.shown = LEVELS.filter(l => want.includes(l) && this.units[l])
    this.fillLevel = want[want.length - 1]
    if (this.scope && this.fetching) this.fetchView()
    this.sheet.redraw()
  }

  // fetchView fetches, for the view, each level below those loaded whole
  // whose parents are large enough on screen to be split.
  fetchView () {
    const s = this.map.options.crs.scale(this.map.getZoom())
    for (let i = this.top + 1; i < LEVELS.length; i++) {
      const level = LEVELS[i]
      if (this.full[level]) continue
      const parent = this.typical(LEVELS[i - 1])
      if (!parent) return
      const size = this.typical(level)
      if (size ? size * s < 0.75 * DRAW_PX : parent * s < SPLIT_PX) return
      this.fetchTiles(level, parent)
    }
  }

  // fetchTiles fetches the tiles of a level that the view (and a fifth of
  // it around) covers within the scope. A level's tiles are about two to
  // four of its parents across.
  fetchTiles (level, parent) {
    let k = this.tileZoom[level]
    if (k === undefined) k = this.tileZoom[level] = Math.max(0, Math.floor(-Math.log2(2 * parent)))
    const size = Math.pow(2, -k)
    let [x0, y0, x1, y1] = viewBox(this.map, 0.2)
    if (this.box) {
      x0 = Math.max(x0, this.box[0]); y0 = Math.max(y0, this.box[1]); x1 = Math.min(x1, this.box[2]); y1 = Math.min(y1, this.box[3])
    }
    if (x0 >= x1 || y0 >= y1) return
    const tx0 = Math.floor(x0 / size); const tx1 = Math.floor(x1 / size)
    const ty0 = Math.floor(y0 / size); const ty1 = Math.floor(y1 / size)
    if ((tx1 - tx0 + 1) * (ty1 - ty0 + 1) > MAX_TILES) return
    for (let tx = tx0; tx <= tx1; tx++) {
      for (let ty = ty0; ty <= ty1; ty++) {
        const key = level + '/' + k + '/' + tx + '/' + ty
        if (this.tiles.has(key)) continue
        const bbox = wgsBox([tx * size, ty * size, (tx + 1) * size, (ty + 1) * size])
        this.tiles.set(key, Promise.all(this.scope.roots.map(u => fetchBoundaries(level, u, this.path, bbox)))
          .then(fcs => this.add(level, fcs.flatMap(fc => fc.features)))
          .catch(() => { this.tiles.delete(key) })) // tried again at the next move
      }
    }
  }

  setCounts (counts) { this.counts = counts; this.restyle() }

  // restyle works out, for the units of the levels given (all loaded
  // levels by default), how each looks when its level is the one filled,
  // so that a zoom to another level only picks the looks.
  restyle (levels = Object.keys(this.units)) {
    for (const l of levels) for (const u of this.units[l] || []) u.filled = this.style(u.feature)
    this.sheet.redraw()
  }

  // style is how a unit looks when its level is filled: by its open cases
  // (in 20 shades, so that units of a shade fill together) and with a red
  // outline if any is overdue. Other levels have their plain outline.
  style (f) {
    const p = f.properties
    const base = OUTLINE[p.level] || OUTLINE.other
    const c = this.counts?.[p.code]
    if (!c || !c.open) return base
    const s = { ...base }
    const k = Math.round(20 * Math.min(1, Math.log2(1 + c.open) / Math.log2(1 + (this.counts._max[p.level] || 1)))) / 20
    s.fillColor = `hsl(${40 - 40 * k}, 90%, ${62 - 22 * k}%)`
    s.fillOpacity = 0.25 + 0.4 * k
    if (c.red) { s.color = '#d1242f'; s.weight = Math.max(s.weight, 1.5) }
    return s
  }

  // paint draws the shown levels, coarse to fine, each in one fill per
  // shade and then one stroke per outline style.
  paint (ctx, v) {
    const m = 4 / v.s // the widest outline, in world units
    ctx.lineCap = ctx.lineJoin = 'round'
    const group = (groups, key, st, u) => {
      const g = groups.get(key)
      if (g) g.units.push(u)
      else groups.set(key, { st, units: [u] })
    }
    for (const level of this.shown) {
      const fills = new Map()
      const strokes = new Map()
      const plain = OUTLINE[level] || OUTLINE.other
      for (const u of this.units[level]) {
        const b = u.box
        if (outside(v, b[0], b[1], b[2], b[3], m)) continue
        const st = level === this.fillLevel ? u.filled : plain
        if (st.fillOpacity > 0) group(fills, st.fillColor + ' ' + st.fillOpacity, st, u)
        group(strokes, st.color + ' ' + st.weight + ' ' + st.opacity, st, u)
      }
      for (const { st, units } of fills.values()) {
        ctx.beginPath()
        for (const u of units) trace(ctx, u, v)
        ctx.globalAlpha = st.fillOpacity
        ctx.fillStyle = st.fillColor
        ctx.fill('evenodd')
      }
      for (const { st, units } of strokes.values()) {
        ctx.beginPath()
        for (const u of units) trace(ctx, u, v)
        ctx.globalAlpha = st.opacity
        ctx.lineWidth = st.weight
        ctx.strokeStyle = st.color
        ctx.stroke()
      }
    }
  }

  // hit finds the unit at w, the finest level shown first. Units below
  // the scope's top (or, without one, communities and below) are named.
  hit (w) {
    for (let i = this.shown.length - 1; i >= 0; i--) {
      const level = this.shown[i]
      const named = this.scope ? LEVELS.indexOf(level) > this.top : TIP_LEVELS.includes(level)
      for (const u of this.units[level]) {
        if (!inside(u, w.x, w.y)) continue
        return {
          tip: named ? () => this.tip(u.feature) : null,
          click: this.onClick ? e => this.onClick(u.feature.properties, e) : null
        }
      }
    }
    return null
  }
}

// Bubbles draws, for when there are too many cases to draw one by one, a
// disc per unit with its open cases at the middle of the unit's box, and
// beside it a red badge with the overdue ones. set takes the discs:
// [{ code, name, open, red, wx, wy }] (world position); a click on one
// calls onClick with it.
export class Bubbles {
  constructor (map, { onClick } = {}) {
    this.map = map
    this.items = []
    this.drawn = []
    this.onClick = onClick
    this.sheet = scenes(map)
    this.sheet.add(this)
  }

  set (items) { this.items = items; this.sheet.redraw() }

  paint (ctx, v) {
    if (!v.hole) this.drawn = []
    if (!this.items.length) return
    const font = this.font || (this.font = getComputedStyle(this.map.getContainer()).fontFamily || 'sans-serif')
    ctx.textAlign = 'center'
    ctx.textBaseline = 'middle'
    const m = 40 / v.s
    for (const b of this.items) {
      if (outside(v, b.wx, b.wy, b.wx, b.wy, m)) continue
      const x = b.wx * v.s - v.ox; const y = b.wy * v.s - v.oy
      const label = String(b.open)
      const r = 12 + 3 * label.length
      ctx.font = '700 12px ' + font
      countDisc(ctx, x, y, r, label, 'rgba(42,111,176,.92)', 'rgba(0,0,0,.15)', 'rgba(255,255,255,.9)')
      if (b.red) {
        const bx = x + r * 0.75; const by = y - r * 0.75; const br = 7 + 2.5 * String(b.red).length
        ctx.beginPath()
        ctx.arc(bx, by, br, 0, 2 * Math.PI)
        ctx.fillStyle = COLOUR[3]
        ctx.fill()
        ctx.lineWidth = 1.5
        ctx.stroke()
        ctx.fillStyle = '#fff'
        ctx.font = '700 10px ' + font
        ctx.fillText(String(b.red), bx, by + 0.5)
      }
      this.drawn.push({ b, r })
    }
  }

  hit (w) {
    for (let i = this.drawn.length - 1; i >= 0; i--) {
      const { b, r } = this.drawn[i]
      const dx = (b.wx - w.x) * w.s; const dy = (b.wy - w.y) * w.s
      if (dx * dx + dy * dy > (r + 6) * (r + 6)) continue
      return { click: this.onClick ? () => this.onClick(b) : null, tip: () => b.name + ' — ' + t('map.open_n', { open: b.open, red: b.red }) }
    }
    return null
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

const WORST = { red: 3, yellow: 2 }
const COLOUR = ['#2e9e44', '#2e9e44', '#e0a800', '#d1242f']
const CLUSTER = ['', 'rgba(46,158,68,.9)', 'rgba(224,168,0,.92)', 'rgba(209,36,47,.92)']

// idle runs fn when the page has nothing else to do (Safari has no
// requestIdleCallback: it gets slices of 8 ms after a short wait).
const idle = window.requestIdleCallback
  ? fn => window.requestIdleCallback(fn, { timeout: 1000 })
  : fn => setTimeout(() => { const t0 = performance.now(); fn({ timeRemaining: () => Math.max(0, 8 - (performance.now() - t0)) }) }, 50)

// Clusters draws points grouped on a pixel grid of 56 px, on a canvas: a
// disc with the count for a cell of several points, coloured by the worst
// light in it, and the points alone in their cell as dots (every point at
// the highest zoom). The grouping is computed once per zoom and data, the
// zooms around the current one ahead of time while the page is idle, so
// that a zoom only looks it up; nothing is added to or removed from the
// page's DOM.
export class Clusters {
  constructor (map, { onClick, cell = 56 } = {}) {
    this.map = map
    this.points = []
    this.cell = cell
    this.visible = true
    this.onClick = onClick
    this.index = new Map() // zoom → cells
    this.gen = 0 // the data's generation: idle work for older data stops
    this.drawn = [] // what the last paint drew, bottom first: { p } or { c, r }
    this.maxZoom = CONFIG.tile_max_zoom || 18
    map.on('unload', () => { this.gen++ })
    this.sheet = scenes(map)
    this.sheet.add(this)
  }

  set (points) {
    this.points = points
    for (const p of points) { p.wx = worldX(p.ll[1]); p.wy = worldY(p.ll[0]) }
    this.index.clear()
    this.gen++
    this.sheet.redraw()
    this.prepare()
  }

  // draw paints again (after a change of visible).
  draw () { this.sheet.redraw() }

  // cells groups the points on the grid of zoom z: count, mean position,
  // worst light and the first point of each cell.
  cells (z) {
    let cells = this.index.get(z)
    if (cells) return cells
    const k = this.map.options.crs.scale(z) / this.cell
    const span = Math.ceil(k) + 1
    const byKey = new Map()
    cells = []
    for (const p of this.points) {
      const key = Math.floor(p.wx * k) * span + Math.floor(p.wy * k)
      let c = byKey.get(key)
      if (!c) { c = { n: 0, lat: 0, lon: 0, worst: 1, first: p }; byKey.set(key, c); cells.push(c) }
      c.n++; c.lat += p.ll[0]; c.lon += p.ll[1]
      const w = WORST[p.light] || 1
      if (w > c.worst) c.worst = w
    }
    for (const c of cells) {
      c.lat /= c.n; c.lon /= c.n
      c.wx = worldX(c.lon); c.wy = worldY(c.lat)
    }
    // Southern discs over northern ones, as Leaflet stacks markers.
    cells.sort((a, b) => a.wy - b.wy)
    this.index.set(z, cells)
    return cells
  }

  // prepare groups the points for every zoom step while the page is idle,
  // the zooms nearest the current one first.
  prepare () {
    const gen = this.gen
    const map = this.map
    const z0 = map.getZoom() || 0
    const zooms = []
    for (let z = map.getMinZoom(); z <= map.getMaxZoom(); z += 0.5) zooms.push(z)
    zooms.sort((a, b) => Math.abs(a - z0) - Math.abs(b - z0))
    const step = deadline => {
      if (gen !== this.gen) return
      // At least one zoom per call, even when the browser ran out of
      // patience (timeout) and gives no time.
      this.cells(zooms.shift())
      while (zooms.length && deadline.timeRemaining() > 3) this.cells(zooms.shift())
      if (zooms.length) idle(step)
    }
    if (zooms.length) idle(step)
  }

  // paint draws the dots, red over yellow over green, then the discs.
  paint (ctx, v) {
    // (The margin's paint adds to what the shown part's drew.)
    if (!v.hole) this.drawn = []
    const drawn = this.drawn
    if (!this.visible || !this.points.length) return
    const all = v.z >= this.maxZoom
    const m = 26 / v.s // the largest disc's radius and shadow, in world units
    const dots = [[], [], [], []]
    const discs = []
    for (const c of all ? this.points : this.cells(v.z)) {
      if (outside(v, c.wx, c.wy, c.wx, c.wy, m)) continue
      if (all) dots[WORST[c.light] || 1].push(c)
      else if (c.n === 1) dots[c.worst].push(c.first)
      else discs.push(c)
    }
    ctx.lineWidth = 1.5
    ctx.strokeStyle = '#fff'
    for (let w = 1; w <= 3; w++) {
      if (!dots[w].length) continue
      ctx.beginPath()
      for (const p of dots[w]) {
        const x = p.wx * v.s - v.ox; const y = p.wy * v.s - v.oy
        ctx.moveTo(x + 6, y)
        ctx.arc(x, y, 6, 0, 2 * Math.PI)
        drawn.push({ p })
      }
      ctx.globalAlpha = 0.95
      ctx.fillStyle = COLOUR[w]
      ctx.fill()
      ctx.globalAlpha = 1
      ctx.stroke()
    }
    if (!discs.length) return
    // As the CSS of .cluster had them: 30–48 px across, a white ring of
    // 3 px, a soft shadow, the count in bold white.
    ctx.font = '700 12px ' + (this.font || (this.font = getComputedStyle(this.map.getContainer()).fontFamily || 'sans-serif'))
    ctx.textAlign = 'center'
    ctx.textBaseline = 'middle'
    for (const c of discs) {
      const x = c.wx * v.s - v.ox; const y = c.wy * v.s - v.oy
      const r = (c.n < 10 ? 30 : c.n < 100 ? 36 : c.n < 1000 ? 42 : 48) / 2
      countDisc(ctx, x, y, r, String(c.n), CLUSTER[c.worst], 'rgba(0,0,0,.12)', 'rgba(255,255,255,.85)')
      drawn.push({ c, r })
    }
  }

  // hit finds what is drawn on top at w: a disc zooms in on its cell, a
  // dot opens its case.
  hit (w) {
    for (let i = this.drawn.length - 1; i >= 0; i--) {
      const d = this.drawn[i]
      const q = d.c || d.p
      const dx = (q.wx - w.x) * w.s; const dy = (q.wy - w.y) * w.s
      const r = d.c ? d.r : 7.5
      if (dx * dx + dy * dy > r * r) continue
      if (d.p) return { click: this.onClick ? () => this.onClick(d.p) : null, tip: null }
      const z = Math.min(this.map.getZoom() + 2, this.map.getMaxZoom())
      return { click: () => this.map.setView([d.c.lat, d.c.lon], z), tip: null }
    }
    return null
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
