package sqlstore

import (
	"sync"
	"time"
)

// memo remembers answers that a server reads on every request and that
// change seldom (a unit's county, a live API key, routing rules) for ttl.
// A change made through this server clears it at once; one made through
// another server shows within the ttl.
type memo[V any] struct {
	ttl time.Duration
	m   sync.Map // key → memoEntry[V]
}

type memoEntry[V any] struct {
	v     V
	until time.Time
}

func newMemo[V any](ttl time.Duration) *memo[V] { return &memo[V]{ttl: ttl} }

// get returns the value of key if it is remembered and not older than the
// ttl at now.
func (m *memo[V]) get(key string, now time.Time) (V, bool) {
	if e, ok := m.m.Load(key); ok {
		if e := e.(memoEntry[V]); now.Before(e.until) {
			return e.v, true
		}
	}
	var zero V
	return zero, false
}

func (m *memo[V]) put(key string, v V, now time.Time) {
	m.m.Store(key, memoEntry[V]{v, now.Add(m.ttl)})
}

func (m *memo[V]) clear() { m.m.Clear() }
