// Package territory answers "which units contain this point" from memory:
// one spatial index per level of the tree, built from the current unit
// boundaries and swapped atomically when they change.
package territory

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
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
	sig    string
	built  time.Time
	shapes int
}

// levelIndex answers for one level. The index's item IDs are positions in
// units, so that a hit costs no lookup in a map: at a million grids a map
// from unit ID to Hit took 230 MB, this table about a third of that.
type levelIndex struct {
	level wangge.Level
	ix    *geo.Index
	units unitTable
}

// unitTable holds the units of a level in one string: unit i's code,
// Chinese and English names, separated by NUL bytes, end at ends[i].
type unitTable struct {
	ids  []int64
	ends []uint32
	text string
}

func (t *unitTable) hit(i int, level wangge.Level) Hit {
	from := uint32(0)
	if i > 0 {
		from = t.ends[i-1]
	}
	s := t.text[from:t.ends[i]]
	code, rest, _ := strings.Cut(s, "\x00")
	zh, en, _ := strings.Cut(rest, "\x00")
	return Hit{ID: t.ids[i], Code: code, Level: level, NameZH: zh, NameEN: en}
}

// levelBuild is one level of a rebuild in progress.
type levelBuild struct {
	ix   *geo.IndexBuilder
	ids  []int64
	ends []uint32
	text strings.Builder
}

func (b *levelBuild) add(s sqlstore.UnitShape, mp geo.MultiPolygon) {
	b.ix.Add(int64(len(b.ids)), mp)
	b.ids = append(b.ids, s.ID)
	b.text.WriteString(s.Code)
	b.text.WriteByte(0)
	b.text.WriteString(s.NameZH)
	b.text.WriteByte(0)
	b.text.WriteString(s.NameEN)
	b.ends = append(b.ends, uint32(b.text.Len()))
}

// Locator holds the current snapshot; lookups never block on a rebuild.
type Locator struct {
	db     *sqlstore.DB
	cur    atomic.Pointer[snapshot]
	mu     sync.Mutex // one rebuild at a time
	poke   chan struct{}
	Logger *slog.Logger
}

// New returns a locator over db; call Rebuild before the first lookup.
func New(db *sqlstore.DB) *Locator {
	l := &Locator{db: db, Logger: slog.Default(), poke: make(chan struct{}, 1)}
	l.cur.Store(&snapshot{})
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
	// Each shape is flattened into its level's builder as it is read, so
	// that the parsed shapes of a million grids are never all held at once.
	builds := map[wangge.Level]*levelBuild{}
	shapes := 0
	err = l.db.CurrentShapes(ctx, func(s sqlstore.UnitShape) error {
		mp, err := geo.ParseGeometry([]byte(s.Boundary))
		if err != nil {
			// A stored boundary was validated on the way in; skip rather than
			// take the whole lookup down, and say so.
			l.Logger.Warn("locator: unreadable boundary", "unit", s.Code, "err", err)
			return nil
		}
		b := builds[s.Level]
		if b == nil {
			b = &levelBuild{ix: geo.NewIndexBuilder(0, 0)}
			builds[s.Level] = b
		}
		b.add(s, mp)
		shapes++
		return nil
	})
	if err != nil {
		return fmt.Errorf("locator: %w", err)
	}
	snap := &snapshot{sig: sig, built: time.Now(), shapes: shapes}
	for _, lv := range wangge.Levels {
		b := builds[lv]
		if b == nil {
			continue
		}
		delete(builds, lv) // the builder's buffers go as soon as the level is built
		ix := b.ix.Build()
		snap.levels = append(snap.levels, levelIndex{lv, ix, unitTable{ids: b.ids, ends: b.ends, text: b.text.String()}})
	}
	l.cur.Store(snap)
	// The build leaves about as much garbage as the index it made (parsed
	// shapes, the flattened copy, the sweep's buffers): return it to the
	// system now rather than carry it until the heap doubles again.
	debug.FreeOSMemory()
	l.Logger.Info("locator built", "units", shapes, "levels", len(snap.levels), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// Locate returns the chain of units containing p (WGS84), top level first.
func (l *Locator) Locate(p geo.Point) []Hit {
	snap := l.cur.Load()
	out := make([]Hit, 0, len(snap.levels))
	for _, li := range snap.levels {
		if i, ok := li.ix.Locate(p); ok {
			out = append(out, li.units.hit(int(i), li.level))
		}
	}
	return out
}

// Len returns how many unit shapes are indexed.
func (l *Locator) Len() int { return l.cur.Load().shapes }

// Poke asks Watch to check for changed units now instead of at its next
// tick: another server has said that they changed. Pokes that arrive while
// a check is pending or running make one more check, not one each.
func (l *Locator) Poke() {
	select {
	case l.poke <- struct{}{}:
	default:
	}
}

// Watch rebuilds whenever the units change, checking every interval and
// when poked, until ctx ends. It is how several servers on one database
// pick up each other's boundary edits.
func (l *Locator) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-l.poke:
		}
		if err := l.Rebuild(ctx, false); err != nil && ctx.Err() == nil {
			l.Logger.Warn("locator rebuild", "err", err)
		}
	}
}
