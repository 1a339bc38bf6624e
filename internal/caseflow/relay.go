package caseflow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"

	"github.com/wangge/wangge/internal/sqlstore"
)

// relayMsg is what a server tells the others of an event: the case to
// reload, not the case itself (a notification holds at most 8,000 bytes and
// the listeners may see only part of a case).
type relayMsg struct {
	Origin string `json:"o"`
	Action string `json:"a"`
	CaseID int64  `json:"c"`
}

// Relay connects the broker to the other servers on the same PostgreSQL
// database until ctx ends: each event published here is announced there
// (NOTIFY), and each event announced by another server is loaded and
// published here, so that a live stream shows every server's changes.
// ready, when not nil, is closed once it listens. On SQLite, where one
// process owns the database, it returns sqlstore.ErrNoNotify at once.
func (s *Service) Relay(ctx context.Context, ready chan<- struct{}) error {
	if s.DB.Dialect() != sqlstore.Postgres {
		return sqlstore.ErrNoNotify
	}
	b := make([]byte, 8)
	rand.Read(b)
	origin := hex.EncodeToString(b)
	out := make(chan Event, 1024)
	s.Broker.mu.Lock()
	s.Broker.out = out
	s.Broker.mu.Unlock()
	defer func() {
		s.Broker.mu.Lock()
		s.Broker.out = nil
		s.Broker.mu.Unlock()
	}()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-out:
				if e.Case == nil {
					continue
				}
				msg, _ := json.Marshal(relayMsg{Origin: origin, Action: e.Action, CaseID: e.Case.ID})
				if err := s.DB.Notify(ctx, "cases", string(msg)); err != nil && ctx.Err() == nil {
					s.Logger.Warn("relay: notify", "err", err)
				}
			}
		}
	}()
	err := s.DB.Listen(ctx, "cases", ready, func(payload string) {
		var m relayMsg
		if json.Unmarshal([]byte(payload), &m) != nil || m.Origin == origin || m.CaseID == 0 {
			return
		}
		c, err := s.DB.Case(system(ctx), m.CaseID)
		if err != nil {
			s.Logger.Warn("relay: load case", "case", m.CaseID, "err", err)
			return
		}
		s.Broker.mu.Lock()
		s.Broker.local(Event{Action: m.Action, Case: c})
		s.Broker.mu.Unlock()
	})
	wg.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
