package sqlstore

import (
	"testing"
	"time"
)

// TestMemoClearWins: an answer read before a clear is not remembered after
// it (it would be stale for the whole ttl).
func TestMemoClearWins(t *testing.T) {
	m := newMemo[string](time.Minute)
	now := time.Now()
	_, ok, gen := m.get("360730", now)
	if ok {
		t.Fatal("remembered before anything was put")
	}
	m.clear() // the change commits while the answer is being read
	m.put("360730", "old", now, gen)
	if v, ok, _ := m.get("360730", now); ok {
		t.Errorf("remembered %q read before the clear", v)
	}
	_, _, gen = m.get("360730", now)
	m.put("360730", "new", now, gen)
	if v, ok, _ := m.get("360730", now); !ok || v != "new" {
		t.Errorf("got %q %v, want the answer read after the clear", v, ok)
	}
	if _, ok, _ := m.get("360730", now.Add(2*time.Minute)); ok {
		t.Error("remembered past its ttl")
	}
}
