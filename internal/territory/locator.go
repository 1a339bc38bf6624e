// Package territory answers "which units contain this point" from memory:
// one spatial index per level of the tree, built from the current unit
// boundaries and swapped atomically when they change.
package territory

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/geo"
	"github.com/wangge/wangge/internal/sqlstore"
)

// Hit is one unit of a located point's chain.
type Hit struct {
	ID     int64        `json:"id"`
	Code   string       `json:"code"`
	Level  wangge.Level `json:"level"`
	NameZH string       `json:"name_zh"`
	NameEN string       `json:"name_en,omitempty"`
}

type snapshot struct {
	levels []levelIndex // top level first
	units  map[int64]Hit
	sig    string
	built  time.Time
	shapes int
}

type levelIndex struct {
	level wangge.Level
	ix    *geo.Index
}

// Locator holds the current snapshot; lookups never block on a rebuild.
type Locator struct {
	db     *sqlstore.DB
	cur    atomic.Pointer[snapshot]
	mu     sync.Mutex // one rebuild at a time
	Logger *slog.Logger
}

// New returns a locator over db; call Rebuild before the first lookup.
func New(db *sqlstore.DB) *Locator {
	l := &Locator{db: db, Logger: slog.Default()}
	l.cur.Store(&snapshot{units: map[int64]Hit{}})
	return l
}

// Rebuild reads every current boundary and replaces the indexes, unless the
// units have not changed since the last build (force rebuilds anyway).
func (l *Locator) Rebuild(ctx context.Context, force bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	sig, err := l.db.UnitsSignature(ctx)
	if err != nil {
		return fmt.Errorf("locator: %w", err)
	}
	if !force && sig == l.cur.Load().sig {
		return nil
	}
	start := time.Now()
	byLevel := map[wangge.Level][]geo.Item{}
	units := map[int64]Hit{}
	err = l.db.CurrentShapes(ctx, func(s sqlstore.UnitShape) error {
		mp, err := geo.ParseGeometry([]byte(s.Boundary))
		if err != nil {
			// A stored boundary was validated on the way in; skip rather than
			// take the whole lookup down, and say so.
			l.Logger.Warn("locator: unreadable boundary", "unit", s.Code, "err", err)
			return nil
		}
		byLevel[s.Level] = append(byLevel[s.Level], geo.Item{ID: s.ID, Shape: mp})
		units[s.ID] = Hit{ID: s.ID, Code: s.Code, Level: s.Level, NameZH: s.NameZH, NameEN: s.NameEN}
		return nil
	})
	if err != nil {
		return fmt.Errorf("locator: %w", err)
	}
	snap := &snapshot{units: units, sig: sig, built: time.Now(), shapes: len(units)}
	for _, lv := range wangge.Levels {
		if items := byLevel[lv]; len(items) > 0 {
			snap.levels = append(snap.levels, levelIndex{lv, geo.NewIndex(items)})
		}
	}
	l.cur.Store(snap)
	l.Logger.Info("locator built", "units", len(units), "levels", len(snap.levels), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// Locate returns the chain of units containing p (WGS84), top level first.
func (l *Locator) Locate(p geo.Point) []Hit {
	snap := l.cur.Load()
	out := make([]Hit, 0, len(snap.levels))
	for _, li := range snap.levels {
		if id, ok := li.ix.Locate(p); ok {
			out = append(out, snap.units[id])
		}
	}
	return out
}

// Len returns how many unit shapes are indexed.
func (l *Locator) Len() int { return l.cur.Load().shapes }

// Watch rebuilds whenever the units change, checking every interval, until
// ctx ends. It is how several servers on one database pick up each other's
// boundary edits.
func (l *Locator) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := l.Rebuild(ctx, false); err != nil && ctx.Err() == nil {
				l.Logger.Warn("locator rebuild", "err", err)
			}
		}
	}
}
