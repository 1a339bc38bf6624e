package caseflow

import (
	"sync"

	"github.com/wangge/wangge"
)

// Event is a committed change of a case, for live listeners.
type Event struct {
	Action string       `json:"action"`
	Case   *wangge.Case `json:"case"`
}

// Broker fans committed case events out to live listeners in this process.
// A slow listener loses events rather than slowing the loop down; it can
// reload the case list. Several servers on one PostgreSQL relay their events
// to each other (Service.Relay).
type Broker struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
	out  chan Event // to the relay, when one runs
}

// NewBroker returns an empty broker.
func NewBroker() *Broker { return &Broker{subs: map[chan Event]struct{}{}} }

// Subscribe returns a channel of events and a function that ends the
// subscription.
func (b *Broker) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, 64)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		if _, ok := b.subs[ch]; ok {
			delete(b.subs, ch)
			close(ch)
		}
		b.mu.Unlock()
	}
}

// Publish sends an event to every listener that has room for it, and to
// the other servers.
func (b *Broker) Publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.out != nil {
		select {
		case b.out <- e:
		default: // the relay is behind: other servers miss this one
		}
	}
	b.local(e)
}

// local sends an event to this process's listeners only; b.mu is held.
func (b *Broker) local(e Event) {
	for ch := range b.subs {
		select {
		case ch <- e:
		default:
		}
	}
}
