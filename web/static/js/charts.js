// Small SVG charts of our own: a line chart of daily series and a
// horizontal bar chart. No library: a few dozen lines each.
import { h } from './core.js'

const NS = 'svg:'

// lineChart draws series [{label, colour, values}] over day labels.
export function lineChart (labels, series, { width = 520, height = 180 } = {}) {
  const pad = { l: 34, r: 10, t: 10, b: 22 }
  const w = width - pad.l - pad.r; const hgt = height - pad.t - pad.b
  const max = Math.max(1, ...series.flatMap(s => s.values))
  const x = i => pad.l + (labels.length < 2 ? w / 2 : i * w / (labels.length - 1))
  const y = v => pad.t + hgt - v / max * hgt
  const svg = h(NS + 'svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart line', role: 'img' })
  for (let k = 0; k <= 4; k++) {
    const v = Math.round(max * k / 4)
    svg.append(h(NS + 'line', { x1: pad.l, x2: width - pad.r, y1: y(v), y2: y(v), class: 'grid' }))
    svg.append(h(NS + 'text', { x: pad.l - 4, y: y(v) + 3, class: 'axis', 'text-anchor': 'end' }, String(v)))
  }
  const step = Math.max(1, Math.ceil(labels.length / 7))
  labels.forEach((l, i) => { if (i % step === 0 || i === labels.length - 1) svg.append(h(NS + 'text', { x: x(i), y: height - 6, class: 'axis', 'text-anchor': 'middle' }, l)) })
  for (const s of series) {
    const d = s.values.map((v, i) => (i ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(v).toFixed(1)).join(' ')
    svg.append(h(NS + 'path', { d, class: 'series', stroke: s.colour, fill: 'none' }, h(NS + 'title', null, s.label)))
  }
  const legend = h('div', { class: 'legend' }, series.map(s => h('span', null, h('i', { style: { background: s.colour } }), s.label)))
  return h('div', { class: 'chart-box' }, svg, legend)
}

// barChart draws [{label, value, title}] as horizontal bars, largest first.
export function barChart (items, { colour = '#3b82c4', max = 8, onClick } = {}) {
  const top = [...items].sort((a, b) => b.value - a.value).slice(0, max)
  const m = Math.max(1, ...top.map(i => i.value))
  return h('div', { class: 'bars' }, top.map(i => h('div', { class: 'bar-row' + (onClick ? ' link' : ''), title: i.title || i.label, onclick: onClick ? () => onClick(i) : null },
    h('span', { class: 'bar-label' }, i.label),
    h('span', { class: 'bar-track' }, h('span', { class: 'bar', style: { width: (i.value / m * 100).toFixed(1) + '%', background: colour } })),
    h('span', { class: 'bar-value' }, String(i.value)))))
}
