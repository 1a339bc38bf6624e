package sqlstore

import (
	"sync"
	"sync/atomic"
	"time"
)

// memo remembers answers that a server reads on every request and that
// change seldom (a unit's county, a live API key, routing rules) for ttl.
// A change made through this server clears it at once; one made through
// another server shows within the ttl (or at once on PostgreSQL, whose
// servers tell each other: DB.changed).
type memo[V any] struct {
	ttl time.Duration
	m   sync.Map // key → memoEntry[V]
	// gen counts the clears: an answer read before a clear must not be
	// remembered after it, for the whole ttl.
	gen atomic.Uint64
}

type memoEntry[V any] struct {
	v     V
	until time.Time
}

func newMemo[V any](ttl time.Duration) *memo[V] { return &memo[V]{ttl: ttl} }

// get returns the value of key if it is remembered and not older than the
// ttl at now; on a miss, the generation to give put with the answer read.
func (m *memo[V]) get(key string, now time.Time) (V, bool, uint64) {
	gen := m.gen.Load()
	if e, ok := m.m.Load(key); ok {
		if e := e.(memoEntry[V]); now.Before(e.until) {
			return e.v, true, gen
		}
	}
	var zero V
	return zero, false, gen
}

// put remembers v, read after the get that gave gen, unless a clear came
// since.
func (m *memo[V]) put(key string, v V, now time.Time, gen uint64) {
	if m.gen.Load() != gen {
		return
	}
	m.m.Store(key, memoEntry[V]{v, now.Add(m.ttl)})
	if m.gen.Load() != gen { // a clear ran while storing
		m.m.Delete(key)
	}
}

func (m *memo[V]) clear() {
	m.gen.Add(1)
	m.m.Clear()
}
