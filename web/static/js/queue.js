// The outbox of the grid worker's app: reports and visits are written to
// IndexedDB first and sent from there, so that nothing is lost without a
// network. A report carries its idempotency key from the moment it is
// made: sent twice (a reply lost on the way back), it is stored once.
import { api, ApiError } from './core.js'

const DB = 'wangge'
const STORE = 'outbox'

function open () {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1)
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'key' })
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

async function tx (mode, fn) {
  const db = await open()
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode)
    const store = t.objectStore(STORE)
    const out = fn(store)
    t.oncomplete = () => { db.close(); resolve(out?.result ?? out) }
    t.onerror = () => { db.close(); reject(t.error) }
  })
}

export function put (item) { return tx('readwrite', s => { s.put(item) }) }
export function remove (key) { return tx('readwrite', s => { s.delete(key) }) }
export async function all () {
  const items = await tx('readonly', s => s.getAll())
  return (items || []).sort((a, b) => a.created - b.created)
}

let flushing = null

// flush sends what waits, oldest first, and stops at the first lost
// connection. It reports each item sent to onSent.
export function flush (onSent) {
  if (!flushing) flushing = doFlush(onSent).finally(() => { flushing = null })
  return flushing
}

async function doFlush (onSent) {
  let sent = 0
  for (const item of await all()) {
    if (item.failed) continue
    try {
      if (item.kind === 'report') {
        if (!item.caseId) {
          const c = await api('POST', '/api/v1/cases', { ...item.body, idempotency_key: item.key })
          item.caseId = c.id
          item.number = c.number
          await put(item)
        }
        if (item.photo) {
          const fd = new FormData()
          fd.append('photo', item.photo, item.photoName || 'photo.jpg')
          try {
            await api('POST', '/api/v1/cases/' + item.caseId + '/photos', fd)
          } catch (e) {
            if (e.code === 'network' || e.status === 401) throw e
            item.photoError = e.message // the case is filed; a refused photo does not hold it back
          }
        }
      } else if (item.kind === 'visit') {
        await api('POST', '/api/v1/persons/' + item.personId + '/visits', item.body)
      }
      await remove(item.key)
      sent++
      onSent?.(item)
    } catch (e) {
      if (e instanceof ApiError && e.code !== 'network' && e.status !== 401 && e.status < 500) {
        item.failed = e.message
        item.fields = e.fields
        await put(item)
        onSent?.(item)
        continue
      }
      break // offline or the server is down: try again later
    }
  }
  return sent
}
